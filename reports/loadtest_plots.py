"""The load-test report's figures: e2e latency over time and its percentile spectrum,
request latency per name, arrivals against target, drops and unfinished notices.

Every figure is drawn whatever the run held (an empty series draws as a note on the
axes), so a report always has the same figures in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reports.loadtest_data import E2E, PROGRAMMES, SPECTRUM_Q, LoadtestData
from reports.plotkit import PALETTE, Plot, figure, png_bytes, style

PROGRAMME_COLORS = dict(zip(PROGRAMMES, PALETTE, strict=False))
ALL_COLOR = "#4a5568"


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#718096")


def _values(row: dict[str, Any], key: str) -> np.ndarray:
    return np.array([math.nan if v is None else float(v) for v in row.get(key, [])], dtype=float)


def e2e_over_time(data: LoadtestData) -> Figure:
    """p50 (dashed) and p95 (solid) of e2e takedown latency by the second notices were filed."""
    fig = figure(3.8)
    ax = fig.add_subplot()
    series = data.timeline.get("series", {})
    t = np.asarray(data.timeline.get("t_s", []), dtype=float)
    drawn = False
    for programme in data.programmes():
        row = series.get(f"{E2E}.{programme}")
        if not row:
            continue
        colour = PROGRAMME_COLORS[programme]
        p50, p95 = _values(row, "p50_ms") / 1000.0, _values(row, "p95_ms") / 1000.0
        ax.plot(t, p95, color=colour, marker=".", linewidth=1.4, label=f"{programme} p95")
        ax.plot(t, p50, color=colour, linestyle="--", linewidth=1.0, label=f"{programme} p50")
        drawn = True
    if not drawn:
        _empty(ax, "no notices were followed")
    else:
        ax.set_yscale("log")
        ax.legend(frameon=False, fontsize=8, ncol=3)
    ax.set_xlabel("second of the run (notice filed)")
    ax.set_ylabel("filed until gone (s)")
    style(ax)
    return fig


def _q_axis(q: Sequence[float]) -> np.ndarray:
    """HdrHistogram's percentile axis: 1/(1 - q), so each 'nine' gets equal room."""
    return 1.0 / (1.0 - np.minimum(np.asarray(q, dtype=float) / 100.0, 0.9999))


def _spectrum_axes(ax: Axes) -> None:
    ticks = [0.0, 50.0, 90.0, 99.0, 99.9, 99.99]
    ax.set_xscale("log")
    ax.set_xticks(_q_axis(ticks), [f"{q:g}%" for q in ticks])
    ax.set_xlabel("percentile")
    style(ax)


def e2e_spectrum(data: LoadtestData) -> Figure:
    """Takedown latency at every percentile, per programme and overall."""
    fig = figure(3.6)
    ax = fig.add_subplot()
    x = _q_axis(SPECTRUM_Q)
    names = [(f"{E2E}.{p}", p, PROGRAMME_COLORS[p]) for p in data.programmes()]
    names.append((E2E, "all notices", ALL_COLOR))
    drawn = False
    for name, label, colour in names:
        spec = data.spectra.get(name)
        if spec is None or spec.count == 0:
            continue
        ax.plot(x, spec.values_s, color=colour, marker=".", label=f"{label} (n={spec.count})")
        drawn = True
    if drawn:
        ax.set_yscale("log")
        ax.legend(frameon=False, fontsize=8)
    else:
        _empty(ax, "no notices were followed")
    ax.set_ylabel("filed until gone (s)")
    _spectrum_axes(ax)
    return fig


def request_latency(data: LoadtestData) -> Figure:
    """p50, p95 and p99 of each request name (from the intended start), log scale."""
    names = data.request_names()
    fig = figure(max(2.4, 0.34 * len(names) + 1.2))
    ax = fig.add_subplot()
    requests = data.doc.get("requests", {})
    if not names:
        _empty(ax, "no requests")
        style(ax)
        return fig
    y = np.arange(len(names))
    for k, (key, colour) in enumerate(zip(("p50_ms", "p95_ms", "p99_ms"), PALETTE, strict=False)):
        vals = [float(requests[n].get(key) or math.nan) for n in names]
        ax.barh(y + (k - 1) * 0.27, vals, height=0.26, color=colour, label=key.split("_")[0])
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("latency from the intended start (ms)")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    style(ax)
    return fig


