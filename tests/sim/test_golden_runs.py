"""Seeded golden runs: every shipped scenario (40 days, seed 1; tests/sim/golden.py) gives
the metrics, daily series, notice trace and event log kept in golden_runs.json. New
settings default to off, and off they must not change a byte of what was there before:
only what the file holds is compared, so a new metric, column or kind of event (logged
only when its policy fires) passes, while any change to an existing one fails, naming it.
Rewrite the file on purpose with ``.venv/bin/python -m tests.sim.golden``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.sim.golden import FILE, cases, fingerprint

GOLDEN: dict[str, Any] = json.loads(FILE.read_text())
CASES = cases()


def _differences(want: dict[str, Any], got: dict[str, Any], path: str = "") -> list[str]:
    """Where ``got`` differs from ``want``, over the keys ``want`` holds."""
    out = []
    for key, value in want.items():
        here = f"{path}.{key}" if path else key
        if key not in got:
            out.append(f"{here}: missing")
        elif isinstance(value, dict):
            out.extend(_differences(value, got[key], here))
        elif got[key] != value:
            out.append(f"{here}: {value} -> {got[key]}")
    return out


def test_every_golden_run_is_still_a_case() -> None:
    """A shipped scenario added later has no golden run until the file is rewritten; one
    removed or renamed must be taken out of the file on purpose."""
    assert set(GOLDEN) <= set(CASES)


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_shipped_scenario_matches_its_golden_run(case: str) -> None:
    assert _differences(GOLDEN[case], fingerprint(CASES[case])) == []
