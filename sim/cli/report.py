"""The ``takedown report`` command (registered in sim.cli)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer


def report(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A run, compare, sweep, loadtest, optimize, sensitivity or calibrate "
            "output folder."
        ),
    ],
) -> None:
    """Render report.html, summary.md and PNG plots into FOLDER and print the report's path.

    A load-test folder gets e2e latency over time and its percentile spectrum per
    programme, request latency per name, achieved against target arrivals, drops,
    unfinished notices and the gates' verdicts. An optimize, sensitivity or calibrate
    folder gets its page drawn again from its files (report.html only).
    """
    from reports.render import render_report

    typer.echo(str(render_report(folder)))


def report_or_warn(folder: Path, command: Sequence[str] | None = None) -> Path | None:
    """For commands that end with a report: render it, or say in one line why not.

    ``command`` (default: this process's command line) is kept in the folder's
    provenance.json so the report, and any later re-render, can name it. A failed
    report never fails the run that produced the results.
    """
    from reports.load import ReportError, write_provenance
    from reports.render import render_report

    try:
        write_provenance(folder, command or ["takedown", *sys.argv[1:]])
        return render_report(folder)
    except (ReportError, OSError, ValueError) as exc:
        typer.echo(f"warning: no report: {exc}", err=True)
        return None
