"""``summary.md``: the headline table and verdicts in Markdown, for a pull request or ticket."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from reports.load import ReportData
from reports.tables import MARKS, Cell, Headline, descriptions, scorecard, swept_rows


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def cell_text(cell: Cell, with_diff: bool) -> str:
    """``mean (low – high)`` plus ``Δ diff ▲`` when the strategy is compared."""
    text = cell.mean_text
    if cell.ci_text:
        text += f" ({cell.ci_text})"
    if with_diff and cell.diff_text:
        icon = MARKS[cell.judgement]
        text += f"<br>Δ {cell.diff_text}{' ' + icon if icon else ''}"
    return _escape(text)


def headline_table(table: Headline, transpose: bool = False) -> list[str]:
    """The headline as a pipe table: metrics as rows and strategies as columns, or (for
    many sweep points) points as rows."""
    if transpose:
        return _transposed(table)
    head = ["metric"]
    for lbl in table.labels:
        base = lbl == table.baseline and len(table.labels) > 1
        head.append(f"{table.names[lbl]} (baseline)" if base else table.names[lbl])
    lines = ["| " + " | ".join(_escape(h) for h in head) + " |", "|" + "---|" * len(head)]
    for metric in table.metrics:
        row = [table.metric_label(metric)]
        for label in table.labels:
            row.append(cell_text(table.cells[metric][label], label != table.baseline))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _transposed(table: Headline) -> list[str]:
    first = table.param_names or ["point"]
    head = [*first, *(table.metric_label(m) for m in table.metrics)]
    lines = ["| " + " | ".join(_escape(h) for h in head) + " |", "|" + "---|" * len(head)]
    for label in table.labels:
        ids = table.param_values[label] if table.param_names else [table.names[label]]
        if label == table.baseline:
            ids = [f"**{v}**" for v in ids]
        cells = [cell_text(table.cells[m][label], label != table.baseline) for m in table.metrics]
        lines.append("| " + " | ".join([*map(_escape, ids), *cells]) + " |")
    return lines


def render_markdown(
    data: ReportData,
    table: Headline,
    verdicts: Sequence[tuple[str, str]],
    params: Sequence[tuple[str, list[str]]],
    plot_files: Sequence[str],
    lead: str = "",
    transpose: bool = False,
    warning: str = "",
) -> str:
    """The whole ``summary.md``."""
    lines = [f"# {title(data)}", "", lead, ""]
    described = descriptions(data)
    if described:
        lines += [f"- **{name}**: {text}" for name, text in described] + [""]
    if warning:
        lines += [f"> **Warning:** {warning}", ""]
    if len(data.labels) > 1:
        lines += [
            "Δ is the difference to the baseline; ▲/▼ mark a significant improvement or "
            "worsening, ◆ a significant change where neither direction is better.",
            "",
        ]
    if verdicts:
        lines += ["## " + ("Where each metric is best" if data.kind == "sweep" else "Verdicts")]
        lines.append("")
        for line in scorecard(data, table.metrics):
            lines += [f"**{line}**", ""]
        lines += [f"- {MARKS[j] + ' ' if MARKS[j] else ''}{text}" for j, text in verdicts]
        lines.append("")
    lines += ["## Headline", "", *headline_table(table, transpose), ""]
    if data.kind == "sweep":
        lines += ["## Swept parameters", ""]
        lines += [f"- `{k}`: {', '.join(v)}" for k, v in swept_rows(data)]
        lines.append("")
    elif params:
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
        if key == "command" and isinstance(value, list | tuple):
            rows.append((name, shlex.join(str(v) for v in value)))
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
