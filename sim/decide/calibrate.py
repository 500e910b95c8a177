"""Fit a space's parameters to target figures by optimisation on a distance.

The distance of a candidate is the sum over targets of ``weight * ((mean - value) /
tolerance)^2`` (for a target interval [low, high], the miss beyond the nearer end in
units of half its width, zero inside), so a fit with every mean inside its tolerance has
distance at most the sum of the weights. Optuna's TPE proposes the first half of the
trials (seeded) to find the region of the fit; the second half refine the best of them
by trust-region steps on local linear models of the metrics (``calibrate_refine``),
which follow the narrow, tilted ridges that correlated parameters make and TPE does
not. Every candidate is replicated with the same root seeds (common random numbers), and
the closest candidates get more replications before the fit is named. The calibrated scenario
``extends`` the base with the fitted values and records the targets, the fit with its
CIs and the seeds.

    >>> from sim.decide import calibrate
    >>> fit = calibrate("base.toml", "targets.toml", "space.toml", trials=40, seed=1)
    >>> fit.params, fit.fit_pandas()
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.decide import calibrate_refine
from sim.decide.common import (
    DecisionError,
    ProgressFn,
    extending_scenario,
    sampler_seed,
    write_atomic,
)
from sim.decide.evaluate import Candidate, Evaluator, params_key
from sim.decide.space import Space, Target, load_space, load_targets, toml_cells
from sim.rng import draw_seed

DEFAULT_BATCH = 4


class CalibrationInterrupted(KeyboardInterrupt):
    """Ctrl-C during a calibration; ``result`` holds the finished trials."""

    def __init__(self, result: CalibrationResult) -> None:
        super().__init__(f"interrupted after {len(result.trials)} finished trials")
        self.result = result


@dataclass
class CalibrationResult:
    """The fitted values, each target against the fit, and every trial."""

    scenario: str
    params: dict[str, Any]
    distance: float
    fit: list[dict[str, Any]]
    trials: list[dict[str, Any]]
    targets: tuple[Target, ...]
    base_seed: int
    reps: int
    race_reps: int
    wall_s: float
    runs: int
    interrupted: bool = False
    out_dir: Path | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def all_within(self) -> bool:
        """True when every target's fitted mean lies within its tolerance."""
        return all(row["within"] for row in self.fit)

    def to_pandas(self) -> Any:
        """The trials table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.trials)

    def fit_pandas(self) -> Any:
        """Targets against the fit (mean and 95% CI) as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.fit)


def distance(targets: Sequence[Target], cand: Candidate) -> float:
    """The weighted squared miss of a candidate's means, in units of the tolerances."""
    return sum(t.distance(cand.mean(t.metric)) for t in targets)


def _fit_rows(targets: Sequence[Target], cand: Candidate) -> list[dict[str, Any]]:
    rows = []
    for t in targets:
        iv = cand.interval(t.metric)
        rows.append(
            {
                "metric": t.metric,
                "target": t.value,
                "tolerance": t.tolerance,
                "weight": t.weight,
                "mean": iv.mean,
                "ci_low": iv.ci_low,
                "ci_high": iv.ci_high,
                "within": t.within(iv.mean),
            }
        )
    return rows


@dataclass(frozen=True)
class _Budget:
    """How many trials, replications and raced candidates a calibration spends."""

    trials: int
    reps: int
    race: int
    batch: int
    race_reps: int
    refine: int  # of the trials, how many refine the best of the others


