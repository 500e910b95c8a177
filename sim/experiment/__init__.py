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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.backends import Backend, BackendError, make_backend
from sim.contract import HEADLINE_METRICS
from sim.experiment.design import (
    DesignError,
    DesignPoint,
    RunTask,
    load_points,
    make_tasks,
    parse_grids,
    rep_seed,
    sweep_points,
)
from sim.experiment.options import DEFAULT_MAX_REPS, ExperimentOptions, resolve
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
from sim.version import package_version

__all__ = [
    "DEFAULT_MAX_REPS",
    "BackendError",
    "DesignError",
    "ExperimentInterrupted",
    "ExperimentOptions",
    "ExperimentResult",
    "ProgressEvent",
    "compare",
    "rep_seed",
    "sweep",
]

AUTO_FIRST_REPS = 5


class ExperimentInterrupted(KeyboardInterrupt):
    """Ctrl-C during an experiment; ``result`` holds the finished replications (also on
    disk when an output folder was given)."""

    def __init__(self, result: ExperimentResult) -> None:
        super().__init__(f"interrupted after {len(result.rows)} finished replications")
        self.result = result


@dataclass
class _Plan:
    """One experiment under way: its options, seeds, backend and the tasks handed out."""

    kind: str
    points: Sequence[DesignPoint]
    parameters: tuple[str, ...]
    options: ExperimentOptions
    base_seed: int
    start: float = field(default_factory=time.perf_counter)
    backend: str = ""
    jobs: int = 1
    tasks: list[RunTask] = field(default_factory=list)

    @property
    def runs_dir(self) -> Path | None:
        out = self.options.out_dir
        return out / "runs" if out is not None else None

    @property
    def write_on_worker(self) -> bool:
        return self.options.dask in (None, "local")


def _run_rounds(
    backend: Backend, plan: _Plan, sink: list[RunOutcome], progress: ProgressFn | None
) -> int:
    """Run fixed ``reps``, or sequential rounds until the headline CIs are precise enough.

    Returns the number of replications per design point.
    """
    points, opts = plan.points, plan.options
    n_now = 0
    n_next = opts.reps if isinstance(opts.reps, int) else min(AUTO_FIRST_REPS, opts.max_reps)
    while n_next > n_now:
        tasks = make_tasks(
            points, range(n_now, n_next), plan.base_seed, plan.runs_dir,
            plan.write_on_worker, start_index=len(sink),
        )  # fmt: skip
        plan.tasks.extend(tasks)
        execute(backend, tasks, sink, progress, total=n_next * len(points))
        n_now = n_next
        if isinstance(opts.reps, int):
            break
        metrics = metric_order(sink)
        partial = _assemble(plan, n_now, sink, metrics)
        intervals = [
            partial.interval(m, p.label) for m in HEADLINE_METRICS if m in metrics for p in points
        ]
        n_next = next_rep_count(n_now, intervals, opts.precision, opts.max_reps)
    return n_now


def _assemble(
    plan: _Plan,
    reps: int,
    sink: Sequence[RunOutcome],
    metrics: Sequence[str],
    interrupted: bool = False,
) -> ExperimentResult:
    version = sink[0].version if sink else package_version()
    return ExperimentResult(
        kind=plan.kind,
        points=tuple(plan.points),
        parameters=plan.parameters,
        reps=reps,
        base_seed=plan.base_seed,
        rows=build_rows(plan.points, sink, metrics),
        metric_names=tuple(metrics),
        backend=plan.backend,
        jobs=plan.jobs,
        wall_s=time.perf_counter() - plan.start,
        version=version,
        interrupted=interrupted,
        out_dir=plan.options.out_dir,
        requested=plan.options.requested(),
    )


def _replicate(plan: _Plan, progress: ProgressFn | None) -> tuple[list[RunOutcome], int, bool]:
    """Run the replications; on Ctrl-C keep what finished. (outcomes, reps done, interrupted)"""
    backend = make_backend(plan.options.jobs, plan.options.dask)
    plan.backend, plan.jobs = backend.name, backend.workers
    sink: list[RunOutcome] = []
    try:
        return sink, _run_rounds(backend, plan, sink, progress), False
    except KeyboardInterrupt:
        pass
    finally:
        backend.close()
    sink.extend(recover_finished(plan.tasks, sink))
    return sink, max((o.rep + 1 for o in sink), default=0), True


def _experiment(
    kind: str,
    points: Sequence[DesignPoint],
    parameters: Sequence[str],
    opts: ExperimentOptions,
    progress: ProgressFn | None,
) -> ExperimentResult:
    opts.check()
    seed = opts.seed if opts.seed is not None else draw_seed()
    plan = _Plan(kind, points, tuple(parameters), opts, seed)
    sink, done_reps, interrupted = _replicate(plan, progress)
    result = _assemble(plan, done_reps, sink, metric_order(sink), interrupted)
    if opts.out_dir is not None:
        write_outputs(result, opts.out_dir, opts.command)
    if interrupted:
        raise ExperimentInterrupted(result)
    return result


def compare(
    scenarios: Sequence[str | Path | Scenario],
    reps: int | str | None = None,
    *,
    options: ExperimentOptions | None = None,
    progress: ProgressFn | None = None,
    **fields: Any,
) -> ExperimentResult:
    """Replicate each scenario with common random numbers and compare them with the first.

    ``options`` holds every setting (see ExperimentOptions; 10 replications by default);
    ``reps`` and keyword ``fields`` (``seed=1, jobs=2, out_dir=...``) set single ones.
    With ``out_dir`` the run folders, comparison.json, runs.csv/.parquet and
    experiment.json are written there. Raises ScenarioError, DesignError or
    BackendError (all UserError) for bad input.
    """
    opts = resolve(options, 10, reps, fields)
    if not scenarios:
        raise DesignError("scenarios: give at least one scenario")
    points = load_points(scenarios, opts.overrides)
    return _experiment("compare", points, (), opts, progress)


def sweep(
    scenario: str | Path,
    grid: Mapping[str, Sequence[Any]] | Sequence[str],
    reps: int | str | None = None,
    *,
    options: ExperimentOptions | None = None,
    progress: ProgressFn | None = None,
    **fields: Any,
) -> ExperimentResult:
    """Replicate every point of a full factorial design over ``grid``.

    ``grid`` maps dotted scenario keys to values, or is a list of grid strings
    (``key=v1,v2`` or ``key=lo:hi:n``). Replication i of every point shares its seed.
    Options as for :func:`compare` (5 replications by default).
    """
    opts = resolve(options, 5, reps, fields)
    parsed = parse_grids(grid) if not isinstance(grid, Mapping) else dict(grid)
    if not parsed or any(len(v) == 0 for v in parsed.values()):
        raise DesignError("grid: every key needs at least one value")
    points = sweep_points(scenario, parsed, opts.overrides)
    return _experiment("sweep", points, tuple(parsed), opts, progress)
