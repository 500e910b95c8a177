"""``render_report``: a run, compare, sweep or load-test folder in, report.html +
summary.md + PNGs out."""

from __future__ import annotations

import math
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports import markdown, plots, tables
from reports.decide_load import decision_kind, render_decision
from reports.load import ReportData, load
from reports.loadtest_data import is_loadtest
from reports.wording import headline_metrics

TEMPLATES = Path(__file__).with_name("templates")
TRANSPOSE_OVER = 4
FEW_REPS = 5
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


def lead(data: ReportData) -> str:
    """The sentence under the title: what was run and how to read the numbers."""
    if data.kind == "run":
        return (
            f"One run of {data.labels[0]} (seed {data.runs[0].seed}); a single replication, "
            "so no confidence intervals. Use takedown compare for replicated comparisons."
        )
    unit = "design point" if data.kind == "sweep" else "strategy"
    text = f"{data.reps} replications per {unit}. Values are means with 95% confidence intervals"
    if len(data.labels) > 1:
        ref = "reference point" if data.kind == "sweep" else "baseline"
        text += (
            f"; differences are paired (common random numbers) against the {ref} "
            f"{data.name(data.baseline)}"
        )
    text += "."
    if data.reps < FEW_REPS:
        text += (
            f" With only {data.reps} replications the intervals are wide (they may even run "
            "past what a share or a count can take); use more replications before deciding."
        )
    return text


def warning(data: ReportData) -> str:
    """A caution for an interrupted experiment (its intervals rest on fewer runs)."""
    if not data.provenance.get("interrupted"):
        return ""
    done = data.provenance.get("runs_finished")
    runs = f" after {done} runs" if done is not None else ""
    return (
        f"This experiment was interrupted{runs}: results cover only the replications "
        "that finished, and their intervals are wider than planned."
    )


def render_html(
    data: ReportData,
    tables_: tuple[tables.Headline, tables.Headline],
    verdicts: list[tuple[str, str]],
    params: list[tuple[str, list[str]]],
    figures: list[plots.Plot],
) -> str:
    """The self-contained report page."""
    table, more = tables_
    template = environment().get_template("report.html.j2")
    return template.render(
        title=markdown.title(data),
        version=str(data.provenance.get("version") or ""),
        kind=data.kind,
        lead=lead(data),
        warning=warning(data),
        described=tables.descriptions(data),
        compared=data.kind != "run" and len(data.labels) > 1,
        verdicts=verdicts,
        scorecard=tables.scorecard(data, table.metrics),
        icons=tables.MARKS,
        table=table,
        more_table=more,
        transpose=len(table.labels) > TRANSPOSE_OVER,
        row_name="design point" if data.kind == "sweep" else "strategy",
        baseline_name=data.name(data.baseline),
        params=params,
        swept=tables.swept_rows(data),
        all_params=tables.scenario_rows(data) if data.kind != "sweep" else [],
        all_params_of=data.labels[0],
        plots=figures,
        provenance=markdown.provenance_lines(data),
    )


def render_report(out_dir: Path) -> Path:
    """Render the report of the run, compare, sweep or load-test folder ``out_dir`` into it
    (an optimize, sensitivity or calibrate folder gets its one page: ``render_decision``).

    Writes ``report.html`` (self-contained), ``summary.md`` and ``fig_*.png`` beside
    them, and returns the path of ``report.html``. A folder holding ``loadtest.json`` gets
    the load-test report (``reports.loadtest_report``). Raises ``ReportError`` for a
    folder that is none of these kinds.
    """
    out_dir = Path(out_dir)
    if decision_kind(out_dir) is not None:  # optimize, sensitivity or calibrate
        return render_decision(out_dir)
    if is_loadtest(out_dir):
        from reports.loadtest_report import render_loadtest_report  # it imports this module

        return render_loadtest_report(out_dir)
    data = load(out_dir)
    metrics = headline_metrics()
    table = tables.headline(data, metrics)
    others = [m for m in data.stats if m not in table.metrics]
    more = tables.headline(data, others)
    verdicts = tables.verdicts(data, metrics)
    params = tables.parameter_differences(data) if len(data.labels) > 1 else []
    figures = plots.draw_all(data, out_dir, metrics)
    html = render_html(data, (table, more), verdicts, params, figures)
    report = out_dir / REPORT_FILE
    report.write_text(html, encoding="utf-8")
    files = [p.filename for p in figures]
    transpose = len(table.labels) > TRANSPOSE_OVER
    md = markdown.render_markdown(
        data, table, verdicts, params, files, lead(data), transpose, warning(data)
    )
    (out_dir / SUMMARY_FILE).write_text(md, encoding="utf-8")
    return report
