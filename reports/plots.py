"""The report's figures: one function per plot, each returning a Figure or None when the
folder holds no data for it; ``draw_all`` draws what it can and writes the PNG files."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from reports.latency_plots import latency_cdf
from reports.load import ReportData, RunData
from reports.plotkit import (
    CHANNEL_COLORS,
    CHANNELS,
    MAX_SERIES,
    Plot,
    color,
    err,
    figure,
    legend,
    png_bytes,
    runs_of,
    series_labels,
    stacked_bars,
    stat,
    style,
    t975,
)
from reports.response_plots import CATALOGUE as RESPONSE_CATALOGUE
from reports.sweep_plots import sweep
from reports.wording import is_number, wording

# --------------------------------------------------------------------------- time series


def series_band(runs: Sequence[RunData], column: str) -> pd.DataFrame | None:
    """Per-day mean and 95% t-interval of ``column`` across replications."""
    frames = [
        r.daily[["day", column]].assign(rep=i)
        for i, r in enumerate(runs)
        if column in r.daily and "day" in r.daily
    ]
    if not frames:
        return None
    tidy = pd.concat(frames, ignore_index=True)
    grouped = tidy.groupby("day")[column].agg(["mean", "std", "count"]).reset_index()
    n = grouped["count"].to_numpy(dtype=float)
    tq = np.array([t975(int(k) - 1) for k in n])
    half = tq * grouped["std"].to_numpy(dtype=float) / np.sqrt(n)
    grouped["low"] = grouped["mean"] - half
    grouped["high"] = grouped["mean"] + half
    return grouped


def _warmup_days(data: ReportData) -> float:
    for tree in data.scenarios.values():
        value = (tree.get("scenario") or {}).get("warmup_days") if isinstance(tree, dict) else None
        if is_number(value) and value > 0:
            return float(value)
    return 0.0


def _band_axes(data: ReportData, ax: Axes, column: str) -> bool:
    drawn = False
    for label in series_labels(data):
        band = series_band(runs_of(data, label), column)
        if band is None:
            continue
        drawn = True
        c = color(data, label)
        ax.plot(band["day"], band["mean"], color=c, linewidth=1.6, label=data.name(label))
        if band["low"].notna().any():
            alpha = 0.18 if len(series_labels(data)) <= 4 else 0.07
            ax.fill_between(band["day"], band["low"], band["high"], color=c, alpha=alpha, lw=0)
    warmup = _warmup_days(data)
    if drawn and warmup > 0:
        ax.axvspan(0, warmup, color="#edf2f7", zorder=0)
        ax.text(
            warmup / 2,
            0.02,
            "warm-up",
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
            color="#718096",
        )
    return drawn


def live_fakes(data: ReportData) -> Figure | None:
    """Fake listings live each day, mean per strategy with its 95% band."""
    fig = figure()
    ax = fig.add_subplot()
    if not _band_axes(data, ax, "fakes_live"):
        return None
    style(ax)
    ax.set_xlabel("simulated day")
    ax.set_ylabel("fake listings live")
    ax.set_ylim(bottom=0)
    legend(data, ax)
    return fig


# --------------------------------------------------------------------------- latency


def thousands() -> StrMethodFormatter:
    """A tick formatter with thousands separators (a new one per axis: they hold state)."""
    return StrMethodFormatter("{x:,.0f}")


# --------------------------------------------------------------------------- bars


def removals_by_channel(data: ReportData) -> Figure | None:
    """Mean fakes removed per strategy, stacked by the channel that removed them."""
    metrics = [f"fake_removed_{c}" for c in CHANNELS]
    if not any(m in data.stats for m in metrics):
        return None
    parts = [(c, m, CHANNEL_COLORS[c]) for c, m in zip(CHANNELS, metrics, strict=True)]
    fig = stacked_bars(data, parts, "fake listings removed (mean per run)", len(CHANNELS))
    fig.axes[0].xaxis.set_major_formatter(thousands())
    return fig


LABELLED_POINTS = 4


# the cost axis: money when the results have it, else (older results) busy hours, under
# their name before and after the rename to am_busy_hours
COST_AXES = (
    ("cost_total_usd", "enforcement cost, all parties: USD (mean, 95% CI)"),
    ("am_busy_hours", "enforcement cost: account-manager busy hours (mean, 95% CI)"),
    ("am_hours", "enforcement cost: account-manager busy hours (mean, 95% CI)"),
)


# the harm axis: what deceived buyers paid when the results have it, else (older results)
# the count of fake sales
HARM_AXES = (
    ("consumer_harm_usd", "consumer harm: USD paid by deceived buyers"),
    ("fake_sales", "consumer harm: fake sales"),
)


def harm_vs_cost(data: ReportData) -> Figure | None:
    """Consumer harm (money paid by deceived buyers) against enforcement cost (money, all
    parties); older results fall back to fake sales and account-manager hours."""
    axis = next(((m, text) for m, text in COST_AXES if m in data.stats), None)
    harm = next(((m, text) for m, text in HARM_AXES if m in data.stats), None)
    if harm is None or axis is None:
        return None
    (cost, xlabel), (harm_metric, ylabel) = axis, harm
    fig = figure(3.8)
    ax = fig.add_subplot()
    for label in series_labels(data):
        x, xl, xh = stat(data, cost, label)
        y, yl, yh = stat(data, harm_metric, label)
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        xe, ye = err(x, xl, xh), err(y, yl, yh)
        c = color(data, label)
        ax.errorbar(
            [x],
            [y],
            xerr=[[xe[0]], [xe[1]]],
            yerr=[[ye[0]], [ye[1]]],
            fmt="o",
            color=c,
            markersize=7,
            capsize=3,
            label=data.name(label),
        )
        if len(series_labels(data)) <= LABELLED_POINTS:
            box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
            ax.annotate(
                data.name(label), (x, y), xytext=(7, 7), textcoords="offset points",
                fontsize=9, color=c, bbox=box,
            )  # fmt: skip
    if len(series_labels(data)) > LABELLED_POINTS:
        legend(data, ax)  # too many points to label them in place
    style(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.margins(0.15)
    ax.set_xlim(left=0)  # from zero, so the distance between strategies is not exaggerated
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(thousands())
    ax.yaxis.set_major_formatter(thousands())
    return fig


def _grouped_bars(data: ReportData, ax: Axes, metrics: Sequence[str], scale: float = 1.0) -> None:
    shown = series_labels(data)
    width = 0.8 / max(len(shown), 1)
    x = np.arange(len(metrics))
    for i, label in enumerate(shown):
        stats = [stat(data, m, label) for m in metrics]
        means = np.array([s[0] for s in stats]) * scale
        errs = np.array([err(*s) for s in stats]).T * scale
        ax.bar(
            x + (i - (len(shown) - 1) / 2) * width,
            np.nan_to_num(means),
            width * 0.92,
            yerr=np.nan_to_num(errs),
            capsize=3,
            color=color(data, label),
            label=data.name(label),
            error_kw={"elinewidth": 1, "ecolor": "#2d3748"},
        )
    ax.set_xticks(x, [wording(m).label for m in metrics], fontsize=9)
    style(ax)
    ax.grid(False, axis="x")


def wrongful_removals(data: ReportData) -> Figure | None:
    """Genuine listings wrongly removed, counter-notices and restorations per strategy."""
    metrics = [
        m for m in ("genuine_wrongly_removed", "counter_notices", "restorations") if m in data.stats
    ]
    if not metrics:
        return None
    fig = figure()
    ax = fig.add_subplot()
    _grouped_bars(data, ax, metrics)
    ax.set_ylim(bottom=0)  # counts: an interval running below zero is cut at zero
    ax.set_ylabel("listings (mean per run, 95% CI)")
    legend(data, ax)
    return fig


def _label_bars(data: ReportData, ax: Axes, metric: str, scale: float) -> None:
    """One bar per strategy with its 95% CI, strategies on the x axis."""
    shown = series_labels(data)
    x = np.arange(len(shown))
    stats = [stat(data, metric, lbl) for lbl in shown]
    means = np.nan_to_num(np.array([st[0] for st in stats]) * scale)
    errs = np.nan_to_num(np.array([err(*st) for st in stats]).T * scale)
    colors = [color(data, lbl) for lbl in shown]
    ax.bar(x, means, 0.7, yerr=errs, capsize=3, color=colors, error_kw={"elinewidth": 1})
    names = [data.name(lbl) for lbl in shown]
    if len(names) > 3 or max(len(n) for n in names) > 14:
        ax.set_xticks([])  # too many or too long: the colours follow the legend
    else:
        ax.set_xticks(x, names, fontsize=8)
    style(ax)
    ax.grid(False, axis="x")


def account_managers(data: ReportData) -> Figure | None:
    """Account-manager utilisation (bars, 95% CI) and the review queue over time."""
    if "am_utilization" not in data.stats:
        return None
    fig = figure(3.4)
    left, right = fig.subplots(1, 2, width_ratios=(1, 2))
    _label_bars(data, left, "am_utilization", 100.0)
    left.set_ylabel("utilisation, % of working hours")
    highs = [stat(data, "am_utilization", lbl) for lbl in data.labels]
    top = max([0.0, *(max(m, h if math.isfinite(h) else m) for m, _, h in highs)]) * 100.0
    left.set_ylim(0, min(100.0, max(10.0, top * 1.25)))  # low utilisation stays readable
    if _band_axes(data, right, "queue_length"):
        style(right)
        right.set_xlabel("simulated day")
        right.set_ylabel("notices waiting for review")
        right.set_ylim(bottom=0)
        legend(data, right)
    else:
        _grouped_bars(data, right, ["am_queue_wait_h_p50", "am_queue_wait_h_p95"])
        right.set_ylabel("queue wait, hours")
    return fig


# --------------------------------------------------------------------------- all


PlotFn = Callable[[ReportData], Figure | None]


def catalogue(headline: Sequence[str], single: bool) -> list[tuple[str, str, str, PlotFn]]:
    """(id, title, caption, function) for every figure a report may hold, in order.

    ``single`` is a one-run report: no replications, so no bands or error bars.
    """
    return [
        (
            "live_fakes",
            "Fake listings live over time",
            "Fake listings live at the end of each simulated day."
            if single
            else "Mean across replications; the band is the 95% confidence interval.",
            live_fakes,
        ),
        (
            "latency_cdf",
            "Notice to removal",
            "Share of removed listings taken down within x hours of the notice"
            + ("" if single else " (pooled over replications)")
            + "; the dashed line marks 24 h.",
            latency_cdf,
        ),
        (
            "removals_by_channel",
            "Removals by channel",
            "Which mechanism removed the fakes" + ("." if single else " (mean per run)."),
            removals_by_channel,
        ),
        (
            "harm_vs_cost",
            "Consumer harm against enforcement cost",
            "Lower left is better: less paid for fakes by deceived buyers, for less cost.",
            harm_vs_cost,
        ),
        (
            "wrongful_removals",
            "Wrongful removals and restorations",
            "Genuine listings taken down by mistake, counter-notices filed and listings restored.",
            wrongful_removals,
        ),
        (
            "account_managers",
            "Account managers: utilisation and queue",
            "Share of working hours spent reviewing, and notices waiting for review each day.",
            account_managers,
        ),
        *RESPONSE_CATALOGUE,
        (
            "sweep",
            "Headline metrics across the sweep",
            "Mean per design point; bands (one parameter) are 95% confidence intervals; "
            "with two parameters each cell shows the mean, and yellow is the better end; "
            "further swept parameters are averaged over.",
            lambda d: sweep(d, headline),
        ),
    ]


SERIES_PLOTS = {
    "live_fakes",
    "deterrence",
    "latency_cdf",
    "harm_vs_cost",
    "wrongful_removals",
    "account_managers",
}


def draw_all(data: ReportData, out_dir: Path, headline: Sequence[str]) -> list[Plot]:
    """Draw every figure the data supports and write each as ``fig_<id>.png`` in out_dir."""
    plots = []
    for plot_id, title, caption, fn in catalogue(headline, data.kind == "run"):
        fig = fn(data)
        if fig is None:
            continue
        png = png_bytes(fig)
        filename = f"fig_{plot_id}.png"
        (out_dir / filename).write_bytes(png)
        if plot_id in SERIES_PLOTS and len(data.labels) > MAX_SERIES:
            caption += " With this many points only the reference, middle and last are drawn."
        plots.append(Plot(plot_id, title, caption, png, filename))
    return plots
