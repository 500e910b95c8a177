"""Target files: which published figures a calibration must reproduce, each a value with
a tolerance (or an interval) and a weight. See ``sim.decide.space`` for the format."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import config
from sim.decide.files import SpaceError, _is_number, _line_of

TARGET_KEYS = ("value", "tolerance", "low", "high", "weight")


@dataclass(frozen=True)
class Target:
    """A figure to reproduce: a value with a tolerance, or an interval [low, high]."""

    metric: str
    value: float
    tolerance: float
    weight: float = 1.0
    line: int = 0
    interval: bool = False  # given as [low, high]: no distance anywhere inside it

    @property
    def low(self) -> float:
        """Lowest accepted mean."""
        return self.value - self.tolerance

    @property
    def high(self) -> float:
        """Highest accepted mean."""
        return self.value + self.tolerance

    def within(self, mean: float) -> bool:
        """True when ``mean`` is inside the accepted interval."""
        return math.isfinite(mean) and self.low <= mean <= self.high

    def distance(self, mean: float) -> float:
        """Weighted squared miss in units of the tolerance (inf for a missing value); for
        an interval target the miss is measured from the nearer end, zero inside."""
        if not math.isfinite(mean):
            return math.inf
        miss = mean - self.value
        if self.interval:
            miss = max(abs(miss) - self.tolerance, 0.0)
        return self.weight * (miss / self.tolerance) ** 2


def _target(metric: str, spec: Any, where: str) -> tuple[Target | None, list[str]]:
    if not isinstance(spec, Mapping):
        return None, [f"{where}: expected a table with value and tolerance, or low and high"]
    unknown = [k for k in spec if k not in TARGET_KEYS]
    if unknown:
        return None, [
            f"{where}: unknown key {k!r}; {config.suggestion(k, TARGET_KEYS)}" for k in unknown
        ]
    for key, value in spec.items():
        if not _is_number(value) or not math.isfinite(value):
            return None, [f"{where}: {key}: bad value {value!r}: expected a number"]
    weight = float(spec.get("weight", 1.0))
    if weight <= 0:
        return None, [f"{where}: weight: must be > 0 (got {weight})"]
    if "value" in spec:
        if "low" in spec or "high" in spec:
            return None, [f"{where}: give value and tolerance, or low and high, not both"]
        if "tolerance" not in spec:
            return None, [f"{where}: tolerance is missing (how far from value still counts)"]
        if spec["tolerance"] <= 0:
            return None, [f"{where}: tolerance: must be > 0 (got {spec['tolerance']})"]
        return Target(metric, float(spec["value"]), float(spec["tolerance"]), weight), []
    if "low" not in spec or "high" not in spec:
        return None, [f"{where}: expected value and tolerance, or low and high"]
    if "tolerance" in spec:
        return None, [f"{where}: tolerance goes with value, not with low and high"]
    low, high = float(spec["low"]), float(spec["high"])
    if not low < high:
        return None, [f"{where}: low ({low}) must be less than high ({high})"]
    return Target(metric, (low + high) / 2, (high - low) / 2, weight, interval=True), []


def load_targets(path: str | Path) -> tuple[Target, ...]:
    """Read and check a target file. Raises SpaceError (one line per problem)."""
    from sim.metrics import METRIC_NAMES

    path = Path(path)
    source = str(path)
    text = config.read_text(path, SpaceError)
    data = config.parse_toml(text, source, SpaceError)
    problems = [
        f"{source}:{_line_of(text, k)}: unknown table {k!r}; {config.suggestion(k, ['targets'])}"
        for k in data
        if k != "targets"
    ]
    table = data.get("targets")
    if not isinstance(table, Mapping) or not table:
        problems.append(f"{source}:1: targets: expected [targets.METRIC] tables")
        raise SpaceError(problems)
    targets = []
    for metric, spec in table.items():
        line = _line_of(text, metric)
        where = f"{source}:{line}: {metric}"
        if metric not in METRIC_NAMES:
            problems.append(f"{where}: unknown metric; {config.suggestion(metric, METRIC_NAMES)}")
            continue
        target, found = _target(metric, spec, where)
        if found:
            for k in spec if isinstance(spec, Mapping) else ():
                if f"{k!r}" in found[0] or found[0].startswith(f"{where}: {k}"):
                    sub = _line_of(text, k, after=line)
                    found = [p.replace(f"{source}:{line}:", f"{source}:{sub}:", 1) for p in found]
                    break
            problems.extend(found)
        elif target is not None:
            targets.append(dataclasses.replace(target, line=line))
    if problems:
        raise SpaceError(list(dict.fromkeys(problems)))
    return tuple(targets)
