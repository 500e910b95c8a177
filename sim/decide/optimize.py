"""Optimise a policy under constraints: Optuna proposes parameter values from a space file,
every candidate is replicated with the same root seeds (common random numbers), and a
candidate counts as feasible only when each constraint holds on its 95% confidence bound.

    >>> from sim.decide import optimize
    >>> res = optimize("scenarios/gft_2015.toml", "space.toml", minimize=["am_hours"],
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

import contextlib
import math
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.decide.common import (
    Constraint,
    DecisionError,
    ProgressFn,
    check_metric,
    extending_scenario,
    parse_constraint,
    sampler_seed,
    write_atomic,
)
from sim.decide.evaluate import Candidate, Evaluator, params_key
from sim.decide.space import Space, load_space
from sim.rng import draw_seed
from sim.stats import paired_difference

DEFAULT_BATCH = 4  # proposals asked together; fixed so trials do not depend on --jobs
AUTO_FIRST_REPS = 3
HEARTBEAT_S = 5
GRACE_S = 20
JOIN_WAIT_S = 30.0  # how long a joining process waits for the study's creator


class OptimizeInterrupted(KeyboardInterrupt):
    """Ctrl-C during a study; ``result`` holds the finished trials (also on disk)."""

    def __init__(self, result: OptimizeResult) -> None:
        super().__init__(f"interrupted after {len(result.trials)} finished trials")
        self.result = result


@dataclass
class OptimizeResult:
    """The trials, the feasible Pareto front (one row for one objective), the winner
    against the input scenario, and parameter importances."""

    scenario: str
    objectives: tuple[str, ...]
    directions: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    parameters: tuple[str, ...]
    trials: list[dict[str, Any]]
    front: list[dict[str, Any]]
    best: dict[str, Any] | None
    versus_input: dict[str, Any]
    importances: dict[str, float]
    base_seed: int
    reps: int
    race_reps: int
    study_name: str
    wall_s: float
    sim_wall_s: float
    runs: int
    workers: int
    interrupted: bool = False
    out_dir: Path | None = None
    files: dict[str, str] = field(default_factory=dict)

    search_s: float = 0.0  # wall time of the search loop in this process
    search_eval_s: float = 0.0  # ... of which waiting for replications
    search_trials: int = 0  # trials this process told

    @property
    def optimizer_overhead_s_per_trial(self) -> float:
        """Wall time per trial the search spent outside the replications (asking,
        proposing, telling, storage), in seconds; NaN when this process told none."""
        if self.search_trials == 0:
            return math.nan
        return max(self.search_s - self.search_eval_s, 0.0) / self.search_trials

    @property
    def run_wall_s(self) -> float:
        """Mean wall time of one replication in the workers, in seconds."""
        return self.sim_wall_s / self.runs if self.runs else math.nan

    def to_pandas(self) -> Any:
        """The trials table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.trials)

    def front_pandas(self) -> Any:
        """The feasible front as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.front)

    def summary(self) -> dict[str, Any]:
        """The optimize.json document."""
        return {
            "scenario": self.scenario,
            "objectives": [
                {"metric": m, "direction": d}
                for m, d in zip(self.objectives, self.directions, strict=True)
            ],
            "constraints": [c.text for c in self.constraints],
            "parameters": list(self.parameters),
            "trials": len(self.trials),
            "feasible_trials": sum(1 for t in self.trials if t["feasible"]),
            "best": self.best,
            "versus_input": self.versus_input,
            "importances": self.importances,
            "base_seed": self.base_seed,
            "reps": self.reps,
            "race_reps": self.race_reps,
            "study_name": self.study_name,
            "wall_s": self.wall_s,
            "sim_wall_s": self.sim_wall_s,
            "optimizer_overhead_s_per_trial": self.optimizer_overhead_s_per_trial,
            "run_wall_s": self.run_wall_s,
            "runs": self.runs,
            "workers": self.workers,
            "interrupted": self.interrupted,
            "files": self.files,
        }


def _stats(cand: Candidate, metrics: Sequence[str]) -> dict[str, list[float]]:
    out = {}
    for m in metrics:
        iv = cand.interval(m)
        out[m] = [iv.mean, iv.ci_low, iv.ci_high]
    return out


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


def _sampler(n_objectives: int, seed: int, trials: int) -> Any:
    """TPE for one objective, NSGA-II for several; both read the constraint values each
    trial records (``Trial.set_constraint``)."""
    import optuna

    if n_objectives == 1:
        return optuna.samplers.TPESampler(
            seed=sampler_seed(seed), n_startup_trials=min(10, max(trials // 3, 2))
        )
    return optuna.samplers.NSGAIISampler(
        seed=sampler_seed(seed), population_size=max(4, min(50, trials // 3))
    )


def _storage(url: str | None) -> Any:
    """Optuna's RDB storage at ``url``; processes starting together on a fresh database
    race to create its tables, so the loser tries again."""
    import optuna

    if url is None:
        return None
    for attempt in range(5):
        try:
            return optuna.storages.RDBStorage(url)
        except Exception as exc:  # sqlalchemy raises many kinds for a bad URL
            racing = type(exc).__name__ in ("OperationalError", "IntegrityError")
            if racing and "unable to open" not in str(exc) and attempt < 4:
                time.sleep(0.5 * (attempt + 1))
                continue
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DecisionError(f"--storage {url!r}: cannot open: {reason}") from None
    raise AssertionError("unreachable")


class _Heartbeat:
    """Records a heartbeat (a time stamp in the trial's user attributes) for running trials
    so that other processes can tell a killed process's trials from live ones."""

    def __init__(self, storage: Any, trial_ids: Sequence[int], every_s: float) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if storage is None:
            return

        def beat() -> None:
            while True:
                for tid in trial_ids:
                    storage.set_trial_user_attr(tid, "heartbeat", time.time())
                if self._stop.wait(every_s):
                    return

        self._thread = threading.Thread(target=beat, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _within_budget(study: Any, asked: list[Any], trials: int) -> list[Any]:
    """The asked trials that fit in the study's budget. Storage numbers trials in the
    order they are asked, whichever process asks, so a trial whose number comes after
    ``trials`` live or finished ones is surplus (two processes asked at once): it is
    pruned, never run, and the study completes exactly ``trials``."""
    import optuna

    S = optuna.trial.TrialState
    live = sorted(
        t.number for t in study.get_trials(deepcopy=False, states=(S.COMPLETE, S.RUNNING))
    )
    keep = []
    for t in asked:
        if sum(1 for n in live if n < t.number) < trials:
            keep.append(t)
        else:
            t.set_user_attr("surplus", True)
            study.tell(t, state=S.PRUNED)
    return keep


def _fail_stale(study: Any, grace_s: float) -> None:
    """Mark running trials whose heartbeat is older than ``grace_s`` as failed: their
    process was killed, and the study would otherwise wait for them for ever."""
    import optuna

    now = time.time()
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        started = t.datetime_start.timestamp() if t.datetime_start else now
        if now - float(t.user_attrs.get("heartbeat", started)) > grace_s:
            with contextlib.suppress(ValueError, RuntimeError):  # another process was first
                study.tell(t.number, state=optuna.trial.TrialState.FAIL)


def _study(
    name: str,
    storage: Any,
    directions: Sequence[str],
    sampler: Any,
    signature: dict[str, Any],
    first_seed: int,
    seed: int | None,
) -> tuple[Any, int]:
    """Create or load the study; a loaded one must have the same objectives, space and
    seed. Returns the study and its base seed."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dirs = [optuna.study.StudyDirection[d.upper()] for d in directions]
    try:
        study = optuna.create_study(
            study_name=name, storage=storage, directions=dirs, sampler=sampler
        )
    except optuna.exceptions.DuplicatedStudyError:
        study = None  # another process (or an earlier run) created it: join it
    except Exception as exc:  # sqlalchemy: two creators racing on a fresh database
        if storage is None or "UNIQUE" not in str(exc).upper():
            raise
        study = None
    if study is not None:  # ours: record what it optimises and its seed
        study.set_user_attr("signature", signature)
        study.set_user_attr("base_seed", first_seed)
        return study, first_seed
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
    deadline = time.monotonic() + JOIN_WAIT_S
    while "base_seed" not in study.user_attrs and time.monotonic() < deadline:
        time.sleep(0.2)  # its creator is about to record them
    stored = study.user_attrs.get("signature")
    if stored is None or "base_seed" not in study.user_attrs:
        raise DecisionError(f"--storage: study {name!r} was not made by takedown optimize")
    if stored != signature:
        raise DecisionError(
            f"--storage: study {name!r} was started with other objectives, "
            "constraints, space or scenario; pick another --study-name"
        )
    base_seed = int(study.user_attrs["base_seed"])
    if seed is not None and seed != base_seed:
        raise DecisionError(f"--seed {seed}: study {name!r} runs with seed {base_seed}")
    return study, base_seed


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
    import optuna

    start = time.perf_counter()
    objectives = tuple(check_metric(m, "--minimize") for m in minimize) + tuple(
        check_metric(m, "--maximize") for m in maximize
    )
    if not objectives:
        raise DecisionError("--minimize/--maximize: give at least one metric")
    directions = ("minimize",) * len(minimize) + ("maximize",) * len(maximize)
    cons = tuple(c if isinstance(c, Constraint) else parse_constraint(c) for c in constraints)
    if reps == "auto":
        reps, race_reps = AUTO_FIRST_REPS, race_reps or 4 * AUTO_FIRST_REPS
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 2:
        raise DecisionError(f"--reps {reps}: at least 2 (a confidence bound needs two)")
    race_reps = race_reps if race_reps is not None else 2 * reps
    for name, value, least in (
        ("--trials", trials, 1),
        ("--race", race, 0),
        ("--race-reps", race_reps, reps),
        ("--batch", batch, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise DecisionError(f"{name} {value}: must be a whole number >= {least}")
    path = Path(scenario)
    sp = space if isinstance(space, Space) else load_space(space, path, overrides)
    metrics = tuple(dict.fromkeys([*objectives, *(c.metric for c in cons)]))
    signature = {
        "scenario": path.name,
        "overrides": list(overrides),
        "space": [
            [p.path, p.kind, p.low, p.high, p.step, p.log, list(p.choices)] for p in sp.parameters
        ],
        "objectives": list(objectives),
        "directions": list(directions),
        "constraints": [c.text for c in cons],
        "reps": reps,
    }
    name = study_name or f"{path.stem}-optimize"
    rdb = _storage(storage)
    first_seed = seed if seed is not None else draw_seed()
    sampler = _sampler(len(objectives), first_seed, trials)
    study, base_seed = _study(name, rdb, directions, sampler, signature, first_seed, seed)
    if base_seed != first_seed:  # a resumed study keeps the seed it started with
        study.sampler = _sampler(len(objectives), base_seed, trials)
    sign = [1.0 if d == "minimize" else -1.0 for d in directions]
    out = Path(out_dir) if out_dir is not None else None
    ev = Evaluator(path, overrides, base_seed=base_seed, jobs=jobs, dask=dask)
    interrupted = False
    C = optuna.trial.TrialState
    loop_start, told, search_eval_s = time.perf_counter(), 0, 0.0
    pending: list[Any] = []  # asked, not yet told: failed on Ctrl-C, never left running
    try:
        while True:
            if rdb is not None:
                _fail_stale(study, grace_s)
            states = [t.state for t in study.get_trials(deepcopy=False)]
            n_done = states.count(C.COMPLETE)
            remaining = trials - n_done - states.count(C.RUNNING)
            if progress is not None:
                progress("trials", n_done, trials)
            if remaining <= 0:
                break
            for _ in range(min(batch, remaining)):
                pending.append(study.ask())
            asked = pending = _within_budget(study, list(pending), trials)
            if not asked:
                continue
            params = [{p.path: p.suggest(t) for p in sp.parameters} for t in asked]
            beat = _Heartbeat(
                rdb, [t._trial_id for t in asked], max(1.0, min(HEARTBEAT_S, grace_s / 3))
            )
            eval_start = time.perf_counter()
            try:
                cands = ev.evaluate(params, reps)
            finally:
                beat.stop()
                search_eval_s += time.perf_counter() - eval_start
            for t, cand in zip(asked, cands, strict=True):
                stats = _stats(cand, metrics)
                t.set_user_attr("stats", stats)
                t.set_user_attr("reps", len(cand.reps))
                misses = [c.violation(cand.interval(c.metric)) for c in cons]
                t.set_user_attr("constraints", misses)
                for c, miss in zip(cons, misses, strict=True):
                    t.set_constraint(c.text, miss)
                values = [stats[m][0] for m in objectives]
                if all(math.isfinite(v) for v in values):
                    study.tell(t, values)
                else:
                    study.tell(t, state=C.FAIL)
                pending = [p for p in pending if p is not t]
                told += 1
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for t in pending:
            with contextlib.suppress(Exception):  # told already when cut short mid-tell
                study.tell(t, state=C.FAIL)
    search_s = time.perf_counter() - loop_start
    try:
        result = _finish(
            study,
            sp,
            ev,
            objectives,
            directions,
            sign,
            cons,
            metrics,
            0 if interrupted else race,  # after Ctrl-C: keep what finished, run nothing more
            race_reps,
            reps,
            base_seed,
            name,
            start,
            progress,
            interrupted,
        )
    except KeyboardInterrupt:
        interrupted = True
        result = _finish(
            study,
            sp,
            ev,
            objectives,
            directions,
            sign,
            cons,
            metrics,
            0,
            race_reps,
            reps,
            base_seed,
            name,
            start,
            None,
            interrupted,
        )
    finally:
        ev.close()
    result.out_dir = out
    result.search_s, result.search_eval_s, result.search_trials = search_s, search_eval_s, told
    if out is not None:
        write_optimize(result, out, path, overrides, command)
    if interrupted:
        raise OptimizeInterrupted(result)
    return result


def _finish(
    study: Any,
    sp: Space,
    ev: Evaluator,
    objectives: Sequence[str],
    directions: Sequence[str],
    sign: Sequence[float],
    cons: Sequence[Constraint],
    metrics: Sequence[str],
    race: int,
    race_reps: int,
    reps: int,
    base_seed: int,
    name: str,
    start: float,
    progress: ProgressFn | None,
    interrupted: bool,
) -> OptimizeResult:
    """Race the promising candidates, name the winner (or the front) and compare it with
    the input scenario."""
    import optuna

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    rows = []
    for t in done:
        stats = t.user_attrs.get("stats", {})
        row: dict[str, Any] = {"trial": t.number, "reps": t.user_attrs.get("reps", reps)}
        row.update({p: t.params.get(p) for p in sp.names})
        for m in metrics:
            mean, lo, hi = (stats.get(m) or [math.nan] * 3)[:3]
            row.update({m: mean, f"{m}_ci_low": lo, f"{m}_ci_high": hi})
        row["feasible"] = all(v <= 0 for v in t.user_attrs.get("constraints", []))
        rows.append(row)

    def key(row: Mapping[str, Any]) -> list[float]:
        return [s * float(row[m]) for s, m in zip(sign, objectives, strict=True)]

    def mean_ok(row: Mapping[str, Any]) -> bool:
        return all(
            math.isfinite(row[c.metric])
            and (row[c.metric] >= c.bound if c.op == ">=" else row[c.metric] <= c.bound)
            for c in cons
        )

    # racing: the promising candidates (constraints met on the mean) get more replications
    seen: set[Any] = set()
    pool = []
    for row in sorted((r for r in rows if mean_ok(r)), key=key):
        k = params_key({p: row[p] for p in sp.names})
        if k not in seen:
            seen.add(k)
            pool.append(row)
    if len(objectives) > 1:
        pool = _nondominated([(r, key(r)) for r in pool])[: max(race * 2, 1)]
    else:
        pool = pool[:race]
    raced_rows = []
    if pool:
        params = [{p: row[p] for p in sp.names} for row in pool]

        def tick(done: int, tot: int) -> None:
            if progress is not None:
                progress("racing", done, tot)

        cands = ev.evaluate([*params, {}], race_reps, tick)
        base = cands[-1]
        raced = list(zip(pool, cands[:-1], strict=True))
        for row, cand in raced:
            raced_rows.append((_row(row["trial"], cand.params, cand, metrics, cons, sp), cand))
    else:
        base = ev.evaluate([{}], race_reps)[0] if race > 0 else Candidate({}, {})
    feasible = [(r, c) for r, c in raced_rows if r["feasible"]]
    front_items = _nondominated([((r, c), key(r)) for r, c in feasible])
    front_items.sort(key=lambda rc: key(rc[0]))
    front = [r for r, _ in front_items]
    best: dict[str, Any] | None = None
    versus: dict[str, Any] = {}
    if front_items:
        best_row, best_cand = front_items[0]
        best = {
            "trial": best_row["trial"],
            "params": {p: best_row[p] for p in sp.names},
            "reps": best_row["reps"],
            "metrics": {
                m: [best_row[m], best_row[f"{m}_ci_low"], best_row[f"{m}_ci_high"]] for m in metrics
            },
        }
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
    importances: dict[str, float] = {}
    if len(done) >= 4 and len(sp.parameters) > 1:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                imp = optuna.importance.get_param_importances(
                    study, target=lambda t: t.values[0], evaluator=None
                )
            importances = {k: float(v) for k, v in imp.items()}
        except (ValueError, RuntimeError, ZeroDivisionError):
            importances = {}
    return OptimizeResult(
        scenario=str(ev.path),
        objectives=tuple(objectives),
        directions=tuple(directions),
        constraints=tuple(cons),
        parameters=sp.names,
        trials=rows,
        front=front,
        best=best,
        versus_input=versus,
        importances=importances,
        base_seed=base_seed,
        reps=reps,
        race_reps=race_reps,
        study_name=name,
        wall_s=time.perf_counter() - start,
        sim_wall_s=ev.sim_wall_s,
        runs=ev.runs,
        workers=ev.workers if ev.runs else 0,
        interrupted=interrupted,
    )


def write_optimize(
    result: OptimizeResult,
    out: Path,
    scenario: Path,
    overrides: Sequence[str],
    command: Sequence[str] | None,
) -> None:
    """trials.csv/.parquet, front.csv, best.toml (when a feasible policy was found) and
    optimize.json into ``out``."""
    import json

    import pandas as pd

    from sim.outputs import _clean

    out.mkdir(parents=True, exist_ok=True)
    trials = result.to_pandas()
    write_atomic(out / "trials.csv", trials.to_csv(index=False))
    trials.to_parquet(out / "trials.parquet", index=False)
    write_atomic(out / "front.csv", pd.DataFrame(result.front).to_csv(index=False))
    files = {"trials": "trials.csv", "trials_parquet": "trials.parquet", "front": "front.csv"}
    best_file = out / "best.toml"
    if result.best is not None:
        m = result.best["metrics"]
        notes = [
            "Chosen by takedown optimize; runnable as is.",
            f"seed {result.base_seed}, {result.best['reps']} replications, 95% CI:",
            *(f"  {k}: {v[0]:.4g} [{v[1]:.4g}, {v[2]:.4g}]" for k, v in m.items()),
            *(f"  constraint {c.text}: holds on the CI bound" for c in result.constraints),
        ]
        text = extending_scenario(
            scenario,
            best_file,
            f"{Path(scenario).stem}_best",
            result.best["params"],
            overrides,
            notes,
        )
        write_atomic(best_file, text)
        files["best"] = "best.toml"
    elif best_file.exists():
        best_file.unlink()  # a previous run's winner must not pass for this one's
    result.files = files
    doc = {**result.summary(), "command": list(command or [])}
    write_atomic(out / "optimize.json", json.dumps(_clean(doc), indent=2, sort_keys=True) + "\n")
