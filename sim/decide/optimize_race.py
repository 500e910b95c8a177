"""After the search: the promising candidates get more replications (racing), the winner
or the feasible front is named and compared with the input scenario, and parameter
importances are estimated."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.decide.common import Constraint, ProgressFn
from sim.decide.evaluate import Candidate, Evaluator, params_key
from sim.decide.optimize_result import OptimizeResult, Problem
from sim.decide.space import Space
from sim.stats import paired_difference


@dataclass(frozen=True)
class RunInfo:
    """Facts about the run that the result reports."""

    base_seed: int
    study_name: str
    start: float  # time.perf_counter() at the start


def _row(
    number: int,
    params: Mapping[str, Any],
    cand: Candidate,
    metrics: Sequence[str],
    constraints: Sequence[Constraint],
    space: Space,
) -> dict[str, Any]:
    row: dict[str, Any] = {"trial": number, "reps": len(cand.reps)}
    row.update({p: params.get(p) for p in space.names})
    for m in metrics:
        iv = cand.interval(m)
        row.update({m: iv.mean, f"{m}_ci_low": iv.ci_low, f"{m}_ci_high": iv.ci_high})
    row["feasible"] = all(c.holds(cand.interval(c.metric)) for c in constraints)
    return row


def _dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )


def _nondominated(points: list[tuple[Any, list[float]]]) -> list[Any]:
    return [
        item
        for item, v in points
        if not any(_dominates(w, v) for other, w in points if other is not item)
    ]


def _trial_row(t: Any, sp: Space, problem: Problem) -> dict[str, Any]:
    """A finished trial's row from what it recorded in the study."""
    stats = t.user_attrs.get("stats", {})
    row: dict[str, Any] = {"trial": t.number, "reps": t.user_attrs.get("reps", problem.reps)}
    row.update({p.path: p.decode(t.params.get(p.path)) for p in sp.parameters})
    for m in problem.metrics:
        mean, lo, hi = (stats.get(m) or [math.nan] * 3)[:3]
        row.update({m: mean, f"{m}_ci_low": lo, f"{m}_ci_high": hi})
    row["feasible"] = all(v <= 0 for v in t.user_attrs.get("constraints", []))
    return row


def _mean_ok(row: Mapping[str, Any], cons: Sequence[Constraint]) -> bool:
    return all(
        math.isfinite(row[c.metric])
        and (row[c.metric] >= c.bound if c.op == ">=" else row[c.metric] <= c.bound)
        for c in cons
    )


def _race_pool(
    rows: Sequence[dict[str, Any]], sp: Space, problem: Problem, race: int
) -> list[dict[str, Any]]:
    """The promising candidates (constraints met on the mean), best first, each once."""
    seen: set[Any] = set()
    pool = []
    for row in sorted((r for r in rows if _mean_ok(r, problem.constraints)), key=problem.key):
        k = params_key({p: row[p] for p in sp.names})
        if k not in seen:
            seen.add(k)
            pool.append(row)
    if len(problem.objectives) > 1:
        return _nondominated([(r, problem.key(r)) for r in pool])[: max(race * 2, 1)]
    return pool[:race]


def _race(
    pool: Sequence[dict[str, Any]],
    sp: Space,
    ev: Evaluator,
    problem: Problem,
    race: int,
    progress: ProgressFn | None,
) -> tuple[list[tuple[dict[str, Any], Candidate]], Candidate]:
    """The raced rows with their candidates, and the input scenario's candidate."""
    if not pool:
        base = ev.evaluate([{}], problem.race_reps)[0] if race > 0 else Candidate({}, {})
        return [], base
    params = [{p: row[p] for p in sp.names} for row in pool]

    def tick(done: int, tot: int) -> None:
        if progress is not None:
            progress("racing", done, tot)

    cands = ev.evaluate([*params, {}], problem.race_reps, tick)
    metrics, cons = problem.metrics, problem.constraints
    raced = [
        (_row(row["trial"], cand.params, cand, metrics, cons, sp), cand)
        for row, cand in zip(pool, cands[:-1], strict=True)
    ]
    return raced, cands[-1]


def _best(
    best_row: Mapping[str, Any],
    best_cand: Candidate,
    base: Candidate,
    sp: Space,
    metrics: Sequence[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The winner's summary and its paired comparison with the input scenario."""
    best = {
        "trial": best_row["trial"],
        "params": {p: best_row[p] for p in sp.names},
        "reps": best_row["reps"],
        "metrics": {
            m: [best_row[m], best_row[f"{m}_ci_low"], best_row[f"{m}_ci_high"]] for m in metrics
        },
    }
    versus: dict[str, Any] = {}
    if base.reps:
        for m in metrics:
            common = sorted(set(best_cand.reps) & set(base.reps))
            d = paired_difference(
                [best_cand.reps[r].get(m, math.nan) for r in common],
                [base.reps[r].get(m, math.nan) for r in common],
            )
            versus[m] = {
                "input": base.interval(m).as_dict(),
                "best": best_cand.interval(m).as_dict(),
                "difference": {**d.as_dict(), "significant": d.significant},
            }
    return best, versus


def _importances(study: Any, n_done: int, sp: Space) -> dict[str, float]:
    import optuna

    if n_done < 4 or len(sp.parameters) <= 1:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            imp = optuna.importance.get_param_importances(
                study, target=lambda t: t.values[0], evaluator=None
            )
        return {k: float(v) for k, v in imp.items()}
    except (ValueError, RuntimeError, ZeroDivisionError):
        return {}


def finish(
    study: Any,
    sp: Space,
    ev: Evaluator,
    problem: Problem,
    run: RunInfo,
    race: int,
    progress: ProgressFn | None,
    interrupted: bool,
) -> OptimizeResult:
    """Race the promising candidates, name the winner (or the front) and compare it with
    the input scenario."""
    import optuna

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    rows = [_trial_row(t, sp, problem) for t in done]
    raced_rows, base = _race(_race_pool(rows, sp, problem, race), sp, ev, problem, race, progress)
    feasible = [(r, c) for r, c in raced_rows if r["feasible"]]
    front_items = _nondominated([((r, c), problem.key(r)) for r, c in feasible])
    front_items.sort(key=lambda rc: problem.key(rc[0]))
    best: dict[str, Any] | None = None
    versus: dict[str, Any] = {}
    if front_items:
        best_row, best_cand = front_items[0]
        best, versus = _best(best_row, best_cand, base, sp, problem.metrics)
    return OptimizeResult(
        scenario=str(ev.path),
        objectives=problem.objectives,
        directions=problem.directions,
        constraints=problem.constraints,
        parameters=sp.names,
        trials=rows,
        front=[r for r, _ in front_items],
        best=best,
        versus_input=versus,
        importances=_importances(study, len(done), sp),
        base_seed=run.base_seed,
        reps=problem.reps,
        race_reps=problem.race_reps,
        study_name=run.study_name,
        wall_s=time.perf_counter() - run.start,
        sim_wall_s=ev.sim_wall_s,
        runs=ev.runs,
        workers=ev.workers if ev.runs else 0,
        interrupted=interrupted,
    )
