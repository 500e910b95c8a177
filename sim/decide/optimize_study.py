"""The Optuna study of an optimisation: samplers, shared storage (heartbeats, stale and
surplus trials), creating or joining a study, and the search loop that asks, replicates
and tells trials."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.decide.common import DecisionError, ProgressFn, sampler_seed
from sim.decide.evaluate import Candidate, Evaluator
from sim.decide.optimize_result import Problem
from sim.decide.space import Space
from sim.interrupts import HeldInterrupts
from sim.rng import draw_seed

HEARTBEAT_S = 5
JOIN_WAIT_S = 30.0  # how long a joining process waits for the study's creator


@dataclass(frozen=True)
class SearchStats:
    """How the search loop of this process went."""

    interrupted: bool
    search_s: float  # wall time of the loop
    eval_s: float  # ... of which waiting for replications
    told: int  # trials this process told


@dataclass
class _Tally:
    told: int = 0  # trials this process told
    eval_s: float = 0.0  # seconds waiting for replications


def _stats(cand: Candidate, metrics: Sequence[str]) -> dict[str, list[float]]:
    out = {}
    for m in metrics:
        iv = cand.interval(m)
        out[m] = [iv.mean, iv.ci_low, iv.ci_high]
    return out


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
            raise DecisionError(f"storage {url!r}: cannot open: {reason}") from None
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
        raise DecisionError(f"storage: study {name!r} was not made by takedown optimize")
    if stored != signature:
        raise DecisionError(
            f"storage: study {name!r} was started with other objectives, "
            "constraints, space or scenario; pick another study_name"
        )
    base_seed = int(study.user_attrs["base_seed"])
    if seed is not None and seed != base_seed:
        raise DecisionError(f"seed {seed}: study {name!r} runs with seed {base_seed}")
    return study, base_seed


def open_study(
    name: str, rdb: Any, problem: Problem, signature: dict[str, Any], seed: int | None, trials: int
) -> tuple[Any, int]:
    """The study (created or joined) with its sampler, and its base seed."""
    n_objectives = len(problem.objectives)
    first_seed = seed if seed is not None else draw_seed()
    sampler = _sampler(n_objectives, first_seed, trials)
    study, base_seed = _study(name, rdb, problem.directions, sampler, signature, first_seed, seed)
    if base_seed != first_seed:  # a resumed study keeps the seed it started with
        study.sampler = _sampler(n_objectives, base_seed, trials)
    return study, base_seed


def _tell(study: Any, t: Any, cand: Candidate, problem: Problem) -> None:
    """Record a trial's statistics and constraint misses, and tell its objectives."""
    import optuna

    stats = _stats(cand, problem.metrics)
    t.set_user_attr("stats", stats)
    t.set_user_attr("reps", len(cand.reps))
    misses = [c.violation(cand.interval(c.metric)) for c in problem.constraints]
    t.set_user_attr("constraints", misses)
    for c, miss in zip(problem.constraints, misses, strict=True):
        t.set_constraint(c.text, miss)
    values = [stats[m][0] for m in problem.objectives]
    if all(math.isfinite(v) for v in values):
        study.tell(t, values)
    else:
        study.tell(t, state=optuna.trial.TrialState.FAIL)


def search(
    study: Any,
    rdb: Any,
    ev: Evaluator,
    sp: Space,
    problem: Problem,
    *,
    trials: int,
    batch: int,
    grace_s: int,
    progress: ProgressFn | None,
) -> SearchStats:
    """Ask, replicate and tell trials in batches until the study holds ``trials``; on
    Ctrl-C stop (the asked, untold trials fail, never left running)."""
    import optuna

    C = optuna.trial.TrialState
    loop_start, tally, interrupted = time.perf_counter(), _Tally(), False
    pending: list[Any] = []  # asked, not yet told: failed on Ctrl-C, never left running
    with HeldInterrupts() as held:  # Ctrl-C never lands inside a storage write
        try:
            _loop(study, rdb, ev, sp, problem, trials, batch, grace_s, progress, pending,
                  held, tally)  # fmt: skip
        except KeyboardInterrupt:
            interrupted = True
        finally:
            for t in pending:
                with contextlib.suppress(Exception):  # told already when cut short mid-tell
                    study.tell(t, state=C.FAIL)
    return SearchStats(interrupted, time.perf_counter() - loop_start, tally.eval_s, tally.told)


def _loop(
    study: Any,
    rdb: Any,
    ev: Evaluator,
    sp: Space,
    problem: Problem,
    trials: int,
    batch: int,
    grace_s: int,
    progress: ProgressFn | None,
    pending: list[Any],
    held: HeldInterrupts,
    tally: _Tally,
) -> None:
    """The search loop. Asked, untold trials are in ``pending``, so that the caller can
    fail them on Ctrl-C; ``tally`` counts as it goes, so a cut-short loop still reports."""
    import optuna

    C = optuna.trial.TrialState
    while True:
        held.check()
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
        asked = _within_budget(study, list(pending), trials)
        pending[:] = asked
        if not asked:
            continue
        params = [{p.path: p.suggest(t) for p in sp.parameters} for t in asked]
        beat = _Heartbeat(
            rdb, [t._trial_id for t in asked], max(1.0, min(HEARTBEAT_S, grace_s / 3))
        )
        eval_start = time.perf_counter()
        try:
            with held.open():
                cands = ev.evaluate(params, problem.reps)
        finally:
            beat.stop()
            tally.eval_s += time.perf_counter() - eval_start
        for t, cand in zip(asked, cands, strict=True):
            _tell(study, t, cand, problem)
            pending.remove(t)
            tally.told += 1
