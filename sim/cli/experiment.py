"""The ``compare``, ``sweep`` and ``check`` commands: parse, call sim.experiment or
sim.regression, render. Heavy imports stay inside the commands so ``--help`` is fast."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sim.cli.common import SetOpt, fail, number

if TYPE_CHECKING:
    from sim.experiment import ExperimentOptions, ExperimentResult, ProgressEvent
    from sim.regression import CheckReport

RepsOpt = Annotated[
    str, typer.Option("--reps", help="Replications per scenario: a number, or 'auto'.")
]
PrecisionOpt = Annotated[
    float,
    typer.Option(help="With --reps auto: target CI half-width relative to the mean."),
]
MaxRepsOpt = Annotated[int, typer.Option(help="With --reps auto: stop after this many.")]
SeedOpt = Annotated[
    int | None, typer.Option(help="Base seed; replication i uses a seed derived from it and i.")
]
JobsOpt = Annotated[
    int | None, typer.Option("--jobs", "-j", help="Worker processes (default: all cores).")
]
DaskOpt = Annotated[
    str | None,
    typer.Option(help="Run on Dask: 'local' starts a LocalCluster, or tcp://host:port."),
]
DEFAULT_CHECK_REPS = 8  # sim.regression.DEFAULT_REPS, kept here so --help stays light
NoReportOpt = Annotated[bool, typer.Option("--no-report", help="Do not render a report.")]


def _parse_reps(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        fail(f"--reps {text!r}: expected a whole number >= 1 or 'auto'")
    if value < 1:
        fail(f"--reps {value}: must be at least 1 (or 'auto')")
    return value


@contextmanager
def _progress() -> Iterator[Callable[[ProgressEvent], None]]:
    """Replications done, as a bar on a terminal or one line each on stderr."""
    from sim.cli.progress import stage_progress

    with stage_progress("replications") as show:

        def update(ev: ProgressEvent) -> None:
            line = f"[{ev.done}/{ev.total}] {ev.label} rep {ev.rep} done in {ev.wall_s:.1f} s"
            show("runs", ev.done, ev.total, line)

        yield update


def _print_result(result: ExperimentResult) -> None:
    from rich.console import Console
    from rich.table import Table

    from sim.contract import SUMMARY_METRICS

    table = Table(title=f"{result.kind}: {result.reps} replications, 95% CI")
    table.add_column("metric", no_wrap=True)
    for label in result.labels:
        table.add_column(label, justify="right")
    for label in result.labels[1:]:
        table.add_column(f"{label} - {result.labels[0]}", justify="right")
    for m in (m for m in SUMMARY_METRICS if m in result.metric_names):
        cells = []
        for label in result.labels:
            iv = result.interval(m, label)
            cells.append(f"{number(iv.mean)} [{number(iv.ci_low)}, {number(iv.ci_high)}]")
        for label in result.labels[1:]:
            d = result.difference(m, label)
            star = " *" if d.significant else ""
            cells.append(f"{number(d.mean)} [{number(d.ci_low)}, {number(d.ci_high)}]{star}")
        table.add_row(m, *cells)
    # off a terminal rich would squeeze the table into 80 columns and cut metric names
    Console(width=None if sys.stdout.isatty() else 200).print(table)
    if len(result.labels) > 1:
        typer.echo("* paired difference significant (CI excludes 0)")


def _render_report(out: Path, no_report: bool) -> None:
    """Render the folder's report; a failed report warns and never fails the experiment."""
    if no_report:
        return
    from sim.cli.report import report_or_warn

    path = report_or_warn(out)
    if path is not None:
        typer.echo(f"report: {path}")


def _command_line(head: list[str], options: ExperimentOptions) -> tuple[str, ...]:
    """The invocation rebuilt from the parsed options (provenance)."""
    words = ["takedown", *head]
    for name in ("reps", "precision", "max_reps", "seed", "jobs", "dask", "overrides"):
        value = getattr(options, name)
        flag = "--set" if name == "overrides" else "--" + name.replace("_", "-")
        for item in value if isinstance(value, tuple) else [] if value is None else [value]:
            words += [flag, str(item)]
    return (*words, "--out", str(options.out_dir))


def _options(out: Path, reps: str, set_: list[str] | None, **fields: Any) -> ExperimentOptions:
    from sim.experiment import ExperimentOptions

    return ExperimentOptions(
        reps=_parse_reps(reps), overrides=tuple(set_ or ()), out_dir=out, **fields
    )


def _run_experiment(
    run: Callable[..., ExperimentResult], head: list[str], opts: ExperimentOptions
) -> None:
    """Call compare/sweep with a progress display; Ctrl-C keeps what finished (exit 130)."""
    from sim.experiment import ExperimentInterrupted

    opts = opts.with_(command=_command_line(head, opts))
    try:
        with _progress() as progress:
            result = run(options=opts, progress=progress)
    except ExperimentInterrupted as exc:
        typer.echo(
            f"interrupted: {len(exc.result.rows)} finished replications kept in {opts.out_dir}",
            err=True,
        )
        raise typer.Exit(130) from None
    _print_result(result)
    typer.echo(
        f"wrote {opts.out_dir} ({len(result.rows)} runs, {result.wall_s:.1f} s, {result.backend})"
    )


def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(help="Scenario files or shipped names; the first is the reference."),
    ],
    reps: RepsOpt = "10",
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/compare"),
    precision: PrecisionOpt = 0.05,
    max_reps: MaxRepsOpt = 50,
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    dask: DaskOpt = None,
    set_: SetOpt = None,
    no_report: NoReportOpt = False,
) -> None:
    """Replicate scenarios with common random numbers; paired differences vs the first."""
    from functools import partial

    from sim.experiment import compare as run_compare

    opts = _options(
        out, reps, set_, precision=precision, max_reps=max_reps, seed=seed, jobs=jobs, dask=dask
    )
    head = ["compare", *map(str, scenarios)]
    _run_experiment(partial(run_compare, scenarios), head, opts)
    _render_report(out, no_report)


