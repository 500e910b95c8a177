"""The report's tables as plain records: headline cells, verdicts, parameter differences.

HTML and Markdown render the same records, so both show the same numbers, and every
cell keeps the exact value from ``comparison.json`` beside its rounded text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reports.load import ReportData
from reports.wording import fmt_diff, fmt_value, is_number, judgement, verdict, wording

MARKS = {"better": "▲ better", "worse": "▼ worse", "changed": "◆ changed", "same": ""}


@dataclass(frozen=True)
class Cell:
    """One metric for one strategy: the mean and CI, and the difference to the baseline."""

    metric: str
    label: str
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    mean_text: str
    ci_text: str
    diff_text: str
    diff_ci_text: str
    judgement: str
    diff: tuple[float | None, float | None, float | None] = (None, None, None)

    @property
    def mark(self) -> str:
        """A short sign for a significant difference ("▲ better"), empty otherwise."""
        return MARKS[self.judgement]


@dataclass(frozen=True)
class Headline:
    """The headline table: metrics as rows, strategies as columns (cells[metric][label])."""

    metrics: list[str]
    labels: list[str]
    baseline: str
    cells: dict[str, dict[str, Cell]]

    def metric_label(self, metric: str) -> str:
        """The metric's readable name."""
        return wording(metric).label


def _num(value: Any) -> float | None:
    return float(value) if is_number(value) else None


def _cell(data: ReportData, metric: str, label: str) -> Cell:
    entry = data.stats.get(metric, {}).get(label, {}) or {}
    mean, low, high = _num(entry.get("mean")), _num(entry.get("ci_low")), _num(entry.get("ci_high"))
    ci_text = ""
    if low is not None and high is not None:
        ci_text = f"{fmt_value(metric, low)} – {fmt_value(metric, high)}"
    diff = data.differences.get(metric, {}).get(label) if label != data.baseline else None
    diff_text = diff_ci = ""
    judged = "same"
    exact: tuple[float | None, float | None, float | None] = (None, None, None)
    if isinstance(diff, dict) and is_number(diff.get("mean")):
        exact = (_num(diff.get("mean")), _num(diff.get("ci_low")), _num(diff.get("ci_high")))
        diff_text = fmt_diff(metric, diff["mean"])
        if is_number(diff.get("ci_low")) and is_number(diff.get("ci_high")):
            diff_ci = f"{fmt_diff(metric, diff['ci_low'])} to {fmt_diff(metric, diff['ci_high'])}"
        judged = judgement(metric, diff)
    return Cell(
        metric,
        label,
        mean,
        low,
        high,
        fmt_value(metric, mean),
        ci_text,
        diff_text,
        diff_ci,
        judged,
        exact,
    )


def headline(data: ReportData, metrics: Sequence[str]) -> Headline:
    """The headline cells for ``metrics`` (those present in the data)."""
    shown = [m for m in metrics if m in data.stats]
    cells = {m: {lbl: _cell(data, m, lbl) for lbl in data.labels} for m in shown}
    return Headline(shown, list(data.labels), data.baseline, cells)


def verdicts(data: ReportData, metrics: Sequence[str]) -> list[tuple[str, str]]:
    """Plain sentences (judgement, text) for every non-baseline strategy and metric.

    Significant differences come first so the reader sees what changed.
    """
    out: list[tuple[str, str]] = []
    for metric in metrics:
        for label in data.labels:
            diff = data.differences.get(metric, {}).get(label)
            if label == data.baseline or not isinstance(diff, dict):
                continue
            out.append((judgement(metric, diff), verdict(label, data.baseline, metric, diff)))
    order = {"better": 0, "worse": 0, "changed": 1, "same": 2}
    return sorted(out, key=lambda item: order[item[0]])


# --------------------------------------------------------------------------- parameters


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested scenario dict -> ``{"section.key": value}``; distributions stay one value."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "dist" not in value:
            out.update(flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def show_param(value: Any) -> str:
    """A parameter value in short text: ``exponential(mean=30)`` for distributions."""
    if isinstance(value, Mapping) and "dist" in value:
        args = ", ".join(f"{k}={show_param(v)}" for k, v in value.items() if k != "dist")
        return f"{value['dist']}({args})"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show_param(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={show_param(v)}" for k, v in value.items())
    return str(value)


_IGNORED = {"scenario.name", "scenario.description"}


def parameter_differences(data: ReportData) -> list[tuple[str, list[str]]]:
    """Scenario keys whose values differ between strategies: (key, value per label)."""
    flat = {lbl: flatten(data.scenarios.get(lbl) or {}) for lbl in data.labels}
    keys = sorted({k for values in flat.values() for k in values} - _IGNORED)
    rows = []
    missing = object()
    for key in keys:
        values = [flat[lbl].get(key, missing) for lbl in data.labels]
        if len({repr(v) for v in values}) > 1:
            rows.append((key, ["(default)" if v is missing else show_param(v) for v in values]))
    return rows


def scenario_rows(data: ReportData) -> list[tuple[str, str]]:
    """Every parameter of the first strategy (the full picture for a single run)."""
    first = data.scenarios.get(data.labels[0]) or {}
    return [(k, show_param(v)) for k, v in flatten(first).items()]


def is_missing(value: float | None) -> bool:
    """True when a statistic is absent or not finite."""
    return value is None or not math.isfinite(value)
