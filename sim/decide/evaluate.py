"""Running candidate parameter values through the experiment machinery.

Replication ``i`` of every candidate uses the root seed ``rep_seed(base_seed, i)`` (common
random numbers), so two candidates differ only by their parameter values and paired
differences between them are tight. A candidate's replications are kept, so asking for
more of them later (racing) runs only the new ones, and asking twice for the same values
runs nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.backends import Backend, make_backend
from sim.decide.space import Value, set_values
from sim.experiment.design import RunTask, rep_seed
from sim.experiment.runner import RunOutcome, execute
from sim.scenario import apply_overrides, from_dict, read_toml
from sim.stats import Interval, mean_ci

Params = Mapping[str, Value]
ProgressCallback = Callable[[int, int], None]  # (done, total) of the current stage


def params_key(params: Params) -> tuple[tuple[str, str], ...]:
    """A hashable key of parameter values (repr keeps 1 and 1.0 and true apart)."""
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


@dataclass
class Candidate:
    """One set of parameter values and the metrics of its replications so far."""

    params: dict[str, Value]
    reps: dict[int, dict[str, float]]

    def values(self, metric: str) -> list[float]:
        """The metric's value in each replication, by replication number."""
        return [self.reps[r].get(metric, math.nan) for r in sorted(self.reps)]

    def interval(self, metric: str) -> Interval:
        """Mean and 95% CI of the metric over the replications."""
        return mean_ci(self.values(metric))

    def mean(self, metric: str) -> float:
        """Mean of the metric over the replications (NaN when none is finite)."""
        return self.interval(metric).mean


class Evaluator:
    """Evaluates candidates of one base scenario on one backend (kept open throughout)."""

    def __init__(
        self,
        scenario: str | Path,
        overrides: Sequence[str] = (),
        *,
        base_seed: int,
        jobs: int | None = None,
        dask: str | None = None,
    ) -> None:
        self.path = Path(scenario)
        self.overrides = tuple(overrides)
        self.base_data = apply_overrides(read_toml(self.path), self.overrides)
        self.base_scenario = from_dict(self.base_data, str(self.path))
        self.base_seed = base_seed
        self.jobs, self.dask = jobs, dask
        self._backend: Backend | None = None
        self._cache: dict[tuple[tuple[str, str], ...], Candidate] = {}
        self.runs = 0
        self.sim_wall_s = 0.0
        self.eval_wall_s = 0.0

    @property
    def backend(self) -> Backend:
        """The backend, started on first use."""
        if self._backend is None:
            self._backend = make_backend(self.jobs, self.dask)
        return self._backend

    @property
    def workers(self) -> int:
        """Worker count of the backend."""
        return self.backend.workers

    def close(self) -> None:
        """Stop the backend's workers."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def scenario_data(self, params: Params) -> dict[str, Any]:
        """The base scenario's data with ``params`` set."""
        return set_values(self.base_data, params)

    def finished(self, params: Params, reps: int) -> Candidate | None:
        """The candidate of ``params`` if its replications 0..reps-1 have all run."""
        cand = self._cache.get(params_key(params))
        return cand if cand is not None and all(r in cand.reps for r in range(reps)) else None

    def evaluate(
        self,
        batch: Sequence[Params],
        reps: int,
        progress: ProgressCallback | None = None,
    ) -> list[Candidate]:
        """Every candidate of ``batch`` with replications 0..reps-1 (only the missing ones
        run). Raises ScenarioError for values that make an invalid scenario."""
        start = time.perf_counter()
        cands: list[Candidate] = []
        tasks: list[RunTask] = []
        owner: dict[int, Candidate] = {}
        planned: set[tuple[tuple[tuple[str, str], ...], int]] = set()
        for params in batch:
            key = params_key(params)
            cand = self._cache.get(key)
            if cand is None:
                cand = self._cache[key] = Candidate(dict(params), {})
            cands.append(cand)
            missing = [r for r in range(reps) if r not in cand.reps and (key, r) not in planned]
            if not missing:
                continue
            label = " ".join(f"{k}={v}" for k, v in params.items()) or "input"
            scenario = from_dict(self.scenario_data(params), f"{self.path} [{label}]")
            for rep in missing:
                planned.add((key, rep))
                index = len(tasks)
                seed = rep_seed(self.base_seed, rep)
                tasks.append(RunTask(index, label, rep, seed, scenario, None, False))
                owner[index] = cand
        if tasks:
            sink: list[RunOutcome] = []

            def tick(ev: Any) -> None:
                if progress is not None:
                    progress(ev.done, ev.total)

            try:
                execute(self.backend, tasks, sink, tick, total=len(tasks))
            finally:
                for outcome in sink:
                    owner[outcome.index].reps[outcome.rep] = outcome.metrics
                    self.sim_wall_s += outcome.wall_s
                self.runs += len(sink)
        self.eval_wall_s += time.perf_counter() - start
        return cands
