"""Reading scenario files: shipped names, ``extends`` chains and ``--set`` overrides.

What comes out is a plain mapping; ``sim.scenario`` validates it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sim import config, shipped
from sim.config import ConfigError, StrictSection


class ScenarioError(ConfigError):
    """A scenario could not be loaded; ``problems`` holds one line per problem."""


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any], model: Any = None) -> dict[str, Any]:
    """``top`` over ``base``: sections (``model``'s sub-models) merge key by key; any other
    table, a distribution or ``programme_mix``, replaces the parent's whole."""
    out = dict(base)
    fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
    for key, value in top.items():
        info = fields.get(key)
        section = info is not None and _is_section(info.annotation)
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and section:
            out[key] = _deep_merge(dict(out[key]), value, info.annotation)  # type: ignore[union-attr]
        else:
            out[key] = value
    return out


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, StrictSection)


def resolve(path: str | Path) -> Path:
    """A scenario file by path, or a shipped scenario by name (``smoke``) when no file of
    that name exists here."""
    given = Path(path)
    if given.exists():
        return given
    found = shipped.path_of(str(path))
    if found is not None:
        return found
    if shipped.is_name(str(path)):
        hint = config.suggestion(given.stem, shipped.names(), "shipped scenarios")
        raise ScenarioError([f"{path}: file not found, nor a shipped scenario; {hint}"])
    return given  # read_toml says "file not found"


def read_chain(path: Path, model: type[BaseModel], _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read one scenario file, following ``extends`` chains (paths relative to the file,
    else a shipped scenario's name); sections of ``model`` merge, other tables replace."""
    source = str(path)
    data = config.read_toml(path, ScenarioError)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError([f"{source}: extends: bad value {parent!r}: expected a file path"])
    parent_path = (path.parent / parent).resolve()
    if not parent_path.exists():
        parent_path = (shipped.path_of(parent) or parent_path).resolve()
    if parent_path in _seen:
        raise ScenarioError([f"{source}: extends: cycle through {parent}"])
    if not parent_path.exists():
        raise ScenarioError(
            [f"{source}: extends: {parent}: file not found, nor a shipped scenario"]
        )
    parent_data = read_chain(parent_path, model, (*_seen, path.resolve()))
    return _deep_merge(parent_data, data, model)


def parse_override(text: str) -> tuple[list[str], Any]:
    """``dotted.path=value``; the value is read as TOML (number, bool, string, table)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError([f"overrides {text!r}: expected dotted.path=value"])
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.split("."), value


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    out = _deep_merge({}, data)
    for text in overrides:
        path, value = parse_override(text)
        node = out
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
            node[part] = child = dict(child)
            node = child
        node[path[-1]] = value
    return out
