"""The notice-to-removal latency figure: how soon removed listings came down, per strategy,
weighted by the listings each notice removed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports.load import ReportData, RunData
from reports.plotkit import color, figure, legend, runs_of, series_labels, style

WEIGHT_COLUMNS = ("listings_removed", "listings")


def _weights(notices: pd.DataFrame) -> pd.Series:
    """Listings each notice removed (or named, in older traces); 1 when neither is known."""
    for column in WEIGHT_COLUMNS:
        if column in notices:
            return pd.to_numeric(notices[column], errors="coerce").fillna(0.0)
    return pd.Series(1.0, index=notices.index)


def removal_latencies_h(runs: Sequence[RunData]) -> tuple[np.ndarray, np.ndarray]:
    """Hours from filing to removal of removed notices, and listings removed (weights)."""
    hours, weights = [], []
    for r in runs:
        n = r.notices
        if n.empty or "removed_at_h" not in n or "t_h" not in n:
            continue
        lat = pd.to_numeric(n["removed_at_h"], errors="coerce") - n["t_h"]
        w = _weights(n)
        keep = lat.notna() & np.isfinite(lat) & (lat >= 0)
        hours.append(lat[keep].to_numpy(float))
        weights.append(w[keep].to_numpy(float))
    if not hours:
        return np.empty(0), np.empty(0)
    return np.concatenate(hours), np.concatenate(weights)


CDF_POINTS = 800


def weighted_cdf(hours: np.ndarray, weights: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Share of total weight with hours <= each grid value (a fixed-size curve at any scale)."""
    order = np.argsort(hours, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(weights[order], dtype=np.float64)])
    idx = np.searchsorted(hours[order], grid, side="right")
    return cum[idx] / cum[-1]


def latency_cdf(data: ReportData) -> Figure | None:
    """Share of removed listings taken down within x hours of the notice, per strategy."""
    curves = {}
    for label in series_labels(data):
        hours, weights = removal_latencies_h(runs_of(data, label))
        if hours.size and weights.sum() > 0:
            curves[label] = (hours, weights)
    if not curves:
        return None
    top = max([48.0, *(float(np.quantile(h, 0.99)) * 1.05 for h, _ in curves.values())])
    grid = np.linspace(0.0, top, CDF_POINTS)
    fig = figure()
    ax = fig.add_subplot()
    for label, (hours, weights) in curves.items():
        y = weighted_cdf(hours, weights, grid)
        ax.step(grid, y, where="post", color=color(data, label), lw=1.6, label=data.name(label))
    ax.axvline(24, color="#1a202c", linestyle="--", linewidth=1)
    ax.text(24, 0.03, " 24 h", fontsize=9, color="#1a202c")
    style(ax)
    ax.set_xlim(0, top)
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.set_xlabel("hours from notice to removal")
    ax.set_ylabel("share of removed listings")
    legend(data, ax, "lower right")
    return fig
