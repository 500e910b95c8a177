"""Optimise a policy under constraints: Optuna proposes parameter values from a space file,
every candidate is replicated with the same root seeds (common random numbers), and a
candidate counts as feasible only when each constraint holds on its 95% confidence bound.

    >>> from sim.decide import optimize
    >>> res = optimize("scenarios/gft_2015.toml", "space.toml", minimize=["cost_total_usd"],
    ...                constraints=["notices_within_24h_share >= 0.8"], trials=30, seed=1)
    >>> res.best, res.to_pandas()

TPE proposes for one objective and NSGA-II for several (a Pareto front); constraints go
to Optuna as constraint values (the bound's miss). Proposals are asked in batches of a
fixed size, so the sequence of trials depends on the seed only, never on ``jobs``. After
the search, the most promising candidates (constraints met on the mean, best objective)
get more replications before the winner is named (racing). With ``storage`` (an Optuna
RDB URL) several processes or machines share one study, and a stopped study resumes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.decide.common import (
    Constraint,
    DecisionError,
    ProgressFn,
    check_metric,
    parse_constraint,
)
from sim.decide.evaluate import Evaluator
from sim.decide.optimize_race import RunInfo, finish
from sim.decide.optimize_result import (
    OptimizeInterrupted,
    OptimizeResult,
    Problem,
    write_optimize,
)
from sim.decide.optimize_study import SearchStats, _storage, open_study, search
from sim.decide.space import Space, load_space

__all__ = ["OptimizeInterrupted", "OptimizeResult", "optimize", "write_optimize"]

DEFAULT_BATCH = 4  # proposals asked together; fixed so trials do not depend on jobs
AUTO_FIRST_REPS = 3
GRACE_S = 20


def _problem(
    minimize: Sequence[str],
    maximize: Sequence[str],
    constraints: Sequence[str | Constraint],
    reps: int | str,
    race_reps: int | None,
    counts: Sequence[tuple[str, int, int]],
) -> Problem:
    """The checked problem; ``counts`` are further (name, value, least) to check."""
    objectives = tuple(check_metric(m, "minimize") for m in minimize) + tuple(
        check_metric(m, "maximize") for m in maximize
    )
    if not objectives:
        raise DecisionError("minimize/maximize: give at least one metric")
    directions = ("minimize",) * len(minimize) + ("maximize",) * len(maximize)
    cons = tuple(c if isinstance(c, Constraint) else parse_constraint(c) for c in constraints)
    if reps == "auto":
        reps, race_reps = AUTO_FIRST_REPS, race_reps or 4 * AUTO_FIRST_REPS
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 2:
        raise DecisionError(f"reps {reps}: at least 2 (a confidence bound needs two)")
    race_reps = race_reps if race_reps is not None else 2 * reps
    for name, value, least in (*counts[:2], ("race_reps", race_reps, reps), *counts[2:]):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise DecisionError(f"{name} {value}: must be a whole number >= {least}")
    return Problem(objectives, directions, cons, reps, race_reps)


def _signature(path: Path, overrides: Sequence[str], sp: Space, problem: Problem) -> dict[str, Any]:
    """What a shared study must agree on before another process may join it."""
    return {
        "scenario": path.name,
        "overrides": list(overrides),
        "space": [[p.path, p.kind, p.low, p.high, p.step, p.log, p.labels] for p in sp.parameters],
        "objectives": list(problem.objectives),
        "directions": list(problem.directions),
        "constraints": [c.text for c in problem.constraints],
        "reps": problem.reps,
    }


def _finish(
    study: Any,
    sp: Space,
    ev: Evaluator,
    problem: Problem,
    run: RunInfo,
    race: int,
    progress: ProgressFn | None,
    found: SearchStats,
) -> OptimizeResult:
    """Race and name the winner, then close the evaluator; after Ctrl-C (in the search or
    here) keep what finished and run nothing more."""
    interrupted = found.interrupted
    try:
        result = finish(
            study, sp, ev, problem, run, 0 if interrupted else race, progress, interrupted
        )
    except KeyboardInterrupt:
        result = finish(study, sp, ev, problem, run, 0, None, True)
    finally:
        ev.close()
    return result


def optimize(
    scenario: str | Path,
    space: str | Path | Space,
    *,
    minimize: Sequence[str] = (),
    maximize: Sequence[str] = (),
    constraints: Sequence[str | Constraint] = (),
    trials: int = 20,
    reps: int | str = AUTO_FIRST_REPS,
    race: int = 5,
    race_reps: int | None = None,
    batch: int = DEFAULT_BATCH,
    seed: int | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    grace_s: int = GRACE_S,
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    command: Sequence[str] | None = None,
) -> OptimizeResult:
    """Search ``space`` for the policy that minimises (maximises) the objectives subject to
    the constraints on their 95% confidence bounds.

    ``reps`` replications per trial (``"auto"``: 3, raced up to 12); the ``race`` best
    candidates get ``race_reps`` (default twice ``reps``) before the winner is named.
    Raises ScenarioError, SpaceError, DecisionError or BackendError for bad input;
    OptimizeInterrupted (holding the finished trials) on Ctrl-C.
    """
    start = time.perf_counter()
    counts = (("trials", trials, 1), ("race", race, 0), ("batch", batch, 1))
    problem = _problem(minimize, maximize, constraints, reps, race_reps, counts)
    path = Path(scenario)
    sp = space if isinstance(space, Space) else load_space(space, path, overrides)
    name = study_name or f"{path.stem}-optimize"
    rdb = _storage(storage)
    signature = _signature(path, overrides, sp, problem)
    study, base_seed = open_study(name, rdb, problem, signature, seed, trials)
    ev = Evaluator(path, overrides, base_seed=base_seed, jobs=jobs, dask=dask)
    found = search(
        study, rdb, ev, sp, problem, trials=trials, batch=batch, grace_s=grace_s, progress=progress
    )
    result = _finish(study, sp, ev, problem, RunInfo(base_seed, name, start), race, progress, found)
    interrupted = result.interrupted
    result.out_dir = Path(out_dir) if out_dir is not None else None
    result.search_s, result.search_eval_s, result.search_trials = (
        found.search_s,
        found.eval_s,
        found.told,
    )
    if result.out_dir is not None:
        write_optimize(result, result.out_dir, path, overrides, command)
    if interrupted:
        raise OptimizeInterrupted(result)
    return result