def arrivals(data: LoadtestData) -> Figure:
    """Arrivals per second: the profile's target, scheduled (the drawn schedule) and started."""
    fig = figure(3.2)
    ax = fig.add_subplot()
    arr = data.timeline.get("arrivals", {})
    t = np.asarray(data.timeline.get("t_s", []), dtype=float)
    if not len(t):
        _empty(ax, "no per-second timeline in loadtest.json")
    else:
        ax.plot(t, arr.get("target", []), color=ALL_COLOR, linewidth=2.0, label="target")
        ax.step(t, arr.get("scheduled", []), where="post", color=PALETTE[0], label="scheduled")
        ax.step(t, arr.get("started", []), where="post", color=PALETTE[2], label="started")
        ax.legend(frameon=False, fontsize=8)
    ax.set_xlabel("second of the run")
    ax.set_ylabel("arrivals per second")
    style(ax)
    return fig


def drops(data: LoadtestData) -> Figure:
    """Arrivals dropped per second (no user of their role free), and requests censored."""
    fig = figure(3.0)
    ax = fig.add_subplot()
    t = np.asarray(data.timeline.get("t_s", []), dtype=float)
    dropped = np.asarray(data.timeline.get("arrivals", {}).get("dropped", []), dtype=float)
    if len(t):
        ax.bar(t, dropped, width=0.9, color=PALETTE[1], label="dropped arrivals")
        ax.set_ylim(bottom=0, top=max(float(dropped.max(initial=0.0)), 1.0) * 1.15)
        ax.legend(frameon=False, fontsize=8)
    else:
        _empty(ax, "no per-second timeline in loadtest.json")
    ax.set_xlabel("second of the run (arrival due)")
    ax.set_ylabel("arrivals")
    style(ax)
    return fig


def unfinished(data: LoadtestData) -> Figure:
    """Notices seen removed against those still up (censored), per programme."""
    fig = figure(2.8)
    ax = fig.add_subplot()
    by = data.doc.get(E2E, {}).get("by_program", {})
    names = [p for p in PROGRAMMES if p in by]
    if not names:
        _empty(ax, "no notices were followed")
    else:
        done = [int(by[p]["count"]) - int(by[p]["unfinished"]) for p in names]
        left = [int(by[p]["unfinished"]) for p in names]
        ax.barh(names, done, color=PALETTE[2], label="seen removed")
        ax.barh(names, left, left=done, color=PALETTE[1], label="unfinished (censored)")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_xlabel("notices")
    style(ax)
    return fig


Draw = Callable[[LoadtestData], Figure]
CATALOGUE: tuple[tuple[str, str, str, Draw], ...] = (
    ("e2e_time", "Takedown latency over time",
     "Per programme, p95 (solid) and p50 (dashed) of the time from a notice's intended "
     "filing until its listing answered gone, by the second it was filed. Unfinished "
     "notices count at their elapsed time.", e2e_over_time),
    ("e2e_spectrum", "Takedown latency percentile spectrum",
     "Latency at each percentile of the whole run, from the merged HDR histograms; the "
     "axis gives each 'nine' equal room, so the tail is visible.", e2e_spectrum),
    ("requests", "Request latency per name",
     "p50, p95 and p99 of each request from its intended start (no coordinated "
     "omission); dropped arrivals are included, censored at their wait.", request_latency),
    ("arrivals", "Achieved against target arrivals",
     "Per second: the target the profile asks for, the arrivals the schedule drew, and "
     "those a user started. Started below scheduled means arrivals were dropped.", arrivals),
    ("drops", "Dropped arrivals",
     "Arrivals per second that found every user of their role busy (the pool at its "
     "maximum).", drops),
    ("unfinished", "Unfinished notices",
     "Per programme: notices seen removed, and those still up when their follow-up window "
     "closed (counted in the latency at their elapsed time).", unfinished),
)  # fmt: skip


def draw_all(data: LoadtestData, out_dir: Path) -> list[Plot]:
    """Every figure, each written as ``fig_<id>.png`` in ``out_dir``."""
    plots = []
    for plot_id, title, caption, draw in CATALOGUE:
        png = png_bytes(draw(data))
        filename = f"fig_{plot_id}.png"
        (out_dir / filename).write_bytes(png)
        plots.append(Plot(plot_id, title, caption, png, filename))
    return plots
