"""One self-contained HTML page per decision run (figures embedded as PNG): the front and
the winner against the input for ``optimize``, ranked indices with intervals for
``sensitivity``, targets against the fit for ``calibrate``."""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STYLE = (
    "body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
    "text-align:right}th:first-child,td:first-child{text-align:left}img{max-width:100%}"
)


def _num(value: Any) -> str:
    if isinstance(value, tuple):  # a list choice, shown as the scenario writes it
        value = list(value)
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "-"
    return html.escape(str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_num(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def _page(title: str, parts: Sequence[str]) -> str:
    t = html.escape(title)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{t}</title>"
        f"<style>{STYLE}</style></head><body><h1>{t}</h1>{''.join(parts)}</body></html>\n"
    )


def _bars(
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    xlabel: str,
) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.45 * len(labels) + 1))
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    err = [
        [
            max(v - lo, 0.0) if math.isfinite(lo) else 0.0
            for v, lo in zip(values, lows, strict=True)
        ],
        [
            max(hi - v, 0.0) if math.isfinite(hi) else 0.0
            for v, hi in zip(values, highs, strict=True)
        ],
    ]
    ax.barh(ys, values, xerr=err, color="#4c72b0", capsize=3)
    ax.set_yticks(ys, labels)
    ax.set_xlabel(xlabel)
    return _png(fig)


def _best_section(res: Any) -> list[str]:
    """The winner against the input scenario, or why there is none."""
    if res.best is None:
        return [
            "<p><b>No feasible policy</b>: no candidate met every constraint on its "
            "confidence bound.</p>"
        ]
    rows = [
        [
            m,
            v["input"]["mean"],
            v["best"]["mean"],
            f"{_num(v['difference']['mean'])} [{_num(v['difference']['ci_low'])}, "
            f"{_num(v['difference']['ci_high'])}]",
        ]
        for m, v in res.versus_input.items()
    ]
    return [
        "<h2>Best against the input (paired by replication)</h2>",
        _table(["parameter", "value"], list(res.best["params"].items())),
        _table(["metric", "input", "best", "best - input (95% CI)"], rows),
    ]


def _trials_plot(res: Any) -> str | None:
    """The trials on the first objective against the second (or the first constrained
    metric), feasible or not, with the raced front; None with nothing to plot against."""
    from matplotlib.figure import Figure

    first = res.objectives[0]
    second = (
        res.objectives[1]
        if len(res.objectives) > 1
        else (res.constraints[0].metric if res.constraints else None)
    )
    if second is None:
        return None
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    for feasible, colour, label in (
        (False, "#bbbbbb", "infeasible"),
        (True, "#4c72b0", "feasible"),
    ):
        pts = [t for t in res.trials if t["feasible"] == feasible]
        ax.scatter([t[first] for t in pts], [t[second] for t in pts], c=colour, label=label)
    ax.scatter(
        [t[first] for t in res.front],
        [t[second] for t in res.front],
        marker="*",
        s=160,
        c="#dd8452",
        label="front (raced)",
    )
    for c in res.constraints:
        if c.metric == second:
            ax.axhline(c.bound, color="#c44e52", linestyle="--", label=c.text)
    ax.set_xlabel(first)
    ax.set_ylabel(second)
    ax.legend()
    return "<h2>Trials</h2>" + _png(fig)


def optimize_page(res: Any) -> str:
    """The optimize report: winner against the input, the front, importances, trials."""
    parts = [
        f"<p>{len(res.trials)} trials of {res.reps} replications (seed {res.base_seed}); "
        f"constraints on the 95% CI bound: "
        f"{html.escape(', '.join(c.text for c in res.constraints) or 'none')}.</p>",
        *_best_section(res),
    ]
    plot = _trials_plot(res)
    if plot is not None:
        parts.append(plot)
    if res.importances:
        names = list(res.importances)
        vals = [res.importances[n] for n in names]
        parts.append(
            "<h2>Parameter importances (first objective)</h2>"
            + _bars(names, vals, vals, vals, "importance")
        )
    return _page(f"optimize {Path(res.scenario).name}", parts)


def sensitivity_page(res: Any) -> str:
    """Ranked indices with their 95% bootstrap intervals, one chart per metric."""
    main = res.main_index
    parts = [
        f"<p>{res.method}, {res.samples} samples, {res.reps} replications per point "
        f"(seed {res.base_seed}); bars: {main} with 95% bootstrap intervals.</p>"
    ]
    for m in res.metrics:
        if m in res.skipped:
            parts.append(f"<h2>{html.escape(m)}</h2><p>skipped: {html.escape(res.skipped[m])}</p>")
            continue
        rows = [res.index(m, p) for p in res.ranking(m)]
        parts.append(
            f"<h2>{html.escape(m)}</h2>"
            + _bars(
                [r["parameter"] for r in rows],
                [r["value"] for r in rows],
                [r["ci_low"] for r in rows],
                [r["ci_high"] for r in rows],
                main,
            )
        )
    return _page(f"sensitivity {Path(res.scenario).name}", parts)


def calibration_page(res: Any) -> str:
    """Targets against the fit (mean and 95% CI) and the fitted values."""
    from matplotlib.figure import Figure

    parts = [_table(["parameter", "fitted value"], list(res.params.items()))]
    rows = [
        [
            r["metric"],
            r["target"],
            r["tolerance"],
            r["mean"],
            f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]",
            "yes" if r["within"] else "NO",
        ]
        for r in res.fit
    ]
    parts.append(_table(["metric", "target", "tolerance", "fit", "95% CI", "within"], rows))
    if res.fit:
        fig = Figure(figsize=(7, 0.8 * len(res.fit) + 1))
        axes = fig.subplots(len(res.fit), 1, squeeze=False)
        for ax, r in zip(axes[:, 0], res.fit, strict=True):
            ax.axvspan(
                r["target"] - r["tolerance"],
                r["target"] + r["tolerance"],
                color="#55a868",
                alpha=0.3,
            )
            lo = r["mean"] - r["ci_low"] if math.isfinite(r["ci_low"]) else 0.0
            hi = r["ci_high"] - r["mean"] if math.isfinite(r["ci_high"]) else 0.0
            ax.errorbar([r["mean"]], [0], xerr=[[lo], [hi]], fmt="o", color="#4c72b0", capsize=4)
            ax.set_yticks([])
            ax.set_title(r["metric"], fontsize=9, loc="left")
        fig.tight_layout()
        parts.append("<h2>Targets (band) against the fit (point, 95% CI)</h2>" + _png(fig))
    return _page(f"calibrate {Path(res.scenario).name}", parts)
