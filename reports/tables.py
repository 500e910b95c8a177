"""The report's tables as plain records: headline cells, verdicts, parameter differences.

HTML and Markdown render the same records, so both show the same numbers, and every
cell keeps the exact value from ``comparison.json`` beside its rounded text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reports.load import ReportData
from reports.wording import fmt_diff, fmt_value, is_number, judgement, verdict, wording

MARKS = {  # the glyph of each judgement, in every table, sentence and page
    "better": "▲",
    "worse": "▼",
    "changed": "◆",
    "same": "",
}


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
        """A short sign for a significant difference (▲ better, ▼ worse), empty otherwise."""
        return MARKS[self.judgement]


@dataclass(frozen=True)
class Headline:
    """The headline table: metrics as rows, strategies as columns (cells[metric][label])."""

    metrics: list[str]
    labels: list[str]
    baseline: str
    cells: dict[str, dict[str, Cell]]
    names: dict[str, str]
    param_names: list[str]
    param_values: dict[str, list[str]]

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
    names = {lbl: data.name(lbl) for lbl in data.labels}
    keys = list(data.sweep_params) if data.kind == "sweep" else []
    short = data.short_keys()
    values = {
        lbl: [show_param(data.point_params.get(lbl, {}).get(k, "")) for k in keys]
        for lbl in data.labels
    }
    return Headline(
        shown, list(data.labels), data.baseline, cells, names, [short[k] for k in keys], values
    )


def verdicts(data: ReportData, metrics: Sequence[str]) -> list[tuple[str, str]]:
    """Plain sentences (judgement, text): per strategy against the baseline, or for a
    sweep one sentence per metric naming its best design point."""
    if data.kind == "sweep":
        return sweep_verdicts(data, metrics)
    out: list[tuple[str, str]] = []
    for label in data.labels:
        if label != data.baseline:
            out += strategy_verdicts(data, label, metrics)
    return out


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def strategy_verdicts(
    data: ReportData, label: str, metrics: Sequence[str]
) -> list[tuple[str, str]]:
    """One sentence per significant difference (better and worse first), then one line
    gathering the metrics with no clear difference, so the news stands out."""
    order = {"better": 0, "worse": 0, "changed": 1}
    strong: list[tuple[int, str, str]] = []
    unclear: list[str] = []
    missing: list[str] = []
    for metric in metrics:
        diff = data.differences.get(metric, {}).get(label)
        if not isinstance(diff, dict):
            continue
        judged = judgement(metric, diff)
        if judged != "same":
            strong.append((order[judged], judged, verdict(label, data.baseline, metric, diff)))
        elif is_number(diff.get("ci_low")) and is_number(diff.get("ci_high")):
            unclear.append(wording(metric).label)
        else:
            missing.append(wording(metric).label)
    out = [(judged, text) for _, judged, text in sorted(strong, key=lambda r: r[0])]
    if unclear:
        text = f"{label}: no clear difference from {data.baseline} in {_join(unclear)}."
        out.append(("same", text))
    if missing:
        text = (
            f"{label} vs {data.baseline}: {_join(missing)} not comparable "
            "(too few replications or no data)."
        )
        out.append(("same", text))
    return out


def scorecard(data: ReportData, metrics: Sequence[str]) -> list[str]:
    """One line per compared strategy: how many headline metrics improve, worsen or hold."""
    if data.kind == "sweep":
        return []
    lines = []
    for label in data.labels:
        if label == data.baseline:
            continue
        counts = {"better": 0, "worse": 0, "changed": 0, "same": 0}
        for metric in metrics:
            diff = data.differences.get(metric, {}).get(label)
            if isinstance(diff, dict):
                counts[judgement(metric, diff)] += 1
        if sum(counts.values()) == 0:
            continue
        parts = [f"better on {counts['better']}", f"worse on {counts['worse']}"]
        if counts["changed"]:
            parts.append(f"changed (no better direction) on {counts['changed']}")
        parts.append(f"no clear difference on {counts['same']}")
        total = sum(counts.values())
        lines.append(f"{label} vs {data.baseline}: {', '.join(parts)} of {total} headline metrics.")
    return lines


def _mean(data: ReportData, metric: str, label: str) -> float | None:
    return _num((data.stats.get(metric, {}).get(label) or {}).get("mean"))


def _ci(data: ReportData, metric: str, label: str) -> str:
    entry = data.stats.get(metric, {}).get(label) or {}
    low, high = _num(entry.get("ci_low")), _num(entry.get("ci_high"))
    if low is None or high is None:
        return ""
    return f" (95% CI {fmt_value(metric, low)} to {fmt_value(metric, high)})"


def sweep_verdict(data: ReportData, metric: str) -> tuple[str, str] | None:
    """Where a sweep does best on ``metric``, and whether that beats the reference point."""
    w = wording(metric)
    means = {lbl: m for lbl in data.labels if (m := _mean(data, metric, lbl)) is not None}
    if not means:
        return None
    low, high = min(means, key=means.__getitem__), max(means, key=means.__getitem__)
    if w.higher_better is None:
        return "same", (
            f"{w.label.capitalize()} ranges from {fmt_value(metric, means[low])} at "
            f"{data.name(low)} to {fmt_value(metric, means[high])} at {data.name(high)}."
        )
    best = high if w.higher_better else low
    text = (
        f"{w.label.capitalize()} is best at {data.name(best)}: "
        f"{fmt_value(metric, means[best])}{_ci(data, metric, best)}"
    )
    if best == data.baseline:
        return "same", text + " (the reference point)."
    text += f", against {fmt_value(metric, _mean(data, metric, data.baseline))} at the reference"
    diff = data.differences.get(metric, {}).get(best)
    if isinstance(diff, dict) and judgement(metric, diff) == "better":
        return "better", text + f" ({data.name(data.baseline)}); a significant difference."
    return "same", text + f" ({data.name(data.baseline)}); not a significant difference."


def sweep_verdicts(data: ReportData, metrics: Sequence[str]) -> list[tuple[str, str]]:
    """One sentence per metric for a sweep."""
    found = (sweep_verdict(data, m) for m in metrics)
    return [v for v in found if v is not None]


# --------------------------------------------------------------------------- parameters


_ATOMIC = {"programme_mix"}  # shares that only make sense together


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested scenario dict -> ``{"section.key": value}``; distributions stay one value."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "dist" not in value and key not in _ATOMIC:
            out.update(flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def show_param(value: Any) -> str:
    """A parameter value in short text: ``exponential(mean=30)`` for distributions."""
    if isinstance(value, Mapping) and "dist" in value:
        args = ", ".join(f"{k}={show_param(v)}" for k, v in value.items() if k != "dist")
        return f"{value['dist']}({args})"
    if isinstance(value, bool):
        return "true" if value else "false"  # as written in the scenario files
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
            rows.append((key, ["(absent)" if v is missing else show_param(v) for v in values]))
    return rows


def scenario_rows(data: ReportData) -> list[tuple[str, str]]:
    """Every parameter of the first strategy (the full picture for a single run)."""
    first = data.scenarios.get(data.labels[0]) or {}
    return [(k, show_param(v)) for k, v in flatten(first).items() if k not in _IGNORED]


def descriptions(data: ReportData) -> list[tuple[str, str]]:
    """(name, description) of each strategy whose scenario describes itself; a sweep's
    points share one description, shown once under its base scenario's name."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for label in data.labels:
        meta = (data.scenarios.get(label) or {}).get("scenario") or {}
        text = str(meta.get("description") or "").strip()
        if text and text not in seen:
            seen.add(text)
            name = str(meta.get("name") or label) if data.kind == "sweep" else label
            out.append((name, text))
    return out


def swept_rows(data: ReportData) -> list[tuple[str, list[str]]]:
    """For a sweep: each swept key with the values it takes (what differs between points)."""
    return [(k, [show_param(v) for v in vals]) for k, vals in data.sweep_params.items()]
