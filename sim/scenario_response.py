"""Scenario sections for counterfeiters that respond to enforcement: what an operator's
trade costs and earns, entry and exit driven by profit, and learning to evade.

Every behaviour is off by default, so a scenario that does not name these tables runs
the fixed-rate model: same draws, same outputs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from sim.config import StrictSection
from sim.scenario_types import PositiveDays, Prob

Usd = Annotated[float, Field(ge=0, le=1_000_000)]
UsdPerDay = Annotated[float, Field(ge=-1_000_000, le=1_000_000)]


class _Section(StrictSection):
    model_config = ConfigDict(use_attribute_docstrings=True, strict=True)


class Economics(_Section):
    """What a counterfeit operator's trade costs and earns (assumptions, not sourced)."""

    on: bool = False
    """Keep each operator's books: costs when they are incurred, income from its fakes'
    sales when each listing leaves the shop window (off: no books, profit metrics NaN)."""
    account_setup_usd: Usd = 30.0
    """Cost of opening one seller account, verification included (paid per attempt, so a
    new account costs this over the verification pass rate)."""
    stock_usd_per_listing: Usd = 0.3
    """Stock committed to one fake listing when it is posted (lost if it is caught)."""
    listing_fee_usd: Usd = 0.0
    """The marketplace's fee for posting one listing."""
    trailing_days: PositiveDays = 14.0
    """Time constant of an operator's trailing operating profit (an exponentially weighted
    mean per day; set-up costs are sunk and left out of it)."""


class EntryExit(_Section):
    """Entry and exit driven by profit (on: the books of ``economics`` are kept, with its
    costs, whether or not ``economics.on``)."""

    @model_validator(mode="after")
    def _multipliers_ordered(self) -> EntryExit:
        """entry_min_multiplier is at most entry_max_multiplier."""
        if self.entry_min_multiplier > self.entry_max_multiplier:
            raise ValueError(
                f"entry_min_multiplier ({self.entry_min_multiplier:g}) must be at most "
                f"entry_max_multiplier ({self.entry_max_multiplier:g})"
            )
        return self

    on: bool = False
    """Operators leave when their trailing profit stays low, newcomers follow the market's
    recent profitability, and a banned operator returns only if a new account pays."""
    exit_below_usd_per_day: UsdPerDay = 0.0
    """An operator whose trailing operating profit is below this (USD per day) ..."""
    exit_patience_days: Annotated[int, Field(ge=1, le=3660)] = 14
    """... for this many days in a row leaves the market for good (inertia)."""
    entry_reference_usd_per_day: Annotated[float, Field(ge=0, le=1_000_000)] = 1.5
    """Mean trailing operating profit per active operator (USD per day) at which newcomers
    arrive at ``arrivals_per_day``; 0: the market's own at the end of the warm-up (at the
    end of the first day without one)."""
    entry_elasticity: Annotated[float, Field(ge=0, le=100)] = 1.0
    """How far the arrival rate follows profitability: the rate is arrivals_per_day times
    1 + elasticity x (profit / reference - 1), kept within the two multipliers below."""
    entry_min_multiplier: Annotated[float, Field(ge=0, le=100)] = 0.2
    """The least the arrival rate may be multiplied by (some newcomers try whatever the
    market's profit)."""
    entry_max_multiplier: Annotated[float, Field(ge=0, le=100)] = 3.0
    """The most the arrival rate may be multiplied by."""
    payback_days: PositiveDays = 180.0
    """A banned operator returns (if it stays at all) only when its trailing profit over
    this many days covers a new account: account_setup_usd over the verification pass
    rate."""


class Adaptation(_Section):
    """Operators that survive enforcement learn to obfuscate."""

    on: bool = False
    """Each operator's obfuscation share rises after its fakes are removed and decays back
    to ``obfuscation_share`` when unused."""
    learn_rate: Prob = 0.05
    """Per day with removals of an operator's fakes: its obfuscation share moves this share
    of the way to ``max_obfuscation``."""
    max_obfuscation: Prob = 0.9
    """The highest obfuscation share an operator can reach."""
    decay_days: PositiveDays = 60.0
    """Time constant of the decay back to ``obfuscation_share`` on days without removals."""


class Choice(_Section):
    """Displacement by outcome: posting moves to the brands (and so the programmes) where
    fakes have lately stayed on show longest, and optionally off the platform."""

    on: bool = False
    """Each day, reset the weights with which new fakes pick a brand to popularity x (the
    brand's recent mean time on show / the market's) ^ strength; replaces the weights of
    ``displacement``."""
    strength: Annotated[float, Field(ge=0, le=100)] = 1.0
    """How strongly the choice follows relative time on show (0: popularity only)."""
    window_days: Annotated[int, Field(ge=1, le=3660)] = 14
    """Days of ended fakes (removed, caught at upload with 0 time, or ended by their seller)
    the choice looks back over."""
    outside_weight: Annotated[float, Field(ge=0, le=100)] = 0.0
    """Pull of an outside, unprotected market as a multiple of the platform's at equal time on
    show (0: no outside option): it takes w / (w + the brands' mean weight) of new fakes, w
    this times (outside_lifetime_days / the market's recent mean) ^ strength; fakes posted
    there leave the platform and count as displaced_to_outside."""
    outside_lifetime_days: PositiveDays = 30.0
    """Mean days a fake stays on show on the outside market (no enforcement there)."""
