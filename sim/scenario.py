"""Scenario files: TOML in, a frozen and validated ``Scenario`` out.

Everything inside the model trusts these objects; every check happens here, and every
error names the file, the field path, the bad value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sim import config
from sim import scenario_files as files
from sim.config import Tags
from sim.dists import DIST_CLASSES, AnyDist, Exponential, coerce_dist
from sim.scenario_change import PolicyChange
from sim.scenario_costs import Costs
from sim.scenario_files import ScenarioError as ScenarioError
from sim.scenario_files import apply_overrides as apply_overrides
from sim.scenario_files import parse_override as parse_override
from sim.scenario_notifiers import Abusers, Audits, Complaints, Misuse, ProjectZero, ReviewPriority
from sim.scenario_notifiers import GoodFaith as GoodFaith
from sim.scenario_response import Adaptation, Choice, Economics, EntryExit
from sim.scenario_sellers import SellerMisuse
from sim.scenario_types import (
    MAX_GENUINE_LISTINGS,
    MAX_LISTINGS_PER_ACCOUNT_DAY,
    MAX_POSTS_PER_DAY,
    MAX_PRODUCTS,
    MIX_TOLERANCE,
    Days,
    Dist,
    IntervalH,
    PositiveDays,
    Prob,
    Section,
    StrikeStep,
    rate_floor,
)
from sim.scenario_types import MIN_RATE_PER_DAY as MIN_RATE_PER_DAY
from sim.scenario_types import PROGRAMMES as PROGRAMMES
from sim.scenario_types import Programme as Programme

_Section = Section


class Meta(_Section):
    """Name, horizon and warm-up of the run."""

    name: str = "unnamed"
    """Short name used in outputs, reports and run tables."""
    description: str = ""
    """Free text shown in reports."""
    horizon_days: PositiveDays = 60.0
    """Simulated days, warm-up included."""
    warmup_days: Days = 0.0
    """Days at the start left out of every metric while the market fills up."""

    @model_validator(mode="after")
    def _warmup_inside(self) -> Meta:
        """warmup_days must be less than horizon_days."""
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be less than horizon_days "
                f"({self.horizon_days})"
            )
        return self


class Market(_Section):
    """Brands, their catalogues and the shoppers' demand."""

    brands: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Number of brands (rights holders)."""
    products_per_brand: Annotated[int, Field(ge=1, le=100_000)] = 20
    """Products in each brand's catalogue."""
    popularity_zipf_s: Annotated[float, Field(ge=0, le=10)] = 1.0
    """Zipf exponent of brand popularity (0: all brands equally popular); counterfeiters target
    brands by popularity."""
    genuine_price_usd: Dist = Field(default_factory=lambda: coerce_dist(80.0))
    """Price of a genuine product in USD (a distribution over products)."""
    views_per_listing_day: Annotated[float, Field(ge=0, le=1e7)] = 20.0
    """Shopper views of one live listing per day."""
    fake_conversion: Prob = 0.01
    """Probability that one view of a fake ends in a sale."""
    fake_price_discount: Prob = 0.6
    """A fake's price is the genuine price times (1 - this)."""
    listing_popularity_sigma: Annotated[float, Field(ge=0, le=3)] = 1.0
    """Spread of listing popularity (log-scale standard deviation, no unit): each listing's
    views per day are views_per_listing_day times its own lognormal weight of mean 1, drawn
    when it goes up (0: every listing alike; 1: a tenth of listings draw about 39% of the
    views)."""
    genuine_conversion: Prob = 0.01
    """Probability that one view of a genuine listing ends in a sale (sales honest sellers lose
    while their listings are down)."""
    deceived_buyer_share: Prob = 0.5
    """Share of the buyers of fakes who believed they were buying the genuine product
    (consumer_harm_usd counts what they paid)."""

    @model_validator(mode="after")
    def _catalogue_fits(self) -> Market:
        """brands x products_per_brand is at most 10,000,000 (each product has a row)."""
        products = self.brands * self.products_per_brand
        if products > MAX_PRODUCTS:
            raise ValueError(
                f"brands x products_per_brand = {products:,} products, above the bound of "
                f"{MAX_PRODUCTS:,}"
            )
        return self


