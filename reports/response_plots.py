"""Figures of counterfeiters that respond: deterrence over time (operators active and
their profit, per strategy) and displacement (fakes posted per programme). Each is drawn
only when the runs have the behaviour on, so other reports are unchanged."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports.load import ReportData
from reports.plotkit import (
    color,
    figure,
    legend,
    runs_of,
    series_labels,
    stacked_bars,
    style,
)

PROGRAMMES = ("standard", "good_faith", "joint_force")
PROGRAMME_COLORS = {"standard": "#a0aec0", "good_faith": "#4299e1", "joint_force": "#2f855a"}


def _has_books(data: ReportData) -> bool:
    for run in data.runs:
        col = run.daily.get("counterfeiter_profit_usd")
        if col is not None and pd.to_numeric(col, errors="coerce").notna().any():
            return True
    return False


def _daily_mean(data: ReportData, label: str, column: str, smooth_days: int) -> pd.Series:
    """Mean over replications of a daily column, as a trailing ``smooth_days`` mean."""
    frames = [r.daily.set_index("day")[column] for r in runs_of(data, label) if column in r.daily]
    mean = pd.concat(frames, axis=1).mean(axis=1)
    return mean.rolling(smooth_days, min_periods=1).mean()


def _warmup_days(data: ReportData) -> int:
    """The longest warm-up of the runs, in whole days (the books' start-up costs fall
    in it and would dwarf the rest)."""
    days = [
        float((t.get("scenario") or {}).get("warmup_days") or 0.0)
        for t in data.scenarios.values()
        if isinstance(t, dict)
    ]
    return int(np.ceil(max(days, default=0.0)))


def deterrence(data: ReportData) -> Figure | None:
    """Operators active and their daily profit over time, per strategy (2-week means,
    from the end of the warm-up)."""
    if not _has_books(data):
        return None
    start = _warmup_days(data)
    fig = figure(5.2)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for label in series_labels(data):
        c = color(data, label)
        active = _daily_mean(data, label, "operators_active", 14).loc[start:]
        profit = _daily_mean(data, label, "counterfeiter_profit_usd", 14).loc[start:]
        top.plot(active.index, active.to_numpy(), color=c, linewidth=1.6, label=data.name(label))
        bottom.plot(profit.index, profit.to_numpy(), color=c, linewidth=1.6)
    for ax in (top, bottom):
        style(ax)
    bottom.axhline(0.0, color="#718096", linewidth=0.8)
    top.set_ylabel("operators active")
    top.set_ylim(bottom=0)
    bottom.set_ylabel("their profit, USD a day")
    bottom.set_xlabel("simulated day")
    legend(data, top)
    return fig


def _choice_on(tree: dict[str, Any]) -> bool:
    cf = tree.get("counterfeiters") or {}
    choice = cf.get("choice") or {}
    return bool(choice.get("on")) or float(cf.get("displacement") or 0.0) > 0


def displacement(data: ReportData) -> Figure | None:
    """Fakes posted per programme, per strategy, stacked (mean per run)."""
    metrics = [f"fake_listings_created_{p}" for p in PROGRAMMES]
    on = any(_choice_on(t) for t in data.scenarios.values() if isinstance(t, dict))
    if not on or not all(m in data.stats for m in metrics):
        return None
    parts = [(p, m, PROGRAMME_COLORS[p]) for p, m in zip(PROGRAMMES, metrics, strict=True)]
    xlabel = "fake listings posted, by the brand's programme (mean per run)"
    return stacked_bars(data, parts, xlabel, 3)


CATALOGUE = [
    (
        "deterrence",
        "Deterrence: operators and their profit",
        "Counterfeit operators with an open account, and their income less costs each day "
        "(two-week means over replications, from the end of the warm-up).",
        deterrence,
    ),
    (
        "displacement",
        "Displacement: fakes by programme",
        "Where counterfeiters posted: fakes per brand programme, when posting follows enforcement.",
        displacement,
    ),
]
