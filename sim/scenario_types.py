"""Field types of the scenario sections: probabilities, distributions, programmes, and the
bounds that every count, rate and span keeps."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from sim.config import StrictSection
from sim.dists import AnyDist, coerce_dist

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
Dist = Annotated[AnyDist, BeforeValidator(coerce_dist)]
Programme = Literal["standard", "good_faith", "joint_force", "project_zero", "trusted_flagger"]
PROGRAMMES: tuple[Programme, ...] = (
    "standard",
    "good_faith",
    "joint_force",
    "project_zero",
    "trusted_flagger",
)
StrikeStep = Literal["warn", "block_7d", "ban"]

# Upper bounds: far above any market the model is meant for (the full Alibaba year has 3,000
# brands, 357,000 counterfeiters and a 395-day horizon), low enough that a typo fails
# validation at once instead of running out of memory.
MAX_DAYS = 3660.0
"""Ten years: the longest horizon, window or delay given in days."""
MAX_HOURS = MAX_DAYS * 24
Days = Annotated[float, Field(ge=0, le=MAX_DAYS)]
PositiveDays = Annotated[float, Field(gt=0, le=MAX_DAYS)]
IntervalH = Annotated[float, Field(gt=0, le=MAX_HOURS)]
MAX_PRODUCTS = 10_000_000
MAX_LISTINGS_PER_ACCOUNT_DAY = 100_000.0
"""The largest mean posting rate of one counterfeit account."""
MAX_POSTS_PER_DAY = 10_000_000.0
"""The largest posting volume at the start, count x mean listings_per_day (the full
Alibaba year posts under 900,000 a day)."""
MAX_GENUINE_LISTINGS = 50_000_000

MIN_RATE_PER_DAY = 1e-6
"""The smallest positive rate of events per day a scenario may give (one event in about
2,700 years); write 0 for never. A rate distribution's draws below it count as 0."""


def rate_floor(value: float, what: str = "") -> None:
    """A rate is 0 or at least MIN_RATE_PER_DAY: tinier ones mean nothing and overflow."""
    if 0 < value < MIN_RATE_PER_DAY:
        raise ValueError(
            f"{what}below the smallest positive rate, {MIN_RATE_PER_DAY} per day "
            "(write 0 for never)"
        )


MIX_TOLERANCE = 1e-6
"""How far a programme mix's sum may be from 1 (rounding in a file's decimals)."""


class Section(StrictSection):
    """A scenario table: strict ("0.5" is no number, though pydantic alone would read it
    as 0.5; lists stay lists) and documented by its attribute docstrings."""

    model_config = ConfigDict(use_attribute_docstrings=True, strict=True)
