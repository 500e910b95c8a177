"""A policy change part-way through a run, and recovery after it."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import Model, run
from sim.recovery import recovery
from sim.rng import Streams
from sim.scenario import load_scenario


def test_the_change_replaces_ladder_gaps_and_verification_from_its_day() -> None:
    sets = ["platform.change.on=true", "platform.change.day=2.5", "scenario.horizon_days=4"]
    sets.append("scenario.warmup_days=0")
    model = Model(load_scenario("smoke", sets), Streams(1))
    seen = []
    end_of_day = model._end_of_day

    def watch(day: int) -> None:
        end_of_day(day)
        p = model.platform
        seen.append((day, list(p.ladder), p.gap_h, model.counterfeiters.pass_rate))

    model._end_of_day = watch  # type: ignore[method-assign]
    model.simulate()
    before = (["warn", "block_7d", "ban"], 5 * 24.0, 0.5)
    after = (["warn", "ban"], 24.0, 0.06)
    assert seen == [(1, *before), (2, *before), (3, *after), (4, *after)]


def test_the_change_is_off_by_default() -> None:
    on = ["platform.change.on=true", "platform.change.day=100"]  # past the horizon
    assert run(load_scenario("smoke", on), 4).metrics == pytest.approx(
        run(load_scenario("smoke"), 4).metrics, nan_ok=True
    )


def test_recovery_measures_drop_and_days_to_win_back_half() -> None:
    daily = np.array([10.0] * 20 + [2.0] * 10 + [8.0] * 20)
    r = recovery(daily, 20, smooth_days=2)
    assert (r.before, r.trough, r.trough_day, r.end) == (10.0, 2.0, 21, 8.0)
    assert r.days_to_half == 11  # day 30's two-day mean is (2 + 8) / 2 = 5 < 6, day 31's 8
    assert r.recovered_share == pytest.approx(0.75)
    assert recovery(np.array([5.0] * 10 + [1.0] * 10), 10, 2).days_to_half is None


@pytest.mark.slow
def test_the_deterrence_scenario_drops_and_partly_recovers() -> None:
    """The shipped deterrence scenario, mean daily fakes posted over 3 seeds: after the
    change on day 180 activity falls below half its level, then wins part of it back
    (measured on seeds 1000-1002: 94-122 a day before, troughs of 1-2 (two-week means),
    4-22 at the end, 2-20% of the drop won back)."""
    scenario = load_scenario("deterrence")
    daily = np.mean([run(scenario, 1000 + s).daily["fakes_created"] for s in range(3)], axis=0)
    r = recovery(daily, 180)
    assert r.trough < 0.5 * r.before
    assert r.days_to_half is not None or r.recovered_share > 0.1
