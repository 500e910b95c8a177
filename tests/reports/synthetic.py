"""Seeded synthetic output folders for report tests of edge cases the model rarely produces.

The summary files are written by the experiments' own writers (``write_outputs``); only
the per-run metrics, daily series and notice traces are drawn here, from a seeded
generator, with a known effect per design point so verdicts have a known direction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.wording import WORDING
from sim.experiment.design import DesignPoint, rep_seed, safe_name
from sim.experiment.result import ExperimentResult, build_rows
from sim.experiment.runner import RunOutcome
from sim.experiment.writers import write_outputs
from sim.scenario import from_dict, scenario_dict

METRICS = tuple(WORDING)
HORIZON_DAYS = 30


def _metrics(rng: np.random.Generator, effect: float) -> dict[str, float]:
    m = {k: float(rng.gamma(5.0, 20.0)) for k in METRICS}
    m["notice_to_removal_h_p95"] = 30.0 - 10.0 * effect + rng.normal(0.0, 1.0)
    m["notices_within_24h_share"] = 0.7 + 0.2 * effect + rng.normal(0.0, 0.01)
    m["removed_before_first_sale_share"] = 0.9 + 0.05 * effect + rng.normal(0.0, 0.005)
    m["am_utilization"] = 0.6 + 0.1 * effect + rng.normal(0.0, 0.02)
    m["proactive_to_notice_ratio"] = 8.0 + 15.0 * effect + rng.normal(0.0, 0.5)
    m["fake_sales"] = 500.0 - 200.0 * effect + rng.normal(0.0, 10.0)
    m["am_busy_hours"] = 300.0 + 100.0 * effect + rng.normal(0.0, 10.0)
    return m


def write_run(scenario_tree: Mapping[str, Any], seed: int, effect: float, out: Path) -> dict:
    """One run folder (summary.json, daily.csv, notices.csv) with a known effect size."""
    rng = np.random.default_rng([seed % 2**32, int(effect * 1000)])
    metrics = _metrics(rng, effect)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"scenario": scenario_tree, "seed": seed, "version": "0.1.0", "metrics": metrics}
    (out / "summary.json").write_text(json.dumps(summary, sort_keys=True), encoding="utf-8")
    day = np.arange(HORIZON_DAYS)
    pd.DataFrame(
        {
            "day": day,
            "fakes_live": 200 - 80 * effect + rng.normal(0, 10, day.size),
            "notices_filed": rng.poisson(20, day.size),
            "queue_length": rng.poisson(10 * (1 - effect) + 1, day.size),
        }
    ).to_csv(out / "daily.csv", index=False)
    n = 200
    t_h = np.sort(rng.uniform(0, HORIZON_DAYS * 24, n))
    lat_h = rng.exponential(20 * (1 - effect) + 0.5, n)
    removed = np.where(rng.random(n) < 0.9, t_h + lat_h, np.nan)
    pd.DataFrame(
        {
            "t_h": t_h,
            "brand_id": rng.integers(0, 10, n),
            "listings": rng.integers(1, 5, n),
            "valid": rng.random(n) < 0.9,
            "channel": "notice",
            "decided_at_h": t_h + lat_h,
            "removed_at_h": removed,
        }
    ).to_csv(out / "notices.csv", index=False)
    return metrics


def write_experiment(points: Sequence[DesignPoint], kind: str, out: Path, reps: int = 3) -> None:
    """runs/<label>/rep-NNN folders plus the experiment writers' summary files."""
    outcomes: list[RunOutcome] = []
    for rep in range(reps):
        seed = rep_seed(7, rep)
        for i, point in enumerate(points):
            effect = i / max(len(points) - 1, 1)
            run_dir = out / "runs" / safe_name(point.label) / f"rep-{rep:03d}"
            metrics = write_run(scenario_dict(point.scenario), seed, effect, run_dir)
            outcomes.append(
                RunOutcome(len(outcomes), point.label, rep, seed, metrics, 0.1, "0.1.0")
            )
    params = tuple(points[0].params) if kind == "sweep" else ()
    rows = build_rows(points, outcomes, METRICS)
    result = ExperimentResult(
        kind, tuple(points), params, reps, 7, rows, METRICS, "local", 1, 1.0, "0.1.0"
    )
    write_outputs(result, out, ["takedown", kind, "scenarios/smoke.toml"])


def _scenario(name: str, **sections: Any) -> Any:
    return from_dict({"scenario": {"name": name, "horizon_days": HORIZON_DAYS}, **sections})


def compare_points() -> list[DesignPoint]:
    """Three strategies; joint_force also doubles the review pool."""
    return [
        DesignPoint("standard", _scenario("standard"), "scenarios/standard.toml"),
        DesignPoint(
            "good_faith",
            _scenario("good_faith", rights_holders={"programme_mix": {"good_faith": 1.0}}),
            "scenarios/good_faith.toml",
        ),
        DesignPoint(
            "joint_force",
            _scenario(
                "joint_force",
                rights_holders={"programme_mix": {"joint_force": 1.0}},
                account_managers={"pool_size": 8},
            ),
            "scenarios/joint_force.toml",
        ),
    ]


def sweep_points(grid: Mapping[str, Sequence[Any]]) -> list[DesignPoint]:
    """A full factorial over ``grid`` (dotted keys) of the default scenario."""
    import itertools

    points = []
    for combo in itertools.product(*grid.values()):
        params = dict(zip(grid, combo, strict=True))
        tree: dict[str, Any] = {}
        for key, value in params.items():
            section, field = key.split(".")
            tree.setdefault(section, {})[field] = value
        label = " ".join(f"{k}={v}" for k, v in params.items())
        points.append(DesignPoint(label, _scenario("base", **tree), "scenarios/base.toml", params))
    return points
