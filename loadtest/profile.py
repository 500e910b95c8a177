"""Load profiles: TOML in, a frozen and validated ``Profile`` out.

A profile says how much of each role's work arrives per second (across all workers),
how many of each role may be busy at once (the bound past which arrivals are
dropped), the shape of the rate over the run, and how each role behaves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
)

from loadtest.shapes import SHAPES, Constant, Ramp, Spike, Step
from sim.config import ConfigError, StrictSection, Tags, read_toml, suggestion, validate

ROLES = ("rights_holder", "account_manager", "shopper", "seller")
PROFILES_DIR = Path(__file__).parent / "profiles"
Prob = Annotated[float, Field(ge=0.0, le=1.0)]


class _Section(StrictSection):
    """Profile sections are as strict as scenario sections (finite numbers, no
    true/false for a number)."""


class Meta(_Section):
    """Name of the profile, its arrival process and optional seed."""

    name: str = "unnamed"
    description: str = ""
    process: Literal["poisson", "constant"] = "poisson"
    seed: int | None = Field(default=None, ge=0)


class Rates(_Section):
    """Target arrivals per second of each role, summed over all workers."""

    rights_holder: NonNegativeFloat = 1.0
    account_manager: NonNegativeFloat = 2.0
    shopper: NonNegativeFloat = 10.0
    seller: NonNegativeFloat = 0.5


class Pool(_Section):
    """Most arrivals of each role in progress at once, summed over all workers."""

    rights_holder: PositiveInt = 16
    account_manager: PositiveInt = 8
    shopper: PositiveInt = 32
    seller: PositiveInt = 8


class MaxPool(_Section):
    """Most users each role's pool may grow to on demand (as k6's ``maxVUs``), over all
    workers; an arrival that finds all of them busy is dropped and censored. Unset: 8x
    the role's ``[pool]``."""

    rights_holder: PositiveInt | None = None
    account_manager: PositiveInt | None = None
    shopper: PositiveInt | None = None
    seller: PositiveInt | None = None


class RightsHolder(_Section):
    """Brands filing notices (1..300 listings), reading them back, messaging."""

    listings_mean: PositiveFloat = 3.0
    listings_max: int = Field(default=300, ge=1, le=300)
    precision: Prob = 0.9
    read_share: Prob = 0.15
    message_share: Prob = 0.05


class AccountManager(_Section):
    """Managers claiming review items and deciding them after some thought."""

    claim_limit: PositiveInt = 5
    think_s: NonNegativeFloat = 0.2
    approve_share: Prob = 0.95


class Shopper(_Section):
    """Relative weights of the shoppers' read requests."""

    browse: NonNegativeFloat = 0.4
    search: NonNegativeFloat = 0.3
    view: NonNegativeFloat = 0.3


class Seller(_Section):
    """Sellers listing goods and contesting removals of their own listings."""

    counter_share: Prob = 0.3


class E2e(_Section):
    """Followers of each filed notice's listing until it is removed.

    With ``observe = "stream"`` (the default) each load-generating process subscribes
    to the service's removal events and takes a removal's time from the server; it
    polls instead when the service has no stream (or the stream ends), and polls once
    more before calling a notice unfinished.

    Every notice gets a poller; ``max_pollers`` bounds the poll requests in flight at
    once (over all workers). The gap between polls grows by ``poll_backoff`` but never
    beyond ``poll_accuracy`` times the time elapsed (nor ``poll_interval_max_s``), so
    a removal is seen at most that fraction late. A notice not seen removed within
    ``timeout_s`` (or by the end of the run) enters ``e2e_takedown`` censored at its
    elapsed time and counts as unfinished.
    """

    poll_interval_s: PositiveFloat = 0.05
    poll_backoff: float = Field(default=1.5, ge=1.0)
    poll_interval_max_s: PositiveFloat = 1.0
    poll_accuracy: float = Field(default=0.05, gt=0.0, le=1.0)
    timeout_s: PositiveFloat = 30.0
    max_pollers: PositiveInt = 64
    per_notice: PositiveInt = 1
    observe: Literal["stream", "poll"] = "stream"


ShapeSpec = Annotated[Constant | Ramp | Step | Spike, Field(discriminator="kind")]


class Profile(_Section):
    """A whole load profile."""

    profile: Meta = Field(default_factory=Meta)
    rates: Rates = Field(default_factory=Rates)
    pool: Pool = Field(default_factory=Pool)
    max_pool: MaxPool = Field(default_factory=MaxPool)
    shape: ShapeSpec = Field(default_factory=Constant)
    rights_holder: RightsHolder = Field(default_factory=RightsHolder)
    account_manager: AccountManager = Field(default_factory=AccountManager)
    shopper: Shopper = Field(default_factory=Shopper)
    seller: Seller = Field(default_factory=Seller)
    e2e: E2e = Field(default_factory=E2e)

    def rate_of(self, role: str) -> float:
        """Target arrivals per second of ``role`` (before the shape)."""
        return float(getattr(self.rates, role))

    def pool_of(self, role: str) -> int:
        """Concurrent arrivals allowed for ``role`` over all workers."""
        return int(getattr(self.pool, role))

    def max_pool_of(self, role: str) -> int:
        """Most users ``role``'s pool may grow to over all workers (at least its pool)."""
        explicit = getattr(self.max_pool, role)
        limit = 8 * self.pool_of(role) if explicit is None else int(explicit)
        return max(limit, self.pool_of(role))


class ProfileError(ConfigError):
    """A profile could not be loaded; ``problems`` holds one line per problem."""


SHAPE_TAGS = Tags(noun="shape", key="kind", members=SHAPES)


def profile_from_dict(data: dict[str, Any], source: str = "<profile>") -> Profile:
    """Validate a mapping into a frozen Profile."""
    return validate(Profile, data, source, ProfileError, SHAPE_TAGS)


def resolve_profile_path(name_or_path: str) -> Path:
    """A shipped profile by name (``default``) or a path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists():
        shipped = PROFILES_DIR / f"{name_or_path}.toml"
        if not shipped.exists():
            known = sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))
            tip = suggestion(name_or_path, known, fallback="shipped")
            raise ProfileError([f"profile {name_or_path!r}: no such profile; {tip}"])
        return shipped
    return path


def load_profile(name_or_path: str) -> Profile:
    """Read a profile by shipped name or path."""
    path = resolve_profile_path(name_or_path)
    return profile_from_dict(read_toml(path, ProfileError), str(path))