def sweep(
    scenario: Annotated[Path, typer.Argument(help="The scenario TOML file to vary.")],
    grid: Annotated[
        list[str],
        typer.Option(help="dotted.key=v1,v2,v3 or dotted.key=lo:hi:n (repeatable)."),
    ],
    reps: RepsOpt = "5",
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/sweep"),
    precision: PrecisionOpt = 0.05,
    max_reps: MaxRepsOpt = 50,
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    dask: DaskOpt = None,
    set_: SetOpt = None,
    no_report: NoReportOpt = False,
) -> None:
    """Full factorial sweep over --grid values, each point replicated."""
    from functools import partial

    from sim.experiment import sweep as run_sweep

    opts = _options(
        out, reps, set_, precision=precision, max_reps=max_reps, seed=seed, jobs=jobs, dask=dask
    )
    head = ["sweep", str(scenario), *(w for g in grid for w in ("--grid", g))]
    _run_experiment(partial(run_sweep, scenario, grid), head, opts)
    _render_report(out, no_report)


def _print_check(report: CheckReport, explain: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from sim.regression import render

    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    console = Console(width=None if sys.stdout.isatty() else 200)
    table = Table(title="regression gate: shift of each headline metric from its baseline")
    for col in render.COLUMNS:
        table.add_column(col, justify="left" if col in render.COLUMNS[:4] else "right")
    for c in report.checks:
        table.add_row(*render.cells(c))
    console.print(table)
    if explain:
        table = Table(title="power: what the baselines' replications can detect")
        for col in render.EXPLAIN_COLUMNS:
            table.add_column(col, justify="left" if col in ("scenario", "metric") else "right")
        for c in report.checks:
            table.add_row(*render.explain_cells(c))
        console.print(table)
        typer.echo(render.EXPLANATION)
    if report.passed:
        typer.echo(f"{render.summary(report)} ({report.wall_s:.1f} s)")
        return
    typer.echo(render.summary(report), err=True)
    typer.echo(f"failing: {', '.join(f'{c.scenario} {c.metric}' for c in report.failed)}", err=True)
    typer.echo(
        "if the change is intended, rewrite the baselines: takedown check --update", err=True
    )


def _parse_margins(items: list[str] | None) -> dict[str, float]:
    margins = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        try:
            margins[name.strip()] = float(text)
        except ValueError:
            sep = ""
        if not sep:
            fail(f"--margin {item!r}: expected METRIC=NUMBER")
    return margins


def _write(path: Path | None, text: str) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def check(
    scenarios: Annotated[
        list[Path] | None,
        typer.Argument(help="Scenario files or shipped names (default: every baseline)."),
    ] = None,
    update: Annotated[bool, typer.Option(help="Rewrite the baselines on purpose.")] = False,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    markdown: Annotated[
        Path | None, typer.Option(help="Write a Markdown summary (for a pull request) here.")
    ] = None,
    explain: Annotated[
        bool, typer.Option(help="Also print each metric's power and the replications needed.")
    ] = False,
    baselines: Annotated[
        Path | None,
        typer.Option(
            help="Baseline folder (default: reports/baselines here if present, else the package's)."
        ),
    ] = None,
    reps: Annotated[
        int, typer.Option(min=2, help="With --update: replications per baseline.")
    ] = DEFAULT_CHECK_REPS,
    margin: Annotated[
        list[str] | None,
        typer.Option(help="With --update: METRIC=SHIFT that matters (repeatable; kept)."),
    ] = None,
    alpha: Annotated[
        float, typer.Option(min=0.0001, max=0.5, help="With --update: family-wise alpha.")
    ] = 0.05,
    force: Annotated[
        bool, typer.Option(help="With --update: write despite uncommitted scenario changes.")
    ] = False,
    jobs: JobsOpt = None,
    set_: SetOpt = None,
) -> None:
    """Regression gate: rerun the baselines' seeds; exit 1 if a headline metric
    shifted beyond its margin (Holm-corrected tests, 5% family-wise false-alarm rate)."""
    from sim.regression import GateSettings, junit_xml
    from sim.regression import markdown as to_markdown

    where = (scenarios or [], baselines, set_ or [], jobs)
    if update:
        settings = GateSettings(alpha=alpha)
        margins = _parse_margins(margin)
        report = _run_gate(*where, dict(reps=reps, settings=settings, margins=margins, force=force))
        for note in report.notes:
            typer.echo(f"note: {note}", err=True)
        for line in [*report.moves, *(f"baseline written: {p}" for p in report.updated)]:
            typer.echo(line)
        return
    report = _run_gate(*where, None)
    _write(junit, junit_xml(report))
    _write(markdown, to_markdown(report))
    _print_check(report, explain)
    if not report.passed:
        raise typer.Exit(1)


def _run_gate(
    scenarios: list[Path],
    baselines: Path | None,
    overrides: list[str],
    jobs: int | None,
    update: dict[str, Any] | None,
) -> CheckReport:
    """Check (or with ``update``, rewrite) the baselines; user mistakes (a UserError) are
    reported by main() and exit 2."""
    from sim.regression import check as run_check
    from sim.regression import update as run_update
    from sim.regression.locate import default_baselines_dir

    where = baselines or default_baselines_dir()
    if update is not None:
        return run_update(scenarios, baselines_dir=where, overrides=overrides, jobs=jobs, **update)
    return run_check(scenarios, baselines_dir=where, overrides=overrides, jobs=jobs)