class LegitSellers(_Section):
    """Honest sellers of genuine products."""

    count: Annotated[int, Field(ge=1, le=10_000_000)] = 100
    """Honest sellers of genuine products."""
    listings_per_seller: Annotated[int, Field(ge=1, le=10_000)] = 5
    """Genuine listings each honest seller keeps live."""
    counter_notice_prob: Prob = 0.6
    """Probability that a seller whose genuine listing was wrongly removed files a
    counter-notice."""

    @model_validator(mode="after")
    def _listings_fit(self) -> LegitSellers:
        """count x listings_per_seller is at most 50,000,000 (each listing has a row)."""
        listings = self.count * self.listings_per_seller
        if listings > MAX_GENUINE_LISTINGS:
            raise ValueError(
                f"count x listings_per_seller = {listings:,} genuine listings, above the bound "
                f"of {MAX_GENUINE_LISTINGS:,}"
            )
        return self


class Counterfeiters(_Section):
    """Counterfeit sellers: how they list, hide, relist and come back after bans."""

    count: Annotated[int, Field(ge=1, le=10_000_000)] = 50
    """Counterfeiters in the market at the start."""
    arrivals_per_day: Annotated[float, Field(ge=0, le=1_000_000)] = 0.5
    """New counterfeiters entering per day (Poisson); 0, or at least 1e-6."""
    listings_per_day: Dist = Field(default_factory=lambda: coerce_dist(10.0))
    """Fake listings one active account posts per day; its mean is 0 or at least 1e-6, and an
    account's drawn rate under 1e-6 counts as 0 (it never posts)."""
    obfuscation_share: Prob = 0.3
    """Share of fakes with obfuscated titles or images (harder to detect)."""
    listing_lifetime_days: Dist = Field(default_factory=lambda: Exponential(mean=30.0))
    """Days a fake stays up when nobody removes it (then the seller ends it)."""
    relist_prob: Prob = 0.5
    """Probability that a removed fake is posted again."""
    relist_delay_h: Dist = Field(default_factory=lambda: Exponential(mean=12.0))
    """Hours from a removal to the relisting."""
    new_account_delay_h: Dist = Field(default_factory=lambda: Exponential(mean=72.0))
    """Hours from a ban to the counterfeiter's new account (if it stays and passes verification)."""
    exit_prob_after_ban: Prob = 0.3
    """Probability that a banned counterfeiter leaves the market for good."""
    displacement: Annotated[float, Field(ge=0, le=100)] = 0.0
    """How strongly counterfeiters shift posting away from brands that file the most notices for
    their popularity (0: no adaptation)."""
    volume_sigma: Annotated[float, Field(ge=0, le=4)] = 0.0
    """Heavy tail of volume: log-sd of a mean-1 lognormal factor on each rate (0: off)."""
    economics: Economics = Field(default_factory=Economics)
    """Costs and income of each operator."""
    entry_exit: EntryExit = Field(default_factory=EntryExit)
    """Entry and exit driven by profit."""
    adaptation: Adaptation = Field(default_factory=Adaptation)
    """Learning to obfuscate after removals."""
    choice: Choice = Field(default_factory=Choice)
    """Displacement towards where fakes live longest, and to an outside market."""

    @field_validator("arrivals_per_day")
    @classmethod
    def _arrival_rate(cls, value: float) -> float:
        """arrivals_per_day is 0 or at least 1e-6 (smaller positive rates mean nothing)."""
        rate_floor(value)
        return value

    @field_validator("listings_per_day")
    @classmethod
    def _posting_rate(cls, value: AnyDist) -> AnyDist:
        """listings_per_day has a mean of 0, or between 1e-6 and 100,000."""
        rate_floor(value.mean, "its mean is ")
        if value.mean > MAX_LISTINGS_PER_ACCOUNT_DAY:
            raise ValueError(
                f"its mean is {value.mean:g}, above the bound of "
                f"{MAX_LISTINGS_PER_ACCOUNT_DAY:,.0f} per day"
            )
        return value

    @model_validator(mode="after")
    def _volume_fits(self) -> Counterfeiters:
        """count x the mean of listings_per_day is at most 10,000,000 posts a day."""
        volume = self.count * self.listings_per_day.mean
        if volume > MAX_POSTS_PER_DAY:
            raise ValueError(
                f"count x mean listings_per_day = {volume:,.0f} posts a day, above the "
                f"bound of {MAX_POSTS_PER_DAY:,.0f}"
            )
        return self


