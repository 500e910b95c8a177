"""``summary.md``: the headline table and verdicts in Markdown, for a pull request or ticket."""

from __future__ import annotations

from collections.abc import Sequence

from reports.load import ReportData
from reports.tables import Cell, Headline

ICONS = {"better": "▲", "worse": "▼", "changed": "◆", "same": ""}


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def cell_text(cell: Cell, with_diff: bool) -> str:
    """``mean (low – high)`` plus ``Δ diff ▲`` when the strategy is compared."""
    text = cell.mean_text
    if cell.ci_text:
        text += f" ({cell.ci_text})"
    if with_diff and cell.diff_text:
        icon = ICONS[cell.judgement]
        text += f"<br>Δ {cell.diff_text}{' ' + icon if icon else ''}"
    return _escape(text)


def headline_table(table: Headline) -> list[str]:
    """The headline as a pipe table: metrics as rows, strategies as columns."""
    head = [
        "metric",
        *[
            f"{lbl} (baseline)" if lbl == table.baseline and len(table.labels) > 1 else lbl
            for lbl in table.labels
        ],
    ]
    lines = ["| " + " | ".join(_escape(h) for h in head) + " |", "|" + "---|" * len(head)]
    for metric in table.metrics:
        row = [table.metric_label(metric)]
        for label in table.labels:
            row.append(cell_text(table.cells[metric][label], label != table.baseline))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def render_markdown(
    data: ReportData,
    table: Headline,
    verdicts: Sequence[tuple[str, str]],
    params: Sequence[tuple[str, list[str]]],
    plot_files: Sequence[str],
) -> str:
    """The whole ``summary.md``."""
    kind = {"run": "single run", "compare": "comparison", "sweep": "sweep"}[data.kind]
    lines = [
        f"# {title(data)}",
        "",
        f"{kind.capitalize()}, {reps_text(data)}. "
        "Values are means with 95% confidence intervals; Δ is the difference to the "
        "baseline, ▲/▼ marks a significant improvement/worsening.",
        "",
    ]
    if verdicts:
        lines += ["## Verdicts", ""]
        lines += [f"- {ICONS[j] + ' ' if ICONS[j] else ''}{text}" for j, text in verdicts]
        lines.append("")
    lines += ["## Headline", "", *headline_table(table), ""]
    if params:
        lines += [
            "## Parameters that differ",
            "",
            "| parameter | " + " | ".join(_escape(lbl) for lbl in data.labels) + " |",
            "|" + "---|" * (len(data.labels) + 1),
        ]
        lines += [f"| `{k}` | " + " | ".join(_escape(v) for v in vals) + " |" for k, vals in params]
        lines.append("")
    lines += ["## Provenance", ""]
    lines += [f"- {k}: {v}" for k, v in provenance_lines(data)]
    if plot_files:
        lines += ["", "Plots: " + ", ".join(f"[{f}]({f})" for f in plot_files)]
    return "\n".join(lines) + "\n"


def title(data: ReportData) -> str:
    """The report's title line."""
    if data.kind == "run":
        return f"Run report: {data.labels[0]}"
    if data.kind == "sweep":
        return f"Sweep report: {', '.join(data.sweep_params) or 'parameters'}"
    return f"Comparison report: {' vs '.join(data.labels)}"


def reps_text(data: ReportData) -> str:
    """``5 replications each`` or ``one replication``."""
    if data.kind == "run":
        return "one replication (no confidence intervals)"
    return f"{data.reps} replications per {'point' if data.kind == 'sweep' else 'strategy'}"


def provenance_lines(data: ReportData) -> list[tuple[str, str]]:
    """(name, value) pairs of the provenance, in a fixed order, empty ones left out."""
    prov = data.provenance
    rows: list[tuple[str, str]] = []
    for key, name in (
        ("version", "version"),
        ("command", "command line"),
        ("files", "scenario files"),
        ("backend", "backend"),
        ("base_seed", "base seed"),
        ("seeds", "seeds"),
    ):
        value = prov.get(key)
        if value in (None, "", [], {}):
            continue
        rows.append((name, _show(value)))
    rows.append(("folder", data.folder.name))
    return rows


def _show(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)
