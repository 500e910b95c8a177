"""The ``optimize``, ``sensitivity`` and ``calibrate`` commands: parse, call sim.decide,
print. Heavy imports stay inside the commands so ``--help`` is fast."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from sim.cli.common import SetOpt, fail, number

if TYPE_CHECKING:
    from sim.decide.calibrate import CalibrationResult
    from sim.decide.optimize import OptimizeResult

T = TypeVar("T")

SpaceOpt = Annotated[
    Path, typer.Option("--space", help="Search-space TOML: dotted paths with ranges or choices.")
]
SeedOpt = Annotated[
    int | None, typer.Option(help="Base seed: sampler and replication seeds derive from it.")
]
JobsOpt = Annotated[
    int | None, typer.Option("--jobs", "-j", help="Worker processes (default: all cores).")
]
DaskOpt = Annotated[
    str | None,
    typer.Option(help="Run on Dask: 'local' starts a LocalCluster, or tcp://host:port."),
]
RaceOpt = Annotated[int, typer.Option(help="Candidates that get more replications at the end.")]
RaceRepsOpt = Annotated[
    int | None, typer.Option(help="Replications of raced candidates (default: twice --reps).")
]
BatchOpt = Annotated[
    int, typer.Option(help="Trials proposed together (the trials depend on it, not on --jobs).")
]

# optimize
OptimizeScenarioArg = Annotated[Path, typer.Argument(help="The scenario TOML file to improve.")]
MinimizeOpt = Annotated[
    list[str] | None, typer.Option(help="Metric to minimise (repeat: a Pareto front).")
]
MaximizeOpt = Annotated[list[str] | None, typer.Option(help="Metric to maximise (repeatable).")]
ConstraintOpt = Annotated[
    list[str] | None,
    typer.Option(help="'metric >= x' or 'metric <= x', to hold on the 95% CI bound."),
]
OptimizeTrialsOpt = Annotated[
    int, typer.Option(help="Trials in the study (in total, with --storage).")
]
OptimizeRepsOpt = Annotated[
    str, typer.Option(help="Replications per trial, or 'auto' (3, raced up to 12).")
]
StorageOpt = Annotated[
    str | None,
    typer.Option(
        help="Optuna storage URL (sqlite:///study.db, postgresql://...): share "
        "one study between processes and resume a stopped one."
    ),
]
StudyNameOpt = Annotated[
    str | None, typer.Option(help="Study name in --storage (default: SCENARIO-optimize).")
]
OptimizeOutOpt = Annotated[Path, typer.Option(help="Output folder.")]


def _show(value: Any) -> str:
    """A parameter value as written in a scenario (a list choice as [a, b], not (a, b))."""
    from sim.decide.space import toml_value

    return toml_value(value) if isinstance(value, tuple) else str(value)


def _console() -> Any:
    from rich.console import Console

    # off a terminal rich would squeeze tables into 80 columns and cut metric names
    return Console(width=None if sys.stdout.isatty() else 200)


def _command_line(name: str, out: Path, kwargs: dict[str, Any]) -> list[str]:
    """The invocation rebuilt from the parsed options (provenance)."""
    words = ["takedown", name, str(kwargs.get("scenario"))]
    for key, value in kwargs.items():
        if key == "scenario" or value is None or value == ():
            continue
        flag = "--set" if key == "overrides" else "--" + key.replace("_", "-")
        for item in value if isinstance(value, list | tuple) else [value]:
            words += [flag, str(item)]
    return [*words, "--out", str(out)]


def _call(title: str, fn: Callable[..., T], out: Path, **kwargs: Any) -> T:
    """Run a decision tool with a progress display; Ctrl-C exits 130 with the finished
    trials kept (user mistakes are UserErrors, reported by main() with exit 2)."""
    from sim.cli.progress import stage_progress
    from sim.decide.calibrate import CalibrationInterrupted
    from sim.decide.optimize import OptimizeInterrupted
    from sim.decide.sensitivity import SensitivityInterrupted

    try:
        with stage_progress(title) as progress:
            result = fn(
                out_dir=out, progress=progress, command=_command_line(title, out, kwargs), **kwargs
            )
    except (OptimizeInterrupted, CalibrationInterrupted) as exc:
        typer.echo(f"interrupted: {len(exc.result.trials)} finished trials kept in {out}", err=True)
        raise typer.Exit(130) from None
    except SensitivityInterrupted as exc:
        typer.echo(f"interrupted: {exc.kept}, kept in {out / 'design.csv'}", err=True)
        raise typer.Exit(130) from None
    _write_page(out)
    return result


def _write_page(out: Path) -> None:
    """The run's report page beside its files, drawn from those files (rendering lives in
    reports, not the core), so ``takedown report`` on the folder draws the same page."""
    from reports.decide_load import render_decision

    render_decision(out)


def _print_optimize(res: OptimizeResult) -> None:
    from rich.table import Table

    metrics = list(dict.fromkeys([*res.objectives, *(c.metric for c in res.constraints)]))
    table = Table(title=f"feasible front ({len(res.front)}), 95% CI, constraints on the bound")
    for col in ("trial", "reps", *res.parameters, *metrics):
        table.add_column(col, justify="right")
    for row in res.front[:20]:
        cells = [str(row["trial"]), str(row["reps"]), *(_show(row[p]) for p in res.parameters)]
        cells += [
            f"{number(row[m])} [{number(row[f'{m}_ci_low'])}, {number(row[f'{m}_ci_high'])}]"
            for m in metrics
        ]
        table.add_row(*cells)
    console = _console()
    console.print(table)
    if res.best is None:
        typer.echo(
            f"no feasible policy: no candidate met every constraint on its confidence "
            f"bound in {len(res.trials)} trials"
        )
        return
    versus = Table(title="best against the input scenario (paired by replication)")
    for col in ("metric", "input", "best", "best - input"):
        versus.add_column(col, justify="right")
    for m, v in res.versus_input.items():
        d = v["difference"]
        star = " *" if d["significant"] else ""
        versus.add_row(
            m,
            number(v["input"]["mean"]),
            number(v["best"]["mean"]),
            f"{number(d['mean'])} [{number(d['ci_low'])}, {number(d['ci_high'])}]{star}",
        )
    console.print(versus)
    if res.importances:
        typer.echo("importances: " + ", ".join(f"{k} {v:.2f}" for k, v in res.importances.items()))


def optimize(
    scenario: OptimizeScenarioArg,
    space: SpaceOpt,
    minimize: MinimizeOpt = None,
    maximize: MaximizeOpt = None,
    constraint: ConstraintOpt = None,
    trials: OptimizeTrialsOpt = 20,
    reps: OptimizeRepsOpt = "3",
    race: RaceOpt = 5,
    race_reps: RaceRepsOpt = None,
    batch: BatchOpt = 4,
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    dask: DaskOpt = None,
    storage: StorageOpt = None,
    study_name: StudyNameOpt = None,
    out: OptimizeOutOpt = Path("out/optimize"),
    set_: SetOpt = None,
) -> None:
    """Find the policy that minimises a metric subject to constraints on confidence bounds."""
    from sim.decide.optimize import optimize as run_optimize

    n_reps: int | str = "auto" if reps.strip().lower() == "auto" else 0
    if n_reps != "auto":
        try:
            n_reps = int(reps)
        except ValueError:
            fail(f"--reps {reps!r}: expected a whole number >= 2 or 'auto'")
    res = _call(
        "optimize",
        run_optimize,
        out,
        scenario=scenario,
        space=space,
        minimize=minimize or (),
        maximize=maximize or (),
        constraints=constraint or (),
        trials=trials,
        reps=n_reps,
        race=race,
        race_reps=race_reps,
        batch=batch,
        seed=seed,
        jobs=jobs,
        dask=dask,
        storage=storage,
        study_name=study_name,
        overrides=set_ or (),
    )
    _print_optimize(res)
    typer.echo(f"wrote {out} ({len(res.trials)} trials, {res.runs} runs, {res.wall_s:.1f} s)")


def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="The scenario TOML file to vary.")],
    space: SpaceOpt,
    method: Annotated[str, typer.Option(help="morris or sobol.")] = "morris",
    samples: Annotated[
        int, typer.Option(help="Morris trajectories, or Sobol base samples (a power of 2).")
    ] = 10,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            help="Metric to analyse (repeatable; default: the headline metrics, "
            "am_busy_hours, cost_total_usd and fake_exposure_listing_days)."
        ),
    ] = None,
    reps: Annotated[int, typer.Option(help="Replications per design point.")] = 2,
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    dask: DaskOpt = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/sensitivity"),
    set_: SetOpt = None,
) -> None:
    """Rank parameters by influence: Morris mu*/sigma or Sobol S1/ST with 95% intervals."""
    from rich.table import Table

    from sim.decide.sensitivity import MAIN_INDEX
    from sim.decide.sensitivity import sensitivity as run_sensitivity

    res = _call(
        "sensitivity",
        run_sensitivity,
        out,
        scenario=scenario,
        space=space,
        method=method,
        samples=samples,
        metrics=metric or None,
        reps=reps,
        seed=seed,
        jobs=jobs,
        dask=dask,
        overrides=set_ or (),
    )
    main = MAIN_INDEX[res.method]
    table = Table(title=f"{res.method}: {main} with 95% bootstrap interval, ranked per metric")
    for col in ("metric", "rank", "parameter", main, "interval"):
        table.add_column(col, justify="left" if col in ("metric", "parameter") else "right")
    for m in res.metrics:
        if m in res.skipped:
            table.add_row(m, "-", f"(skipped: {res.skipped[m]})", "-", "-")
            continue
        for rank, p in enumerate(res.ranking(m), start=1):
            r = res.index(m, p)
            interval = f"[{number(r['ci_low'])}, {number(r['ci_high'])}]"
            table.add_row(m, str(rank), p, number(r["value"]), interval)
    _console().print(table)
    typer.echo(f"wrote {out} ({res.runs} runs, {res.wall_s:.1f} s)")


def _print_fit(res: CalibrationResult) -> None:
    from rich.table import Table

    table = Table(title="targets against the fit (95% CI)")
    for col in ("metric", "target", "tolerance", "fit", "interval", "within"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for r in res.fit:
        table.add_row(
            r["metric"],
            number(r["target"]),
            number(r["tolerance"]),
            number(r["mean"]),
            f"[{number(r['ci_low'])}, {number(r['ci_high'])}]",
            "yes" if r["within"] else "NO",
        )
    _console().print(table)
    typer.echo("fitted: " + ", ".join(f"{k} = {_show(v)}" for k, v in res.params.items()))


def calibrate(
    scenario: Annotated[Path, typer.Argument(help="The base scenario TOML file.")],
    targets: Annotated[
        Path, typer.Option("--targets", help="Target TOML: value and tolerance per metric.")
    ],
    space: SpaceOpt,
    trials: Annotated[int, typer.Option(help="Candidates to try.")] = 40,
    reps: Annotated[int, typer.Option(help="Replications per candidate.")] = 3,
    race: RaceOpt = 5,
    race_reps: RaceRepsOpt = None,
    batch: BatchOpt = 4,
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    dask: DaskOpt = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/calibrate"),
    set_: SetOpt = None,
) -> None:
    """Fit the space's parameters to target figures; write the calibrated scenario."""
    from sim.decide.calibrate import calibrate as run_calibrate

    res = _call(
        "calibrate",
        run_calibrate,
        out,
        scenario=scenario,
        targets=targets,
        space=space,
        trials=trials,
        reps=reps,
        race=race,
        race_reps=race_reps,
        batch=batch,
        seed=seed,
        jobs=jobs,
        dask=dask,
        overrides=set_ or (),
    )
    _print_fit(res)
    state = "every target within tolerance" if res.all_within else "NOT every target met"
    typer.echo(f"wrote {out / 'calibrated.toml'} ({state}; {res.runs} runs, {res.wall_s:.1f} s)")