class RightsHolders(_Section):
    """Brands' monitoring and notices, and the programme each brand is in."""

    programme_mix: dict[Programme, Prob] = Field(
        default_factory=lambda: dict[Programme, float]({"standard": 1.0})
    )
    """Share of brands in each programme (standard, good_faith, joint_force); the shares sum to
    1, brands are assigned deterministically. A file that ``extends`` another and sets this
    table replaces the parent's table whole."""
    sweep_interval_h: IntervalH = 24.0
    """Hours between a brand's monitoring sweeps."""
    detection_prob: Prob = 0.5
    """Probability that one sweep finds a given live fake of the brand."""
    detection_prob_obfuscated: Prob = 0.15
    """The same for an obfuscated fake."""
    notice_precision: Prob = 0.95
    """Share of notices that name a real fake; the rest hit genuine listings."""
    notice_precision_by_programme: dict[Programme, Prob] = Field(default_factory=dict)
    """Notice precision of the brands of a programme where it differs from notice_precision
    (a brand's own precision is floored at 0.01)."""
    notice_precision_concentration: Annotated[float, Field(ge=0, le=1_000_000)] = 0.0
    """Spread of precision between brands of one programme: each brand's precision is drawn
    from a Beta distribution with its programme's precision as mean and this as
    concentration (alpha + beta; larger is tighter); 0: no spread."""
    max_listings_per_notice: Annotated[int, Field(ge=1, le=300)] = 300
    """Listings one notice may name (the portal allows 300)."""
    track_record_window_days: PositiveDays = 90.0
    """Window for a brand's success and counter-notice rates (good-faith status)."""

    @field_validator("programme_mix")
    @classmethod
    def _mix_sums(cls, mix: dict[Programme, float]) -> dict[Programme, float]:
        """programme_mix's shares must sum to 1."""
        total = sum(mix.values())
        if abs(total - 1.0) > MIX_TOLERANCE:
            shares = ", ".join(f"{k} = {v:g}" for k, v in mix.items())
            raise ValueError(f"shares must sum to 1, got {total:g} ({shares})")
        return mix


class AccountManagers(_Section):
    """The review team: size, speed, hours and mistakes."""

    pool_size: Annotated[int, Field(ge=0, le=100_000)] = 4
    """Managers in the shared pool (brands without a dedicated manager)."""
    dedicated_per_enrolled_brand: Annotated[int, Field(ge=0, le=1_000)] = 1
    """Dedicated managers for each joint_force brand (0: they use the pool)."""
    review_time_h: Dist = Field(default_factory=lambda: Exponential(mean=0.5))
    """Hours one review takes."""
    working_hours: Annotated[
        tuple[Annotated[int, Field(ge=0, le=24)], Annotated[int, Field(ge=0, le=24)]],
        Field(strict=False),  # a TOML array; its two entries are still checked as ints
    ] = (9, 18)
    """[start, end) hour of day in which managers start reviews; a review in progress at the end
    is finished."""
    working_days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4]
    )
    """Days managers work, 0 = Monday (simulated hour 0 is Monday 00:00)."""
    always_on: bool = False
    """Review around the clock, ignoring working_hours and working_days."""
    approve_invalid_prob: Prob = 0.2
    """Probability that a notice naming no real fake is approved."""
    reject_valid_prob: Prob = 0.02
    """Probability that a valid notice is rejected."""
    evidence_request_prob: Prob = 0.1
    """Probability that a first review ends in a request for more evidence; the re-review then
    has both error rates halved."""
    evidence_delay_h: Dist = Field(default_factory=lambda: Exponential(mean=24.0))
    """Hours the brand takes to answer an evidence request."""

    @model_validator(mode="after")
    def _hours_ordered(self) -> AccountManagers:
        """Unless always_on: working_hours end after they start, and working_days is not
        empty."""
        start, end = self.working_hours
        if not self.always_on and end <= start:
            raise ValueError(f"working_hours end ({end}) must be after start ({start})")
        if not self.always_on and not self.working_days:
            raise ValueError("working_days must name at least one day unless always_on")
        return self