def _budget(
    trials: int, reps: int, race: int, batch: int, race_reps: int | None, refine: int | None
) -> _Budget:
    """The checked counts (refinement defaults to half the trials)."""
    for name, value, least in (
        ("trials", trials, 1),
        ("reps", reps, 1),
        ("race", race, 0),
        ("batch", batch, 1),
        ("refine", 0 if refine is None else refine, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise DecisionError(f"{name} {value}: must be a whole number >= {least}")
    race_reps = race_reps if race_reps is not None else 2 * reps
    if race_reps < reps:
        raise DecisionError(f"race_reps {race_reps}: must be at least reps ({reps})")
    refine = trials // 2 if refine is None else refine
    if refine >= trials:
        raise DecisionError(f"refine {refine}: must be fewer than trials ({trials})")
    return _Budget(trials, reps, race, batch, race_reps, refine)


def _new_study(base_seed: int, trials: int) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(
            seed=sampler_seed(base_seed), n_startup_trials=min(10, trials)
        ),
    )


def _record(
    rows: list[dict[str, Any]], cand: Candidate, tgts: Sequence[Target], stage: str
) -> float:
    """Append the candidate as the next trial row; its distance."""
    d = distance(tgts, cand)
    row: dict[str, Any] = {"trial": len(rows), "stage": stage, "reps": len(cand.reps)}
    row.update(cand.params)
    row.update({tg.metric: cand.mean(tg.metric) for tg in tgts})
    row["distance"] = d
    rows.append(row)
    return d


def _search(
    study: Any,
    ev: Evaluator,
    sp: Space,
    tgts: Sequence[Target],
    rows: list[dict[str, Any]],
    *,
    trials: int,
    batch: int,
    reps: int,
    progress: ProgressFn | None,
) -> None:
    """Ask, replicate and tell trials in batches, appending each finished one to ``rows``
    (which keeps them when Ctrl-C cuts the search short)."""
    import optuna

    while len(rows) < trials:
        if progress is not None:
            progress("trials", len(rows), trials)
        asked = [study.ask() for _ in range(min(batch, trials - len(rows)))]
        params = [{p.path: p.suggest(t) for p in sp.parameters} for t in asked]
        try:
            cands = ev.evaluate(params, reps)
        except BaseException:
            for t in asked:
                study.tell(t, state=optuna.trial.TrialState.FAIL)
            raise
        for t, cand in zip(asked, cands, strict=True):
            d = _record(rows, cand, tgts, "explore")
            study.tell(t, d if math.isfinite(d) else 1e300)
    if progress is not None:
        progress("trials", len(rows), trials)


def _race_pool(rows: Sequence[dict[str, Any]], sp: Space, race: int) -> list[dict[str, Any]]:
    """The parameters of the closest distinct candidates."""
    pool: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for row in sorted(rows, key=lambda r: r["distance"]):
        key = params_key({p: row[p] for p in sp.names})
        if key not in seen and len(pool) < max(race, 1):
            seen.add(key)
            pool.append({p: row[p] for p in sp.names})
    return pool


def _race_best(
    ev: Evaluator,
    pool: list[dict[str, Any]],
    tgts: Sequence[Target],
    reps: int,
    progress: ProgressFn | None,
) -> Candidate:
    """Replicate the pool ``reps`` times each; the closest candidate."""

    def tick(done: int, total: int) -> None:
        if progress is not None:
            progress("racing", done, total)

    raced = ev.evaluate(pool, reps, tick)
    return min(raced, key=lambda c: distance(tgts, c))


def _fit(
    ev: Evaluator,
    sp: Space,
    tgts: Sequence[Target],
    rows: list[dict[str, Any]],
    budget: _Budget,
    base_seed: int,
    progress: ProgressFn | None,
) -> Candidate:
    """Search, then race the closest candidates; the best fit. ``rows`` gets the trials."""
    b = budget
    refine = b.refine if calibrate_refine.numeric(sp) else 0
    explore = b.trials - refine
    study = _new_study(base_seed, explore)
    _search(
        study, ev, sp, tgts, rows, trials=explore, batch=b.batch, reps=b.reps, progress=progress
    )
    if refine:
        record = lambda cand: _record(rows, cand, tgts, "refine")  # noqa: E731
        calibrate_refine.refine(ev, sp, tgts, rows, record, b.trials, b.batch, b.reps, progress)
    # the closest candidates get more replications before the fit is named
    pool = _race_pool(rows, sp, b.race)
    return _race_best(ev, pool, tgts, b.race_reps if b.race > 0 else b.reps, progress)


def calibrate(
    scenario: str | Path,
    targets: str | Path | Sequence[Target],
    space: str | Path | Space,
    *,
    trials: int = 40,
    reps: int = 3,
    race: int = 5,
    race_reps: int | None = None,
    refine: int | None = None,
    batch: int = DEFAULT_BATCH,
    seed: int | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    command: Sequence[str] | None = None,
) -> CalibrationResult:
    """Search ``space`` for the values whose replicated means come closest to ``targets``
    (``refine`` of the ``trials``, default half, refine the best of TPE's others). Raises
    ScenarioError, SpaceError, DecisionError or BackendError for bad input;
    CalibrationInterrupted (holding the finished trials) on Ctrl-C."""
    start = time.perf_counter()
    budget = _budget(trials, reps, race, batch, race_reps, refine)
    path = Path(scenario)
    tgts = tuple(targets) if not isinstance(targets, str | Path) else load_targets(targets)
    sp = space if isinstance(space, Space) else load_space(space, path, overrides)
    base_seed = seed if seed is not None else draw_seed()
    ev = Evaluator(path, overrides, base_seed=base_seed, jobs=jobs, dask=dask)
    rows: list[dict[str, Any]] = []
    interrupted, best_cand = False, Candidate({}, {})
    try:
        best_cand = _fit(ev, sp, tgts, rows, budget, base_seed, progress)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        runs = ev.runs
        ev.close()
    result = CalibrationResult(
        scenario=str(path),
        params=dict(best_cand.params),
        distance=distance(tgts, best_cand) if best_cand.reps else math.inf,
        fit=_fit_rows(tgts, best_cand) if best_cand.reps else [],
        trials=rows,
        targets=tgts,
        base_seed=base_seed,
        reps=reps,
        race_reps=budget.race_reps,
        wall_s=time.perf_counter() - start,
        runs=runs,
        interrupted=interrupted,
    )
    if out_dir is not None:
        result.out_dir = Path(out_dir)
        write_calibration(result, Path(out_dir), path, overrides, targets, command)
    if interrupted:
        raise CalibrationInterrupted(result)
    return result


def write_calibration(
    result: CalibrationResult,
    out: Path,
    scenario: Path,
    overrides: Sequence[str],
    targets: Any,
    command: Sequence[str] | None,
) -> None:
    """calibrated.toml (with provenance), fit.csv, trials.csv, calibration.json."""
    import json

    from sim.outputs import _clean

    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "trials.csv", toml_cells(result.to_pandas()).to_csv(index=False))
    write_atomic(out / "fit.csv", result.fit_pandas().to_csv(index=False))
    files = {"trials": "trials.csv", "fit": "fit.csv"}
    calibrated = out / "calibrated.toml"
    if result.params and not result.interrupted:
        source = str(targets) if isinstance(targets, str | Path) else "<targets>"
        notes = [
            f"Calibrated by takedown calibrate to {source}; runnable as is.",
            f"seed {result.base_seed}, {result.race_reps} replications per fitted value, "
            f"distance {result.distance:.4g}; targets against the fit (mean, 95% CI):",
            *(
                f"  {r['metric']}: target {r['target']:.4g} +- {r['tolerance']:.4g}, fit "
                f"{r['mean']:.4g} [{r['ci_low']:.4g}, {r['ci_high']:.4g}]"
                f"{'' if r['within'] else '  OUTSIDE tolerance'}"
                for r in result.fit
            ),
        ]
        text = extending_scenario(
            scenario, calibrated, f"{scenario.stem}_calibrated", result.params, overrides, notes
        )
        write_atomic(calibrated, text)
        files["calibrated"] = "calibrated.toml"
    result.files = files
    doc = {
        "scenario": result.scenario,
        "targets": [t.__dict__ for t in result.targets],
        "params": result.params,
        "distance": result.distance,
        "fit": result.fit,
        "all_within": result.all_within,
        "base_seed": result.base_seed,
        "reps": result.reps,
        "race_reps": result.race_reps,
        "trials": len(result.trials),
        "runs": result.runs,
        "wall_s": result.wall_s,
        "interrupted": result.interrupted,
        "files": files,
        "command": list(command or []),
    }
    write_atomic(out / "calibration.json", json.dumps(_clean(doc), indent=2, sort_keys=True) + "\n")
