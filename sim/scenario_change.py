"""The scenario section of a policy change part-way through a run: a stricter strike
ladder and seller verification from a given day (off by default)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from sim.config import StrictSection
from sim.scenario_types import Days, PositiveDays, Prob, StrikeStep


class PolicyChange(StrictSection):
    """Enforcement tightened on a date: from ``day`` on, the strike ladder, its gaps and the
    verification pass rate below replace the platform's (strikes already taken count on
    the new ladder)."""

    model_config = ConfigDict(use_attribute_docstrings=True, strict=True)

    on: bool = False
    """Apply the change (off: the platform's settings hold for the whole run)."""
    day: PositiveDays = 180.0
    """The day from whose start the change holds (rounded up to a whole day; one at or past
    the horizon never comes)."""
    ladder: list[StrikeStep] = Field(
        default_factory=lambda: list[StrikeStep](["warn", "ban"]), min_length=1, max_length=100
    )
    """The strike ladder from then on."""
    min_gap_days: Days = 1.0
    """Least days between two strikes of one seller from then on."""
    verification_pass_rate: Prob = 0.06
    """The share of new accounts that pass seller verification from then on (6% of new
    seller registrations passed Amazon's in 2020)."""
