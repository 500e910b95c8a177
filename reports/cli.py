"""The ``takedown report`` command (registered in sim/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    folder: Annotated[
        Path, typer.Argument(help="A run, compare or sweep output folder to render.")
    ],
) -> None:
    """Render report.html, summary.md and PNG plots into FOLDER and print the report's path."""
    from reports.load import ReportError
    from reports.render import render_report
    from sim.cli import fail

    try:
        path = render_report(folder)
    except ReportError as exc:
        fail(str(exc))
    typer.echo(str(path))


def report_or_warn(folder: Path) -> Path | None:
    """For commands that end with a report: render it, or say in one line why not.

    A failed report never fails the run that produced the results.
    """
    from reports.load import ReportError
    from reports.render import render_report

    try:
        return render_report(folder)
    except (ReportError, OSError, ValueError) as exc:
        typer.echo(f"warning: no report: {exc}", err=True)
        return None
