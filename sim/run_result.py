"""The record of one run: metrics, daily series, notice trace and events, in memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.scenario import Scenario, scenario_dict


@dataclass(frozen=True)
class RunResult:
    """Everything one run produced, in memory: metrics, daily series, notice trace, events."""

    scenario: Scenario
    seed: int
    version: str
    metrics: dict[str, float]
    daily: dict[str, np.ndarray]
    notices: dict[str, np.ndarray]
    events: dict[str, np.ndarray] | None = None

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary: scenario, seed, version and metrics."""
        return {
            "scenario": scenario_dict(self.scenario),
            "seed": self.seed,
            "version": self.version,
            "metrics": dict(self.metrics),
        }
