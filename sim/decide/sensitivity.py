"""Which parameters drive the outcome: Morris elementary effects (mu*, sigma) and Sobol
first-order and total indices, each with a 95% bootstrap interval, per metric.

SALib draws the design in the unit hypercube; each point becomes parameter values through
the space (integers, steps, log scales and choices each get equal shares of [0, 1]), and
is replicated with the same root seeds as every other point (common random numbers), so
a parameter that does not enter a metric gives exactly zero effect on it.

    >>> from sim.decide import sensitivity
    >>> res = sensitivity("scenarios/smoke.toml", "space.toml", method="morris", samples=10)
    >>> res.ranking("fake_exposure_listing_days")
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.decide.common import (
    DecisionError,
    ProgressFn,
    check_metric,
    sampler_seed,
    write_atomic,
)
from sim.decide.evaluate import Candidate, Evaluator
from sim.decide.space import Space, load_space, toml_cells
from sim.rng import draw_seed

Method = Literal["morris", "sobol"]
MORRIS_LEVELS = 4
BOOTSTRAP_RESAMPLES = 1000
MAIN_INDEX = {"morris": "mu_star", "sobol": "ST"}


class SensitivityInterrupted(KeyboardInterrupt):
    """Ctrl-C during a design; ``result`` holds the finished points (also on disk)."""

    def __init__(self, result: SensitivityResult) -> None:
        self.kept = f"{len(result.design)} of {result.points} design points finished"
        super().__init__(f"interrupted: {self.kept}")
        self.result = result


@dataclass
class SensitivityResult:
    """Indices per metric and parameter (``rows``), and the design that produced them."""

    method: str
    scenario: str
    parameters: tuple[str, ...]
    metrics: tuple[str, ...]
    rows: list[dict[str, Any]]
    design: list[dict[str, Any]]
    samples: int
    reps: int
    base_seed: int
    wall_s: float
    runs: int
    skipped: dict[str, str] = field(default_factory=dict)  # metric -> why no indices
    out_dir: Path | None = None
    interrupted: bool = False  # Ctrl-C: ``design`` holds the finished points, no indices
    points: int = 0  # design points planned

    def to_pandas(self) -> Any:
        """The indices table (indices.csv) as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    @property
    def main_index(self) -> str:
        """The index that ranks parameters: mu_star (Morris) or ST (Sobol)."""
        return MAIN_INDEX[self.method]

    def ranking(self, metric: str) -> list[str]:
        """Parameters from most to least influential on ``metric`` (mu* or total index)."""
        main = self.main_index
        rows = [r for r in self.rows if r["metric"] == metric and r["index"] == main]
        return [r["parameter"] for r in sorted(rows, key=lambda r: -r["value"])]

    def index(self, metric: str, parameter: str, name: str | None = None) -> dict[str, Any]:
        """One row: value and interval of an index (default mu* or ST)."""
        name = name or MAIN_INDEX[self.method]
        for r in self.rows:
            if (r["metric"], r["parameter"], r["index"]) == (metric, parameter, name):
                return r
        raise KeyError(f"no {name} for {parameter} on {metric}")


def _design(method: Method, d: int, samples: int, seed: int) -> np.ndarray:
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    if method == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed))
    from SALib.sample import sobol

    return np.asarray(sobol.sample(problem, samples, calc_second_order=False, seed=seed))


