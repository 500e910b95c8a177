"""Replicated experiments: strategy comparisons and parameter sweeps with common random
numbers, on local cores or a Dask cluster. The ``compare``/``sweep`` commands are thin
layers over :func:`compare` and :func:`sweep`.

    >>> from sim.experiment import compare
    >>> res = compare(["scenarios/gft_2015.toml", "scenarios/joint_force_2017.toml"], reps=10)
    >>> res.difference("notice_to_removal_h_p95", "joint_force_2017")
    >>> res.to_pandas()
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.backends import Backend, BackendError, make_backend
from sim.experiment.design import (
    DesignError,
    DesignPoint,
    load_points,
    make_tasks,
    parse_grids,
    rep_seed,
    sweep_points,
)
from sim.experiment.result import ExperimentResult, build_rows, metric_order
from sim.experiment.runner import (
    ProgressEvent,
    ProgressFn,
    RunOutcome,
    execute,
    recover_finished,
)
from sim.experiment.writers import write_outputs
from sim.rng import draw_seed
from sim.scenario import Scenario
from sim.stats import next_rep_count

__all__ = [
    "BackendError",
    "DesignError",
    "ExperimentInterrupted",
    "ExperimentResult",
    "ProgressEvent",
    "compare",
    "rep_seed",
    "sweep",
]

AUTO_FIRST_REPS = 5
DEFAULT_MAX_REPS = 50


class ExperimentInterrupted(KeyboardInterrupt):
    """Ctrl-C during an experiment; ``result`` holds the finished replications (also on
    disk when an output folder was given)."""

    def __init__(self, result: ExperimentResult) -> None:
        super().__init__(f"interrupted after {len(result.rows)} finished replications")
        self.result = result


def _version() -> str:
    try:
        return metadata.version("takedown-lab")
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "0+unknown"


def _check_reps(reps: int | str, precision: float, max_reps: int) -> None:
    if reps == "auto":
        if not 0.0 < precision < 1.0:
            raise DesignError(f"--precision {precision}: must be between 0 and 1")
        if max_reps < 2:
            raise DesignError(f"--max-reps {max_reps}: must be at least 2")
        return
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise DesignError(f"--reps {reps}: must be a whole number >= 1, or 'auto'")


def _headline() -> tuple[str, ...]:
    from sim.metrics import HEADLINE_METRICS

    return tuple(HEADLINE_METRICS)


def _run_rounds(
    backend: Backend,
    points: Sequence[DesignPoint],
    reps: int | str,
    plan: dict[str, Any],
    sink: list[RunOutcome],
    progress: ProgressFn | None,
) -> int:
    """Run fixed ``reps``, or sequential rounds until the headline CIs are precise enough.

    Returns the number of replications per design point.
    """
    n_now = 0
    n_next = reps if isinstance(reps, int) else min(AUTO_FIRST_REPS, plan["max_reps"])
    while n_next > n_now:
        tasks = make_tasks(
            points, range(n_now, n_next), plan["base_seed"], plan["runs_dir"],
            plan["write_on_worker"], start_index=len(sink),
        )  # fmt: skip
        plan["tasks"].extend(tasks)
        execute(backend, tasks, sink, progress, total=n_next * len(points))
        n_now = n_next
        if isinstance(reps, int):
            break
        metrics = metric_order(sink)
        partial = _assemble("compare", points, (), n_now, plan, sink, metrics)
        intervals = [
            partial.interval(m, p.label) for m in _headline() if m in metrics for p in points
        ]
        n_next = next_rep_count(n_now, intervals, plan["precision"], plan["max_reps"])
    return n_now


def _assemble(
    kind: str,
    points: Sequence[DesignPoint],
    parameters: Sequence[str],
    reps: int,
    plan: dict[str, Any],
    sink: Sequence[RunOutcome],
    metrics: Sequence[str],
    interrupted: bool = False,
) -> ExperimentResult:
    version = sink[0].version if sink else _version()
    return ExperimentResult(
        kind=kind,
        points=tuple(points),
        parameters=tuple(parameters),
        reps=reps,
        base_seed=plan["base_seed"],
        rows=build_rows(points, sink, metrics),
        metric_names=tuple(metrics),
        backend=plan.get("backend", ""),
        jobs=plan.get("jobs", 1),
        wall_s=time.perf_counter() - plan["start"],
        version=version,
        interrupted=interrupted,
        out_dir=plan["out_dir"],
        requested=plan["requested"],
    )


def _experiment(
    kind: str,
    points: Sequence[DesignPoint],
    parameters: Sequence[str],
    reps: int | str,
    opts: dict[str, Any],
) -> ExperimentResult:
    _check_reps(reps, opts["precision"], opts["max_reps"])
    out_dir = Path(opts["out_dir"]) if opts["out_dir"] is not None else None
    plan: dict[str, Any] = {
        "start": time.perf_counter(),
        "base_seed": opts["seed"] if opts["seed"] is not None else draw_seed(),
        "runs_dir": out_dir / "runs" if out_dir is not None else None,
        "out_dir": out_dir,
        "precision": opts["precision"],
        "max_reps": opts["max_reps"],
        "write_on_worker": opts["dask"] in (None, "local"),
        "tasks": [],
        "requested": {"reps": reps, "precision": opts["precision"], "max_reps": opts["max_reps"]}
        if reps == "auto"
        else {"reps": reps},
    }
    backend = make_backend(opts["jobs"], opts["dask"])
    plan.update(backend=backend.name, jobs=backend.workers)
    sink: list[RunOutcome] = []
    done_reps, interrupted = 0, False
    try:
        done_reps = _run_rounds(backend, points, reps, plan, sink, opts["progress"])
    except KeyboardInterrupt:
        interrupted = True
    finally:
        backend.close()
    if interrupted:
        sink.extend(recover_finished(plan["tasks"], sink))
        done_reps = max((o.rep + 1 for o in sink), default=0)
    result = _assemble(
        kind, points, parameters, done_reps, plan, sink, metric_order(sink), interrupted
    )
    if out_dir is not None:
        write_outputs(result, out_dir, opts["command"])
    if interrupted:
        raise ExperimentInterrupted(result)
    return result


def compare(
    scenarios: Sequence[str | Path | Scenario],
    reps: int | str = 10,
    *,
    precision: float = 0.05,
    max_reps: int = DEFAULT_MAX_REPS,
    seed: int | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    out_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
    progress: ProgressFn | None = None,
    command: Sequence[str] | None = None,
) -> ExperimentResult:
    """Replicate each scenario with common random numbers and compare them with the first.

    ``reps="auto"`` adds replications until every headline metric's CI half-width is
    within ``precision`` of its mean (at most ``max_reps``). ``jobs`` defaults to all
    cores; ``dask`` is ``"local"`` or a scheduler address. With ``out_dir`` the run
    folders, comparison.json, runs.csv/.parquet and experiment.json are written there.
    Raises ScenarioError, DesignError or BackendError for bad input.
    """
    if not scenarios:
        raise DesignError("compare: give at least one scenario")
    points = load_points(scenarios, overrides)
    opts = dict(
        precision=precision, max_reps=max_reps, seed=seed, jobs=jobs, dask=dask,
        out_dir=out_dir, progress=progress, command=command,
    )  # fmt: skip
    return _experiment("compare", points, (), reps, opts)


def sweep(
    scenario: str | Path,
    grid: Mapping[str, Sequence[Any]] | Sequence[str],
    reps: int | str = 5,
    *,
    precision: float = 0.05,
    max_reps: int = DEFAULT_MAX_REPS,
    seed: int | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    out_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
    progress: ProgressFn | None = None,
    command: Sequence[str] | None = None,
) -> ExperimentResult:
    """Replicate every point of a full factorial design over ``grid``.

    ``grid`` maps dotted scenario keys to values, or is a list of ``--grid`` strings
    (``key=v1,v2`` or ``key=lo:hi:n``). Replication i of every point shares its seed.
    """
    parsed = parse_grids(grid) if not isinstance(grid, Mapping) else dict(grid)
    if not parsed or any(len(v) == 0 for v in parsed.values()):
        raise DesignError("sweep: every grid key needs at least one value")
    points = sweep_points(scenario, parsed, overrides)
    opts = dict(
        precision=precision, max_reps=max_reps, seed=seed, jobs=jobs, dask=dask,
        out_dir=out_dir, progress=progress, command=command,
    )  # fmt: skip
    return _experiment("sweep", points, tuple(parsed), reps, opts)
