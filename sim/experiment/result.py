"""The typed result of an experiment: the tidy runs table and the statistics over it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.contract import METRIC_NAMES
from sim.experiment.design import DesignPoint
from sim.experiment.runner import RunOutcome
from sim.stats import Interval, mean_ci, paired_difference

ID_COLUMNS = ("scenario", "scenario_file", "rep", "seed")


def metric_order(outcomes: Sequence[RunOutcome]) -> tuple[str, ...]:
    """The contract's metric names first (in their order), then any extra, sorted."""
    seen: set[str] = set()
    for o in outcomes:
        seen.update(o.metrics)
    known = [m for m in METRIC_NAMES if m in seen]
    return (*known, *sorted(seen - set(known)))


@dataclass(frozen=True)
class ExperimentResult:
    """Replications of several design points: rows, and per-metric statistics.

    ``rows`` is the tidy table (one dict per scenario x replication: scenario,
    scenario_file, rep, seed, the sweep parameters, every metric), ordered by design
    point then replication, identical whatever backend ran it.
    """

    kind: str
    points: tuple[DesignPoint, ...]
    parameters: tuple[str, ...]
    reps: int
    base_seed: int
    rows: tuple[dict[str, Any], ...]
    metric_names: tuple[str, ...]
    backend: str
    jobs: int
    wall_s: float
    version: str
    interrupted: bool = False
    out_dir: Path | None = None
    requested: dict[str, Any] = field(default_factory=dict)  # reps as asked, precision, cap

    @property
    def labels(self) -> tuple[str, ...]:
        """Design-point labels in order; the first is the reference for differences."""
        return tuple(p.label for p in self.points)

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names of the runs table."""
        return (*ID_COLUMNS, *self.parameters, *self.metric_names)

    def values(self, metric: str, label: str) -> dict[int, float]:
        """``{rep: value}`` of one metric for one design point."""
        return {r["rep"]: r[metric] for r in self.rows if r["scenario"] == label}

    def interval(self, metric: str, label: str) -> Interval:
        """Mean and 95% Student-t CI of ``metric`` over the replications of ``label``."""
        return mean_ci(list(self.values(metric, label).values()))

    def difference(self, metric: str, label: str) -> Interval:
        """Paired difference ``label - first`` by replication (common random numbers)."""
        ref, other = self.values(metric, self.labels[0]), self.values(metric, label)
        reps = sorted(set(ref) & set(other))
        return paired_difference([other[r] for r in reps], [ref[r] for r in reps])

    def comparison(self) -> dict[str, Any]:
        """The ``comparison.json`` document."""
        metrics: dict[str, Any] = {}
        differences: dict[str, Any] = {}
        for m in self.metric_names:
            metrics[m] = {lbl: self.interval(m, lbl).as_dict() for lbl in self.labels}
            differences[m] = {}
            for lbl in self.labels[1:]:
                iv = self.difference(m, lbl)
                differences[m][lbl] = {**iv.as_dict(), "significant": iv.significant}
        return {
            "scenarios": list(self.labels),
            "reps": self.reps,
            "metrics": metrics,
            "differences": differences,
        }

    def column(self, name: str) -> np.ndarray:
        """One column of the runs table as a numpy array."""
        return np.array([r[name] for r in self.rows])

    def to_pandas(self) -> Any:
        """The runs table as a pandas DataFrame (pandas must be installed)."""
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=list(self.columns))


def build_rows(
    points: Sequence[DesignPoint], outcomes: Sequence[RunOutcome], metric_names: Sequence[str]
) -> tuple[dict[str, Any], ...]:
    """Tidy rows from outcomes in any order, sorted by design point then replication."""
    order = {p.label: i for i, p in enumerate(points)}
    by_label = {p.label: p for p in points}
    rows = []
    for o in sorted(outcomes, key=lambda o: (order[o.label], o.rep)):
        point = by_label[o.label]
        row: dict[str, Any] = {
            "scenario": o.label,
            "scenario_file": point.source,
            "rep": o.rep,
            "seed": o.seed,
        }
        row.update(point.params)
        row.update({m: o.metrics.get(m, math.nan) for m in metric_names})
        rows.append(row)
    return tuple(rows)
