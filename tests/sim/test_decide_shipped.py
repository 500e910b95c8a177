"""The shipped space and target files load against the scenarios they are for, and no
calibration range starts at the value it regenerates."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.decide import load_space, load_targets
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


@pytest.mark.parametrize("name", ["gft_2015", "joint_force_2017"])
def test_calibration_files_load_and_do_not_start_at_the_answer(name: str) -> None:
    scenario = SCENARIOS / f"{name}.toml"
    space = load_space(SCENARIOS / "calibration" / f"{name}_space.toml", scenario)
    assert load_targets(SCENARIOS / "calibration" / f"{name}_targets.toml")
    shipped = load_scenario(scenario)
    for p in space.parameters:
        section, key = p.path.split(".")
        value = getattr(getattr(shipped, section), key)
        assert p.low < value < p.high


def test_policy_space_has_three_parameters_valid_for_gft_2015() -> None:
    space = load_space(SCENARIOS / "spaces" / "gft_2015_policy.toml", SCENARIOS / "gft_2015.toml")
    assert len(space.parameters) == 3
