"""Scenario section of the sellers' misuse policy: DSA Art. 23(1), the suspension, for a
reasonable period and after a prior warning, of sellers that frequently provide manifestly
illegal content. Off by default, so a scenario that does not name it runs as before.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario_types import Days, PositiveDays, Section


class SellerMisuse(Section):
    """The DSA Art. 23(1) misuse policy for sellers, counterfeit accounts and honest sellers
    alike: a seller with too many of its listings removed as illegal in a window (removals
    that stand) is warned, then suspended for a period: its listings hidden, no new ones,
    an honest seller's sales lost. It runs beside the strike ladder ([platform.strikes]):
    a ladder block never shortens a suspension, strikes go on counting, and a ladder ban
    ends one (a banned counterfeiter's new account starts clean). A suspension hides the
    listings that would draw the next strikes, so on top of a ladder that bans it can put
    bans off. To apply the policy alone, write ``ladder = ["warn"]`` there (strikes then
    only warn)."""

    enabled: bool = False
    """Apply the policy (checked once a day for every open seller account)."""
    window_days: PositiveDays = 30.0
    """Days over which a seller's removals are counted, in whole days (at least one), never
    from before its record last started afresh: the end of a suspension, or a counterfeit
    account's ban."""
    removals_threshold: Annotated[int, Field(ge=1, le=1_000_000)] = 5
    """A seller with at least this many of its listings removed as illegal in the window is
    warned, and suspended if it is still there after the grace period. Removals that stand
    count: a fake's removal by the platform (at upload too), a notice or a lead, unless a
    review or an audit of its remove-first notice restores it; an honest seller's wrongful
    removal that it did not contest or whose counter-notice was rejected. A count, not a
    share: Art. 23(3) names the absolute number of items first, and a share would suspend
    an honest seller with two listings for one wrongful removal."""
    grace_days: Days = 7.0
    """Days after a warning before a seller still at the threshold is suspended."""
    suspension_days: PositiveDays = 30.0
    """Days a suspended seller's listings are hidden and it may not list; its record starts
    afresh when they end."""
