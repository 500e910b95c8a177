"""``takedown run``: simulate one scenario once and write its outputs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sim.cli.common import SetOpt, fail, number


def run(
    file: Annotated[
        Path, typer.Argument(help="Scenario TOML file, or a shipped name (takedown scenarios).")
    ],
    seed: Annotated[
        int | None, typer.Option(help="Root seed (drawn and recorded when omitted).", min=0)
    ] = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: out/run-<scenario name>-<seed>)."),
    ] = None,
    events: Annotated[
        Path | None, typer.Option(help="Also write the per-listing event log to this .parquet.")
    ] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not render a report.")] = False,
) -> None:
    """Simulate a scenario once; print headline metrics and where the outputs went."""
    from sim.model import run as simulate
    from sim.outputs import write_run
    from sim.rng import draw_seed
    from sim.scenario import load_scenario

    scenario = load_scenario(file, set_ or ())
    _check_events(events)
    seed = draw_seed() if seed is None else seed
    result = _simulate(simulate, scenario, seed, events is not None)
    folder = out or Path("out") / f"run-{scenario.scenario.name}-{seed}"
    try:
        write_run(result, folder, events)
    except OSError as exc:
        fail(f"cannot write {exc.filename or folder}: {exc.strerror}")
    _print_table(result, folder, events)
    if not no_report:
        from sim.cli.report import report_or_warn

        report = report_or_warn(folder)
        if report is not None:
            typer.echo(f"report: {report}")


def _check_events(events: Path | None) -> None:
    if events is not None and events.suffix != ".parquet":
        fail(f"--events: bad value {str(events)!r}: expected a .parquet file")
    if events is not None and not events.parent.is_dir():
        fail(f"--events: folder {str(events.parent)!r} does not exist")


def _simulate(simulate: Any, scenario: Any, seed: int, events: bool) -> Any:
    """Run with a rich progress bar on a terminal, quietly otherwise."""
    if not sys.stderr.isatty():
        return simulate(scenario, seed, events=events)
    from rich.progress import Progress

    days = scenario.scenario.horizon_days
    name = scenario.scenario.name

    def show(fraction: float, fakes: int) -> None:
        text = f"simulating {name}: day {fraction * days:,.0f}/{days:,.0f}, {fakes:,} fakes"
        bar.update(task, completed=fraction, description=text)

    with Progress(transient=True) as bar:
        task = bar.add_task(f"simulating {name}", total=1.0)
        return simulate(scenario, seed, events=events, progress=show)


def _print_table(result: Any, folder: Path, events: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from sim.contract import SUMMARY_METRICS

    name = result.scenario.scenario.name
    table = Table(title=f"{name} (seed {result.seed})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for metric in SUMMARY_METRICS:
        value = result.metrics[metric]
        table.add_row(metric, "n/a" if value != value else number(value))
    console = Console()
    console.print(table)
    # plain lines, never wrapped, so scripts can pick the paths up
    for part in ("summary.json", "daily.csv", "notices.csv"):
        typer.echo(f"wrote {folder / part}")
    if events is not None:
        typer.echo(f"wrote {events}")
