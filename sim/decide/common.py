"""Pieces the three decision tools share: errors, objectives and constraints on confidence
bounds, writing a scenario that extends another."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sim import config
from sim.decide.space import toml_value
from sim.errors import UserError
from sim.scenario import parse_override
from sim.stats import Interval

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)

_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*(\S+)\s*$")


def sampler_seed(base_seed: int) -> int:
    """The 32-bit seed Optuna's samplers and SALib accept, derived from the base seed."""
    return base_seed % 2**32


class DecisionError(UserError, ValueError):
    """A bad option of a decision tool; the message is one line for the user."""


def check_metric(name: str, option: str) -> str:
    """``name`` when it is a metric of the model, else DecisionError with a hint."""
    from sim.metrics import METRIC_NAMES

    if name not in METRIC_NAMES:
        raise DecisionError(
            f"{option} {name!r}: unknown metric; {config.suggestion(name, METRIC_NAMES)}"
        )
    return name


@dataclass(frozen=True)
class Constraint:
    """``metric >= bound`` or ``metric <= bound``, to hold on the 95% confidence bound."""

    metric: str
    op: Literal[">=", "<="]
    bound: float

    @property
    def text(self) -> str:
        """The constraint as written on the command line."""
        return f"{self.metric} {self.op} {self.bound:g}"

    def edge(self, iv: Interval) -> float:
        """The confidence bound that must satisfy the constraint (low for >=, high for <=)."""
        return iv.ci_low if self.op == ">=" else iv.ci_high

    def violation(self, iv: Interval) -> float:
        """How far the confidence bound misses (<= 0: satisfied), Optuna's convention.
        A metric without data or with one replication counts as a large miss."""
        edge = self.edge(iv)
        if not math.isfinite(edge):
            return 1e12
        return self.bound - edge if self.op == ">=" else edge - self.bound

    def holds(self, iv: Interval) -> bool:
        """True when the confidence bound satisfies the constraint."""
        return self.violation(iv) <= 0.0

    def holds_on_mean(self, iv: Interval) -> bool:
        """True when the mean satisfies it (a candidate worth more replications)."""
        if not math.isfinite(iv.mean):
            return False
        return iv.mean >= self.bound if self.op == ">=" else iv.mean <= self.bound


def parse_constraint(text: str) -> Constraint:
    """``"metric >= 0.95"`` or ``"metric <= 50"``; DecisionError for anything else."""
    m = _CONSTRAINT.match(text)
    if not m:
        raise DecisionError(
            f"constraint {text!r}: expected 'metric >= number' or 'metric <= number'"
        )
    metric, op, raw = m.groups()
    check_metric(metric, "constraint")
    try:
        bound = float(raw)
    except ValueError:
        raise DecisionError(f"constraint {text!r}: {raw!r} is not a number") from None
    if not math.isfinite(bound):
        raise DecisionError(f"constraint {text!r}: the bound must be finite")
    return Constraint(metric, ">=" if op == ">=" else "<=", bound)


# --------------------------------------------------------------------------- scenario out


def _nest(pairs: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dotted, value in pairs:
        node = out
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping) and "dist" not in value


def _tables(data: Mapping[str, Any], prefix: str) -> list[str]:
    lines: list[str] = []
    scalars = [(k, v) for k, v in data.items() if not _is_table(v)]
    if scalars and prefix:
        lines.append(f"\n[{prefix}]")
    lines += [f"{k} = {toml_value(v)}" for k, v in scalars]
    for k, v in data.items():
        if _is_table(v):
            lines += _tables(v, f"{prefix}.{k}" if prefix else k)
    return lines


def extending_scenario(
    base: Path,
    out_file: Path,
    name: str,
    values: Mapping[str, Any],
    overrides: Sequence[str] = (),
    comments: Sequence[str] = (),
) -> str:
    """The text of a scenario that ``extends`` ``base`` (path relative to ``out_file``),
    with the ``--set`` overrides and then ``values`` applied and a new name."""
    rel = os.path.relpath(base.resolve(), out_file.resolve().parent)
    pairs = [(".".join(p), v) for p, v in (parse_override(o) for o in overrides)]
    pairs += list(values.items())
    pairs.append(("scenario.name", name))
    head = [f"# {c}" for c in comments]
    return "\n".join([*head, f"extends = {toml_value(rel)}", *_tables(_nest(pairs), "")]) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write a text file via a scratch sibling renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.partial-{os.getpid()}")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)
