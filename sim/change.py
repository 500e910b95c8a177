"""A policy change part-way through a run, applied to the actors that hold the settings."""

from __future__ import annotations

import math

from sim.agents.counterfeiter import Counterfeiters
from sim.agents.platform import Platform
from sim.response import Response
from sim.scenario_change import PolicyChange


def change_day(change: PolicyChange) -> int | None:
    """The day at whose start the change applies (None: never)."""
    return math.ceil(change.day) if change.on else None


def apply_change(
    change: PolicyChange, platform: Platform, crowd: Counterfeiters, response: Response
) -> None:
    """From now on: the new strike ladder and gaps, and the new verification pass rate."""
    platform.ladder = list(change.ladder)
    platform.gap_h = change.min_gap_days * 24.0
    crowd.pass_rate = change.verification_pass_rate
    response.pass_rate = change.verification_pass_rate