def _analyse(
    method: Method, space: Space, x: np.ndarray, y: np.ndarray, seed: int, metric: str
) -> list[dict[str, Any]]:
    names = list(space.names)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    rows: list[dict[str, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 for a metric that never moves
        if method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(
                problem, x, y, num_resamples=BOOTSTRAP_RESAMPLES, conf_level=0.95, seed=seed
            )
            for i, p in enumerate(names):
                mu, half = float(si["mu_star"][i]), float(si["mu_star_conf"][i])
                rows.append(_index_row(method, metric, p, "mu_star", mu, mu - half, mu + half))
                sd = float(si["sigma"][i])
                rows.append(_index_row(method, metric, p, "sigma", sd, math.nan, math.nan))
        else:
            from SALib.analyze import sobol

            si = sobol.analyze(
                problem,
                y,
                calc_second_order=False,
                num_resamples=BOOTSTRAP_RESAMPLES,
                conf_level=0.95,
                seed=seed,
            )
            for i, p in enumerate(names):
                for name in ("S1", "ST"):
                    v, half = float(si[name][i]), float(si[f"{name}_conf"][i])
                    rows.append(_index_row(method, metric, p, name, v, v - half, v + half))
    main = MAIN_INDEX[method]
    ranked = sorted((r for r in rows if r["index"] == main), key=lambda r: -_finite(r["value"]))
    for rank, r in enumerate(ranked, start=1):
        r["rank"] = rank
    return rows


def _finite(v: float) -> float:
    return v if math.isfinite(v) else -math.inf


def _index_row(
    method: str, metric: str, p: str, index: str, v: float, lo: float, hi: float
) -> dict[str, Any]:
    return {
        "method": method,
        "metric": metric,
        "parameter": p,
        "index": index,
        "value": v,
        "ci_low": lo,
        "ci_high": hi,
        "rank": None,
    }


def _checked(
    method: str, samples: int, reps: int, metrics: Sequence[str] | None
) -> tuple[str, ...]:
    """Check the options; the metrics to analyse."""
    from sim.metrics import HEADLINE_METRICS

    if method not in ("morris", "sobol"):
        raise DecisionError(f"method {method!r}: expected morris or sobol")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        raise DecisionError(f"samples {samples}: must be a whole number >= 2")
    if method == "sobol" and samples & (samples - 1):
        raise DecisionError(
            f"samples {samples}: Sobol needs a power of 2 (e.g. {1 << (samples - 1).bit_length()})"
        )
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise DecisionError(f"reps {reps}: must be a whole number >= 1")
    return (
        tuple(check_metric(m, "metrics") for m in metrics)
        if metrics
        else (*HEADLINE_METRICS, "am_busy_hours", "cost_total_usd", "fake_exposure_listing_days")
    )


def _design_rows(
    x: np.ndarray, cands: Sequence[Candidate], sp: Space, chosen: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per design point: its unit coordinates, values and metric means."""
    design = []
    for u, cand in zip(x, cands, strict=True):
        row: dict[str, Any] = {f"u[{p}]": float(v) for p, v in zip(sp.names, u, strict=True)}
        row.update(cand.params)
        row.update({m: cand.mean(m) for m in chosen})
        design.append(row)
    return design


def _indices(
    method: Method,
    sp: Space,
    x: np.ndarray,
    cands: Sequence[Candidate],
    seed: int,
    chosen: Sequence[str],
    interrupted: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The index rows of each metric, and the metrics skipped (with why): all of them
    when the design was cut short (indices need every point)."""
    rows: list[dict[str, Any]] = []
    if interrupted:
        return rows, {m: "interrupted before the design finished" for m in chosen}
    skipped: dict[str, str] = {}
    for m in chosen:
        y = np.array([cand.mean(m) for cand in cands], dtype=np.float64)
        if not np.all(np.isfinite(y)):
            skipped[m] = f"no value at {int(np.sum(~np.isfinite(y)))} of {y.size} points"
            continue
        rows.extend(_analyse(method, sp, x, y, seed, m))
    return rows, skipped


def _run_design(
    ev: Evaluator,
    x: np.ndarray,
    points: list[dict[str, Any]],
    reps: int,
    progress: ProgressFn | None,
) -> tuple[np.ndarray, list[Candidate], bool]:
    """Replicate every design point: (unit coordinates, candidates, interrupted). After
    Ctrl-C only the points whose replications all finished are returned."""

    def tick(done: int, total: int) -> None:
        if progress is not None:
            progress("runs", done, total)

    try:
        return x, ev.evaluate(points, reps, tick), False
    except KeyboardInterrupt:
        kept = [(i, ev.finished(p, reps)) for i, p in enumerate(points)]
        done = [(i, c) for i, c in kept if c is not None]
        return x[[i for i, _ in done]], [c for _, c in done], True


def sensitivity(
    scenario: str | Path,
    space: str | Path | Space,
    *,
    method: Method = "morris",
    samples: int = 10,
    metrics: Sequence[str] | None = None,
    reps: int = 2,
    seed: int | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    command: Sequence[str] | None = None,
) -> SensitivityResult:
    """Run a SALib design over ``space`` and compute indices for each metric.

    Morris: ``samples`` trajectories of (parameters + 1) points each; Sobol (Saltelli):
    ``samples`` (a power of 2) times (parameters + 2) points. Each point is the mean of
    ``reps`` replications with the same root seeds. Raises ScenarioError, SpaceError,
    DecisionError or BackendError for bad input.
    """
    start = time.perf_counter()
    chosen = _checked(method, samples, reps, metrics)
    path = Path(scenario)
    sp = space if isinstance(space, Space) else load_space(space, path, overrides)
    if method == "morris" and len(sp.parameters) < 2:
        raise DecisionError("morris: the space needs at least two parameters")
    base_seed = seed if seed is not None else draw_seed()
    x = _design(method, len(sp.parameters), samples, sampler_seed(base_seed))
    points = [sp.from_unit(row) for row in x]
    with Evaluator(path, overrides, base_seed=base_seed, jobs=jobs, dask=dask) as ev:
        x, cands, interrupted = _run_design(ev, x, points, reps, progress)
        runs = ev.runs
    design = _design_rows(x, cands, sp, chosen)
    rows, skipped = _indices(method, sp, x, cands, sampler_seed(base_seed), chosen, interrupted)
    result = SensitivityResult(
        method=method,
        scenario=str(path),
        parameters=sp.names,
        metrics=chosen,
        rows=rows,
        design=design,
        samples=samples,
        reps=reps,
        base_seed=base_seed,
        wall_s=time.perf_counter() - start,
        runs=runs,
        skipped=skipped,
        interrupted=interrupted,
        points=len(points),
    )
    if out_dir is not None:
        result.out_dir = Path(out_dir)
        write_sensitivity(result, Path(out_dir), command)
    if interrupted:
        raise SensitivityInterrupted(result)
    return result


def write_sensitivity(result: SensitivityResult, out: Path, command: Sequence[str] | None) -> None:
    """indices.csv, design.csv and sensitivity.json into ``out``."""
    import json

    import pandas as pd

    from sim.outputs import _clean

    out.mkdir(parents=True, exist_ok=True)
    if result.interrupted:  # no indices from a part of a design: none, not stale ones
        (out / "indices.csv").unlink(missing_ok=True)
    else:
        write_atomic(out / "indices.csv", result.to_pandas().to_csv(index=False))
    write_atomic(out / "design.csv", toml_cells(pd.DataFrame(result.design)).to_csv(index=False))
    doc = {
        "method": result.method,
        "scenario": result.scenario,
        "parameters": list(result.parameters),
        "metrics": list(result.metrics),
        "samples": result.samples,
        "reps": result.reps,
        "base_seed": result.base_seed,
        "runs": result.runs,
        "wall_s": result.wall_s,
        "skipped": result.skipped,
        "interrupted": result.interrupted,
        "points": result.points,
        "points_finished": len(result.design),
        "ranking": {m: result.ranking(m) for m in result.metrics if m not in result.skipped},
        "command": list(command or []),
    }
    write_atomic(out / "sensitivity.json", json.dumps(_clean(doc), indent=2, sort_keys=True) + "\n")
