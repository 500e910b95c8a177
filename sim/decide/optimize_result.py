"""What an optimisation returns and writes: the result object, the problem it solved and
its output files (trials, front, best.toml, optimize.json)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.decide.common import Constraint, extending_scenario, write_atomic
from sim.decide.space import toml_cells


@dataclass(frozen=True)
class Problem:
    """What is optimised: objectives with their directions, constraints, replications."""

    objectives: tuple[str, ...]
    directions: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    reps: int
    race_reps: int

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.objectives, *(c.metric for c in self.constraints)]))

    def key(self, row: Mapping[str, Any]) -> list[float]:
        """The objectives of ``row`` as values to minimise."""
        return [
            (1.0 if d == "minimize" else -1.0) * float(row[m])
            for d, m in zip(self.directions, self.objectives, strict=True)
        ]


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
    write_atomic(out / "trials.csv", toml_cells(trials).to_csv(index=False))
    trials.to_parquet(out / "trials.parquet", index=False)
    write_atomic(out / "front.csv", toml_cells(pd.DataFrame(result.front)).to_csv(index=False))
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
