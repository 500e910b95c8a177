"""Scenario sections of the notifiers and the programmes built around notice abuse:
bad-faith notifiers, earned admission (Good Faith Takedown's remove-first status,
Project Zero's self-service removal), audit sampling of remove-first notices, priority
review, the DSA's Art. 23 misuse policy and Art. 20 complaints.

Every new setting defaults to off, so a scenario that names none of them runs as before.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from sim.dists import AnyDist, Exponential
from sim.scenario_types import Days, Dist, PositiveDays, Prob, Section, rate_floor

AbuserRoute = Literal["standard", "trusted_flagger", "project_zero"]
"""The programmes a bad-faith notifier may file under: an Art. 16 notice like anyone
(standard), as a trusted flagger, or through self-service removal (project_zero)."""


MAX_NOTICES_PER_DAY = 10_000.0
"""The largest mean filing rate of one bad-faith notifier."""


class Abusers(Section):
    """Bad-faith notifiers (competitors, extortionists): notices against rivals' genuine
    listings, with a little real enforcement as cover."""

    count: Annotated[int, Field(ge=0, le=100_000)] = 0
    """Bad-faith notifiers in the market (0: none, every notifier is an honest brand)."""
    notices_per_day: Dist = Field(default_factory=lambda: Exponential(mean=1.0))
    """Notices one bad-faith notifier files per day (a distribution over notifiers); its mean
    is 0, or between 1e-6 and 10,000, and a drawn rate under 1e-6 counts as 0."""
    listings_per_notice: Annotated[int, Field(ge=1, le=300)] = 3
    """Listings one bad-faith notice names (fewer when the target has fewer live ones)."""
    rival_brands: Annotated[int, Field(ge=1, le=100)] = 1
    """Brands whose genuine listings each notifier attacks, drawn by popularity (1: a
    competitor of one brand's sellers; more: an extortionist working several)."""
    precision: Prob = 0.0
    """Share of their notices that name real fakes of a rival brand (cover); the rest name
    the rivals' genuine listings."""
    programme: AbuserRoute = "standard"
    """The programme their notices go through (standard: Art. 16 notices, review first)."""

    @field_validator("notices_per_day")
    @classmethod
    def _rate(cls, value: AnyDist) -> AnyDist:
        """notices_per_day has a mean of 0 or at least 1e-6, and at most 10,000."""
        rate_floor(value.mean, "its mean is ")
        if value.mean > MAX_NOTICES_PER_DAY:
            raise ValueError(f"its mean is {value.mean:g}, above {MAX_NOTICES_PER_DAY:,.0f} a day")
        return value


class GoodFaith(Section):
    """Admission to and loss of remove-first status."""

    min_success_rate: Prob = 0.9
    """Share of a brand's notices upheld needed to gain or keep remove-first status."""
    max_counter_notice_rate: Prob = 0.015
    """Highest counter-notice rate a brand may have and keep it."""
    lockout_days: Days = 90.0
    """Days after losing the status before a brand may qualify again."""
    min_decided: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Fewest decided notices in the window for a verdict (fewer: status unchanged)."""


class ProjectZero(Section):
    """Project Zero: earned self-service removal (no review before removal), audited by
    sampling after the fact, lost below the accuracy bar for a lock-out."""

    min_acceptance_rate: Prob = 0.9
    """Share of a notifier's decided notices (audits included) upheld that it needs to gain or
    keep self-service removal."""
    window_days: PositiveDays = 180.0
    """Days over which the acceptance rate is measured."""
    min_decided: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Fewest decided notices in the window for a verdict (fewer: status unchanged)."""
    lockout_days: Days = 90.0
    """Days after losing self-service removal before a notifier may regain it."""
    audit_share: Prob = 0.1
    """Share of self-service notices sampled for an audit after the removal (the rest are
    final on filing); an audit that rejects a notice restores its listings."""


class Audits(Section):
    """Remove-first with audit sampling for the other remove-first programmes (Project
    Zero's own share is project_zero.audit_share): a listed programme's remove-first
    notices are final on filing, except a sampled share audited afterwards. An audit that
    rejects a notice restores its listings and counts against the notifier."""

    programmes: list[Literal["good_faith", "joint_force"]] = Field(
        default_factory=list, max_length=2
    )
    """Remove-first programmes audited by sampling (empty: their remove-first notices are
    all reviewed after the removal, none final on filing)."""
    share: Prob = 0.1
    """Share of the listed programmes' remove-first notices sampled for an audit (the rest
    are final on filing: 0 audits none, 1 audits every one)."""


class ReviewPriority(Section):
    """Priority classes in the review queues: the notices of the listed programmes are
    reviewed first (non-preemptive: a review in progress is finished)."""

    first: list[
        Literal["standard", "good_faith", "joint_force", "project_zero", "trusted_flagger"]
    ] = Field(default_factory=list, max_length=5)
    """Programmes whose notices go ahead of every other item (empty: one first-come,
    first-served queue)."""


class Misuse(Section):
    """The DSA Art. 23 misuse policy: notifiers who often file manifestly unfounded notices
    are warned, then suspended for a period."""

    enabled: bool = False
    """Apply the policy (checked once a day for every notifier)."""
    window_days: PositiveDays = 30.0
    """Days over which a notifier's unfounded share is measured."""
    min_decided: Annotated[int, Field(ge=1, le=100_000)] = 5
    """Fewest decided notices in the window for a verdict."""
    unfounded_share_threshold: Prob = 0.5
    """A notifier whose share of decided notices found unfounded (rejected) passes this is
    warned, and suspended if it passes it again after the grace period."""
    grace_days: Days = 7.0
    """Days after a warning before a notifier still above the threshold is suspended."""
    suspension_days: PositiveDays = 30.0
    """Days a suspended notifier may not file; its record starts afresh when they end."""


class Complaints(Section):
    """DSA Art. 20 complaints by notifiers against the rejection of their notices, or an
    audit's reversal of them, decided by a second review (sellers' counter-notices are
    legit_sellers.counter_notice_prob)."""

    notifier_complaint_prob: Prob = 0.0
    """Probability that a notifier complains about a rejected review-first notice (0: none);
    an upheld complaint has the notice's listings taken down."""
    audit_reversal_complaint_prob: Prob = 0.0
    """Probability that a notifier complains about an audit's reversal of its remove-first
    notice (0: none); an upheld complaint has the restored listings taken down again."""
