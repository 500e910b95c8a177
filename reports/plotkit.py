"""Shared pieces of the report's figures: the Plot record, figure setup, colours, styling.

Figures are plain matplotlib ``Figure`` objects on the Agg canvas (no pyplot), so nothing
global is touched and plotting is safe inside any process.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.load import ReportData, RunData
from reports.wording import is_number

CHANNELS = ("proactive", "lead", "ban", "notice", "seller")
CHANNEL_COLORS = {
    "proactive": "#2b6cb0",
    "lead": "#38a169",
    "ban": "#805ad5",
    "notice": "#dd6b20",
    "seller": "#a0aec0",
}
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
DPI = 130
WIDTH_IN = 8.0


# Two-sided 95% Student-t critical values for 1..30 degrees of freedom (to 4 decimals);
# kept here so drawing a band does not import scipy (sim.stats holds the exact ones).
T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip
Z975 = 1.959963984540054


def t975(df: int) -> float:
    """95% two-sided t critical value: the table to 30 df, a Cornish-Fisher series beyond
    (within 1e-5 of the exact value from 31 df on). NaN below 1 df."""
    if df < 1:
        return math.nan
    if df <= len(T975):
        return T975[df - 1]
    z = Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


@dataclass(frozen=True)
class Plot:
    """One drawn figure: its id, title, a caption saying how to read it, and the PNG."""

    plot_id: str
    title: str
    caption: str
    png: bytes
    filename: str

    @property
    def data_uri(self) -> str:
        """The PNG inline, for a self-contained HTML file."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def figure(height_in: float = 3.6, width_in: float = WIDTH_IN) -> Figure:
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def color(data: ReportData, label: str) -> str:
    """The strategy's colour, the same in every figure."""
    return PALETTE[data.labels.index(label) % len(PALETTE)]


def style(ax: Axes) -> None:
    ax.grid(True, color="#e2e8f0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


MAX_SERIES = 8


def series_labels(data: ReportData) -> list[str]:
    """The strategies drawn as lines over time: all of them, or for a large sweep the
    reference, middle and last point (beyond a handful, lines only tangle)."""
    labels = data.labels
    if len(labels) <= MAX_SERIES:
        return list(labels)
    return list(dict.fromkeys([data.baseline, labels[len(labels) // 2], labels[-1]]))


def legend(data: ReportData, ax: Axes, loc: Literal["best", "lower right"] = "best") -> None:
    """A legend inside the axes for a few strategies, outside on the right for many."""
    if len(series_labels(data)) <= 4:
        ax.legend(frameon=False, fontsize=9, loc=loc)
        return
    ax.legend(
        frameon=False,
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )


def runs_of(data: ReportData, label: str) -> list[RunData]:
    return [r for r in data.runs if r.label == label]


def stat(data: ReportData, metric: str, label: str) -> tuple[float, float, float]:
    entry = data.stats.get(metric, {}).get(label) or {}
    vals = [entry.get(k) for k in ("mean", "ci_low", "ci_high")]
    mean, low, high = (float(v) if is_number(v) else math.nan for v in vals)
    return mean, low, high


def err(mean: float, low: float, high: float) -> tuple[float, float]:
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 0.0
    return max(mean - low, 0.0), max(high - mean, 0.0)


def stacked_bars(
    data: ReportData, parts: Sequence[tuple[str, str, str]], xlabel: str, ncols: int
) -> Figure:
    """Each strategy's mean of each part's metric, stacked in one horizontal bar per
    strategy; ``parts`` are (legend label, metric, colour), NaN means drawn as 0."""
    fig = figure(1.4 + 0.42 * len(data.labels))
    ax = fig.add_subplot()
    y = np.arange(len(data.labels))
    left = np.zeros(len(data.labels))
    for label, metric, colour in parts:
        values = np.nan_to_num(np.array([stat(data, metric, lbl)[0] for lbl in data.labels]))
        ax.barh(y, values, left=left, color=colour, label=label, height=0.6)
        left += values
    ax.set_yticks(y, [data.name(lbl) for lbl in data.labels])
    ax.invert_yaxis()
    style(ax)
    ax.grid(False, axis="y")
    ax.set_xlabel(xlabel)
    fig.legend(frameon=False, fontsize=9, ncols=ncols, loc="outside upper center")
    return fig
