"""``render_report``: any run, compare or sweep folder in, report.html + summary.md + PNGs out."""

from __future__ import annotations

import math
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports import markdown, plots, tables
from reports.load import ReportData, load
from reports.wording import headline_metrics

TEMPLATES = Path(__file__).with_name("templates")
TRANSPOSE_OVER = 4
REPORT_FILE = "report.html"
SUMMARY_FILE = "summary.md"


def _exact(value: float | None) -> str:
    """A float as its shortest exact text (what json.dumps writes), empty when absent."""
    if value is None or not math.isfinite(value):
        return ""
    return repr(float(value))


def environment() -> Environment:
    """The Jinja environment: templates beside this module, autoescape on."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["exact"] = _exact
    return env


def render_html(
    data: ReportData,
    table: tables.Headline,
    verdicts: list[tuple[str, str]],
    params: list[tuple[str, list[str]]],
    figures: list[plots.Plot],
) -> str:
    """The self-contained report page."""
    kind = {"run": "Single run", "compare": "Comparison", "sweep": "Sweep"}[data.kind]
    template = environment().get_template("report.html.j2")
    return template.render(
        title=markdown.title(data),
        version=str(data.provenance.get("version") or ""),
        kind_text=kind,
        reps_text=markdown.reps_text(data),
        compared=data.kind != "run" and len(data.labels) > 1,
        verdicts=verdicts,
        marks=tables.MARKS,
        table=table,
        transpose=len(table.labels) > TRANSPOSE_OVER,
        row_name="design point" if data.kind == "sweep" else "strategy",
        params=params,
        all_params=tables.scenario_rows(data) if data.kind == "run" else [],
        plots=figures,
        provenance=markdown.provenance_lines(data),
    )


def render_report(out_dir: Path) -> Path:
    """Render the report of the run, compare or sweep folder ``out_dir`` into it.

    Writes ``report.html`` (self-contained), ``summary.md`` and ``fig_*.png`` beside
    them, and returns the path of ``report.html``. Raises ``ReportError`` for a folder
    that is none of the three kinds.
    """
    out_dir = Path(out_dir)
    data = load(out_dir)
    metrics = headline_metrics()
    table = tables.headline(data, metrics)
    verdicts = tables.verdicts(data, metrics)
    params = tables.parameter_differences(data) if len(data.labels) > 1 else []
    figures = plots.draw_all(data, out_dir, metrics)
    html = render_html(data, table, verdicts, params, figures)
    report = out_dir / REPORT_FILE
    report.write_text(html, encoding="utf-8")
    md = markdown.render_markdown(data, table, verdicts, params, [p.filename for p in figures])
    (out_dir / SUMMARY_FILE).write_text(md, encoding="utf-8")
    return report
