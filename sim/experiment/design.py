"""The design of an experiment: which scenarios, which replications, which seeds.

Replication ``i`` of every scenario (and every sweep point) uses the same root seed,
derived from the base seed and ``i`` alone, so the streams that draw the marketplace are
shared and differences between scenarios are paired (common random numbers).
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.contract import safe_name
from sim.errors import UserError
from sim.scenario import Scenario, apply_overrides, from_dict, read_toml, scenario_dict

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class DesignError(UserError, ValueError):
    """A bad experiment design (grid, reps, labels); the message is one line for the user."""


def rep_seed(base_seed: int, rep: int) -> int:
    """Root seed of replication ``rep``: the same for every scenario of the experiment."""
    ss = np.random.SeedSequence(entropy=base_seed, spawn_key=(rep,))
    return int(ss.generate_state(1, np.uint64)[0]) & (2**63 - 1)


@dataclass(frozen=True)
class DesignPoint:
    """One scenario to replicate: a label, where it came from, and its sweep parameters."""

    label: str
    scenario: Scenario
    source: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunTask:
    """One replication of one design point; everything a worker needs, picklable."""

    index: int
    label: str
    rep: int
    seed: int
    scenario: Scenario
    run_dir: str | None
    write_on_worker: bool


# --------------------------------------------------------------------------- grids


def _parse_scalar(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _number(text: str, spec: str) -> int | float:
    value = _parse_scalar(text.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DesignError(f"grid {spec!r}: {text.strip()!r} is not a number")
    return value


def _linspace(spec: str, raw: str) -> list[Any]:
    lo_s, hi_s, n_s = raw.split(":")
    lo, hi = _number(lo_s, spec), _number(hi_s, spec)
    if not n_s.strip().isdigit() or int(n_s) < 2:
        raise DesignError(f"grid {spec!r}: the point count after lo:hi: must be an integer >= 2")
    points = np.linspace(lo, hi, int(n_s))
    if isinstance(lo, int) and isinstance(hi, int) and np.all(points == np.round(points)):
        return [int(p) for p in np.round(points)]
    return [float(f"{p:.12g}") for p in points]  # 0.3, not 0.30000000000000004


def parse_grid(spec: str) -> tuple[str, list[Any]]:
    """``dotted.key=v1,v2,v3`` (values read as TOML) or ``dotted.key=lo:hi:n`` (linspace).

    With ``lo:hi:n`` the points stay integers when both ends are integers and every point
    is whole.
    """
    key, sep, raw = spec.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not _KEY.match(key):
        raise DesignError(f"grid {spec!r}: expected dotted.key=v1,v2,... or dotted.key=lo:hi:n")
    if not raw:
        raise DesignError(f"grid {spec!r}: no values after '='")
    if ":" in raw and not raw.startswith(("'", '"', "[", "{")):
        if raw.count(":") != 2:
            raise DesignError(f"grid {spec!r}: a range is lo:hi:n (quote string values)")
        return key, _linspace(spec, raw)
    parts = [p.strip() for p in raw.split(",")]
    if any(not p for p in parts):
        raise DesignError(f"grid {spec!r}: empty value in the list")
    values = [_parse_scalar(p) for p in parts]
    if len(set(map(repr, values))) != len(values):
        raise DesignError(f"grid {spec!r}: a value is repeated")
    return key, values


def parse_grids(specs: Iterable[str]) -> dict[str, list[Any]]:
    """Several ``--grid`` options into an ordered mapping; a key may appear once."""
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        key, values = parse_grid(spec)
        if key in grid:
            raise DesignError(f"grid {key}: given twice")
        grid[key] = values
    if not grid:
        raise DesignError("grid: at least one is required")
    return grid


def factorial(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values; the first key varies slowest."""
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


# --------------------------------------------------------------------------- scenarios


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    parts = dotted.split(".")
    out = apply_overrides(data, ())
    node = out
    for part in parts[:-1]:
        child = node.get(part)
        node[part] = child = dict(child) if isinstance(child, dict) else {}
        node = child
    node[parts[-1]] = value
    return out


def point_label(params: Mapping[str, Any]) -> str:
    """A readable label for a sweep point, e.g. ``account_managers.pool_size=3``."""
    return " ".join(f"{k}={v}" for k, v in params.items())


def unique_labels(names: Sequence[str], fallbacks: Sequence[str]) -> list[str]:
    """Scenario names as labels; on a clash the file stem, then a ``#n`` suffix."""
    labels = [n if names.count(n) == 1 else f for n, f in zip(names, fallbacks, strict=True)]
    seen: dict[str, int] = {}
    out: list[str] = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if labels.count(label) == 1 else f"{label}#{seen[label]}")
    return out


def load_points(
    sources: Sequence[str | Path | Scenario], overrides: Sequence[str] = ()
) -> list[DesignPoint]:
    """Scenario files (or Scenario objects) with ``--set`` overrides applied, labelled."""
    loaded: list[tuple[Scenario, str]] = []
    for src in sources:
        if isinstance(src, Scenario):
            data = apply_overrides(scenario_dict(src), overrides)
            loaded.append((from_dict(data, src.scenario.name), "<scenario>"))
        else:
            path = Path(src)
            data = apply_overrides(read_toml(path), overrides)
            loaded.append((from_dict(data, str(path)), str(path)))
    names = [s.scenario.name for s, _ in loaded]
    stems = [
        Path(f).stem if f != "<scenario>" else n for (_, f), n in zip(loaded, names, strict=True)
    ]
    labels = unique_labels(names, stems)
    return [DesignPoint(lbl, s, f) for lbl, (s, f) in zip(labels, loaded, strict=True)]


def sweep_points(
    source: str | Path, grid: Mapping[str, Sequence[Any]], overrides: Sequence[str] = ()
) -> list[DesignPoint]:
    """One design point per grid combination, each validated (errors name the point)."""
    path = Path(source)
    base = apply_overrides(read_toml(path), overrides)
    points = []
    for params in factorial(grid):
        data = base
        for key, value in params.items():
            data = _set_path(data, key, value)
        label = point_label(params)
        points.append(DesignPoint(label, from_dict(data, f"{path} [{label}]"), str(path), params))
    return points


def make_tasks(
    points: Sequence[DesignPoint],
    reps: Iterable[int],
    base_seed: int,
    runs_dir: Path | None,
    write_on_worker: bool,
    start_index: int = 0,
) -> list[RunTask]:
    """Tasks for the given replications of every point, replication-major so that the
    first finished runs cover every scenario (a Ctrl-C then still leaves pairs)."""
    tasks = []
    index = start_index
    for rep in reps:
        seed = rep_seed(base_seed, rep)
        for point in points:
            run_dir = None
            if runs_dir is not None:
                run_dir = str(runs_dir / safe_name(point.label) / f"rep-{rep:03d}")
            tasks.append(
                RunTask(index, point.label, rep, seed, point.scenario, run_dir, write_on_worker)
            )
            index += 1
    return tasks
