"""Config files: TOML in, one line per problem out, naming the file and the field.

Shared by scenario files, load profiles and SLO files. A file that cannot be read or
parsed, and a mapping that does not fit its pydantic model, become a ``ConfigError``
whose ``problems`` each name the file and the dotted field path, with a "did you mean"
for unknown keys and unknown tags of tagged unions.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from sim.errors import UserError

M = TypeVar("M", bound=BaseModel)

# pydantic's error types for a key the model does not have (a model, a dataclass)
_UNKNOWN_KEY = ("extra_forbidden", "unexpected_keyword_argument")
# where a walk along an error location stands on a tagged union: the next part is a tag
_IN_UNION = object()


class ConfigError(UserError, ValueError):
    """A config file could not be loaded; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)


@dataclasses.dataclass(frozen=True)
class Tags:
    """A tagged union in a config model: what a member is called in messages (``noun``),
    the key that names the member (``key``) and the members by tag."""

    noun: str
    key: str
    members: Mapping[str, type]


class StrictSection(BaseModel):
    """A section of a config file: frozen, no unknown keys, finite numbers, and no
    true/false where a number belongs."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """true/false is no number (pydantic alone would read it as 1/0)."""
        name = info.field_name
        if isinstance(value, bool) and name and cls.model_fields[name].annotation is not bool:
            raise ValueError(f"expected a number, got {str(value).lower()}")
        return value


def closest(word: str, choices: Collection[str]) -> str | None:
    """The choice a mistyped ``word`` most likely meant, if any is close."""
    hint = difflib.get_close_matches(word, list(choices), n=1)
    return hint[0] if hint else None


def suggestion(word: str, choices: Collection[str], fallback: str = "allowed") -> str:
    """``did you mean 'x'?`` when a choice is close, else ``allowed: a, b, c``."""
    hint = closest(word, choices)
    return f"did you mean '{hint}'?" if hint else f"{fallback}: {', '.join(choices)}"


# --------------------------------------------------------------------------- reading


def read_text(path: Path, error_cls: type[ConfigError] = ConfigError) -> str:
    """A config file's text; ``error_cls`` naming the file if it cannot be read."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error_cls([f"{source}: file not found"]) from None
    except IsADirectoryError:
        raise error_cls([f"{source}: is a directory, expected a .toml file"]) from None
    except OSError as exc:
        raise error_cls([f"{source}: cannot read: {exc.strerror}"]) from None
    try:
        return raw.decode("utf-8-sig")  # editors on some systems write a BOM
    except UnicodeDecodeError as exc:
        raise error_cls([f"{source}: not UTF-8 text (byte {exc.start})"]) from None


def parse_toml(
    text: str, source: str, error_cls: type[ConfigError] = ConfigError
) -> dict[str, Any]:
    """TOML text as a dict; ``error_cls`` naming ``source`` and the line if it is malformed."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line L, column C)"
        raise error_cls([f"{source}: invalid TOML: {exc}"]) from None
    except RecursionError:
        raise error_cls([f"{source}: invalid TOML: nested too deeply"]) from None


def read_toml(path: Path, error_cls: type[ConfigError] = ConfigError) -> dict[str, Any]:
    """Read and parse one TOML file (no ``extends``: that is the scenario's business)."""
    return parse_toml(read_text(path, error_cls), str(path), error_cls)


# --------------------------------------------------------------------------- validating


def _fields(cls: Any) -> dict[str, Any]:
    """Field name -> annotation of a pydantic model or a dataclass ({} for anything else)."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return {name: info.annotation for name, info in cls.model_fields.items()}
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        hints = get_type_hints(cls)
        return {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    return {}


def _keys(cls: Any) -> list[str]:
    """The keys a config file may use for ``cls`` (aliases where a field has one)."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return [info.alias or name for name, info in cls.model_fields.items()]
    return list(_fields(cls))


def _child(current: Any, part: str | int) -> Any:
    """The type found at ``part`` (a key, or an index into a list) inside ``current``."""
    origin, args = get_origin(current), get_args(current)
    if (origin is list and args) or (origin is tuple and args[-1:] == (...,)):
        child = args[0]
    elif origin is tuple:
        child = args[part] if isinstance(part, int) and 0 <= part < len(args) else None
    elif origin is dict and len(args) == 2:
        child = args[1]
    else:
        child = _fields(current).get(str(part))
    return get_args(child)[0] if get_origin(child) is Annotated else child


def _walk(
    loc: tuple[str | int, ...], model: type[BaseModel], tags: Tags | None
) -> tuple[list[str | int], Any]:
    """The field path of an error location and the type reached at its end.

    pydantic inserts the tag of a tagged union's member (right after the union field) and
    validator names (``function-after[...]``) into locations; both are left out of the
    path. A user's key that happens to equal a tag stays.
    """
    members = dict(tags.members) if tags else {}
    path: list[str | int] = []
    current: Any = model
    for part in loc:
        if "[" in str(part):
            continue
        if current is _IN_UNION and part in members:
            current = members[str(part)]
            continue
        path.append(part)
        current = _child(current, part)
        if set(get_args(current)) & set(members.values()):
            current = _IN_UNION
    return path, current


def _shown(value: Any) -> str:
    shown = repr(value) if not isinstance(value, dict) else "{...}"
    return shown if len(shown) <= 60 else shown[:57] + "..."


def format_validation_error(
    source: str, err: Mapping[str, Any], model: type[BaseModel], tags: Tags | None = None
) -> str:
    """One line for one pydantic error of validating ``model`` from ``source``: the file,
    the dotted field path, the bad value and what is allowed."""
    loc = tuple(err["loc"])
    path, _ = _walk(loc, model, tags)
    where = f"{source}: {'.'.join(str(p) for p in path) or '(top level)'}"
    if err["type"] in _UNKNOWN_KEY and path:
        _, parent = _walk(loc[:-1], model, tags)
        return f"{where}: unknown key; {suggestion(str(path[-1]), _keys(parent))}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if tags and err["type"] == "union_tag_invalid":
        tag = str(err.get("ctx", {}).get("tag", ""))
        msg = f"unknown {tags.noun} {tag!r}; {suggestion(tag, list(tags.members))}"
    elif tags and err["type"] == "union_tag_not_found":
        msg = f"a {tags.noun} needs {tags.key} = one of {', '.join(tags.members)}"
    return f"{where}: bad value {_shown(err.get('input'))}: {msg}"


def validate(
    model: type[M],
    data: Mapping[str, Any],
    source: str,
    error_cls: type[ConfigError] = ConfigError,
    tags: Tags | None = None,
) -> M:
    """``data`` validated into a ``model``; ``error_cls`` with one line per problem otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [format_validation_error(source, e, model, tags) for e in exc.errors()]
        raise error_cls(problems) from None
