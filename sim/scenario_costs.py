"""The scenario's ``[costs]`` table: what enforcement costs in money."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario_types import Section

Usd = Annotated[float, Field(ge=0, le=1_000_000)]


class Costs(Section):
    """What enforcement costs in money: the platform's reviewers, screening and sweeps, and
    the brands' monitoring and notices (defaults are stated assumptions, not sourced)."""

    am_wage_usd_per_h: Usd = 30.0
    """Loaded cost of one account manager for one paid hour (the platform pays rosters,
    am_paid_hours, not busy hours)."""
    upload_screen_usd_per_listing: Usd = 0.0001
    """The platform's cost of screening one fake listing at upload."""
    sweep_scan_usd_per_listing: Usd = 0.00005
    """The platform's cost of scanning one live listing (fake or genuine) in a sweep."""
    brand_sweep_usd: Usd = 20.0
    """A brand's cost of one monitoring sweep of the market."""
    brand_notice_usd: Usd = 5.0
    """A brand's cost of preparing and filing one notice."""
