"""Sweep figures: each headline metric against the swept parameter (line with a 95% band),
or a heatmap over the first two swept parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reports.load import ReportData
from reports.plotkit import PALETTE, figure, stat, style
from reports.wording import is_number, wording


def _axis_values(values: Sequence[Any]) -> tuple[np.ndarray, list[str], bool]:
    numeric = all(is_number(v) for v in values)
    if numeric:
        return np.array(values, dtype=float), [f"{v:g}" for v in values], True
    return np.arange(len(values), dtype=float), [str(v) for v in values], False


def _point_stats(data: ReportData, metric: str, where: dict[str, Any]) -> tuple[float, ...]:
    """Mean and CI of the point matching ``where``; with several matches (a third swept
    parameter) the mean over them and no interval."""
    found = [
        stat(data, metric, label)
        for label, params in data.point_params.items()
        if label in data.labels and all(params.get(k) == v for k, v in where.items())
    ]
    if len(found) == 1:
        return found[0]
    means = np.array([f[0] for f in found], dtype=float)
    if not np.isfinite(means).any():
        return (math.nan, math.nan, math.nan)
    return (float(np.nanmean(means)), math.nan, math.nan)


def _sweep_line(data: ReportData, ax: Axes, metric: str, key: str) -> None:
    values = data.sweep_params[key]
    x, ticks, numeric = _axis_values(values)
    stats = np.array([_point_stats(data, metric, {key: v}) for v in values]) * wording(metric).scale
    ax.plot(x, stats[:, 0], marker="o", color=PALETTE[0], linewidth=1.6)
    ax.fill_between(x, stats[:, 1], stats[:, 2], color=PALETTE[0], alpha=0.2, lw=0)
    if not numeric or len(values) <= 10:
        ax.set_xticks(x, ticks)
    ax.set_xlabel(key, fontsize=8)


def _sweep_heat(data: ReportData, ax: Axes, metric: str, keys: Sequence[str]) -> None:
    kx, ky = keys[0], keys[1]
    xs, ys = data.sweep_params[kx], data.sweep_params[ky]
    grid = (
        np.array([[_point_stats(data, metric, {kx: vx, ky: vy})[0] for vx in xs] for vy in ys])
        * wording(metric).scale
    )
    better = wording(metric).higher_better
    cmap = {True: "viridis", False: "viridis_r", None: "cividis"}[better]
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap)
    ax.figure.colorbar(image, ax=ax, shrink=0.85)
    ax.set_xticks(range(len(xs)), [str(v) for v in xs], fontsize=8)
    ax.set_yticks(range(len(ys)), [str(v) for v in ys], fontsize=8)
    ax.set_xlabel(kx, fontsize=8)
    ax.set_ylabel(ky, fontsize=8)
    for (iy, ix), value in np.ndenumerate(grid):
        if math.isfinite(value):
            r, g, b, _ = image.to_rgba(np.array([[value]]))[0, 0]
            ink = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.55 else "black"
            ax.text(ix, iy, f"{value:.3g}", ha="center", va="center", fontsize=7, color=ink)


def sweep(data: ReportData, metrics: Sequence[str]) -> Figure | None:
    """Each headline metric against the swept parameter(s): line with 95% band, or heatmap."""
    keys = [k for k in data.sweep_params if len(data.sweep_params[k]) > 1]
    shown = [m for m in metrics if m in data.stats]
    if data.kind != "sweep" or not keys or not shown:
        return None
    cols = 2
    rows = math.ceil(len(shown) / cols)
    fig = figure(2.5 * rows + 0.3)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, metric in zip(axes, shown, strict=False):
        w = wording(metric)
        ax.set_title(
            f"{w.label}{' (' + w.unit.strip() + ')' if w.unit.strip() else ''}", fontsize=9
        )
        if len(keys) >= 2:
            _sweep_heat(data, ax, metric, keys)
        else:
            _sweep_line(data, ax, metric, keys[0])
            style(ax)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    return fig