class Strikes(_Section):
    """The strike ladder for sellers whose listings are removed."""

    ladder: list[StrikeStep] = Field(
        default_factory=lambda: list[StrikeStep](["warn", "block_7d", "ban"]),
        min_length=1,
        max_length=100,
    )
    """What each successive strike does: warn, block_7d (7-day listing block) or ban."""
    min_gap_days: Days = 5.0
    """Least days between two strikes of one seller."""


class Platform(_Section):
    """Proactive detection, leads for enrolled brands, strikes and verification."""

    upload_recall: Prob = 0.8
    """Probability that the upload classifier catches a fake."""
    upload_recall_obfuscated: Prob = 0.4
    """The same for an obfuscated fake."""
    upload_false_positive_rate: Prob = 0.001
    """Probability that the classifier wrongly flags a genuine listing it scans."""
    sweep_interval_h: IntervalH = 24.0
    """Hours between the platform's sweeps of live listings."""
    sweep_recall: Prob = 0.2
    """Probability that one sweep catches a given live fake."""
    lead_share: Prob = 0.3
    """Share of the classifier's misses that are low-confidence hits, shared with joint_force
    brands as leads."""
    lead_confirm_prob: Prob = 0.9
    """Probability that a brand confirms a lead (then removed as channel 'lead')."""
    verification_pass_rate: Prob = 0.5
    """Probability that a banned counterfeiter's new account passes seller verification."""
    strikes: Strikes = Field(default_factory=Strikes)
    """The strike ladder."""
    change: PolicyChange = Field(default_factory=PolicyChange)
    """A stricter ladder and verification from a given day."""


class Scenario(_Section):
    """One complete, validated scenario."""

    scenario: Meta = Field(default_factory=Meta)
    """Name, horizon and warm-up."""
    market: Market = Field(default_factory=Market)
    """Brands, catalogues and demand."""
    legit_sellers: LegitSellers = Field(default_factory=LegitSellers)
    """Honest sellers."""
    counterfeiters: Counterfeiters = Field(default_factory=Counterfeiters)
    """Counterfeit sellers."""
    rights_holders: RightsHolders = Field(default_factory=RightsHolders)
    """Brands' monitoring and notices."""
    good_faith: GoodFaith = Field(default_factory=GoodFaith)
    """Remove-first status."""
    account_managers: AccountManagers = Field(default_factory=AccountManagers)
    """The review team."""
    platform: Platform = Field(default_factory=Platform)
    """Proactive detection, leads, strikes and verification."""
    costs: Costs = Field(default_factory=Costs)
    """What enforcement costs the platform and the brands."""
    abusers: Abusers = Field(default_factory=Abusers)
    """Bad-faith notifiers (off by default)."""
    project_zero: ProjectZero = Field(default_factory=ProjectZero)
    """Earned self-service removal and its audits (brands in the project_zero programme)."""
    audits: Audits = Field(default_factory=Audits)
    """Audit sampling of other remove-first programmes (off by default)."""
    review_priority: ReviewPriority = Field(default_factory=ReviewPriority)
    """Priority classes in the review queues (off by default)."""
    misuse: Misuse = Field(default_factory=Misuse)
    """The Art. 23 misuse policy (off by default)."""
    complaints: Complaints = Field(default_factory=Complaints)
    """Complaints by notifiers against rejections and audit reversals (off by default)."""
    seller_misuse: SellerMisuse = Field(default_factory=SellerMisuse)
    """The Art. 23 misuse policy for sellers: warnings, then suspensions (off by default)."""


# --------------------------------------------------------------------------- loading


DIST_TAGS = Tags(noun="distribution", key="dist", members=DIST_CLASSES)


def read_toml(path: str | Path) -> dict[str, Any]:
    """One scenario file (a path, or a shipped scenario's name) as a mapping, ``extends``
    chains merged; not yet validated."""
    return files.read_chain(files.resolve(path), Scenario)


def from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a plain mapping into a frozen Scenario."""
    return config.validate(Scenario, data, source, ScenarioError, DIST_TAGS)


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load (a path, or a shipped scenario's name), merge ``extends``, apply ``--set``
    overrides and validate."""
    path = files.resolve(path)
    data = apply_overrides(files.read_chain(path, Scenario), overrides)
    return from_dict(data, str(path))


def scenario_dict(scenario: Scenario) -> dict[str, Any]:
    """A JSON-ready dict of a scenario (used in outputs and provenance)."""
    return scenario.model_dump(mode="json", by_alias=True)
