"""Distributions for scenario parameters: validated, with ``sample``, an analytic ``mean``
and a ``repr`` that shows their parameters.

In scenario files they are inline tables, e.g. ``{dist = "lognormal", mean = 12.0, sd = 6.0}``;
a bare number means a constant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, use_attribute_docstrings=True
    )

    def sample(self, rng: np.random.Generator, n: int | None = None) -> Any:
        """Draw one value (n is None) or an array of n values."""
        raise NotImplementedError

    @property
    def mean(self) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.model_dump().items() if k != "dist")
        return f"{type(self).__name__}({fields})"

    def __str__(self) -> str:
        # not ``__str__ = __repr__``: that would pin the base repr, not a subclass's
        return repr(self)


class Constant(_Dist):
    """Always the same value (a bare number in a scenario file means this)."""

    dist: Literal["constant"] = "constant"
    value: float = Field(ge=0)
    """The value."""

    def sample(self, rng: np.random.Generator, n: int | None = None) -> Any:
        return self.value if n is None else np.full(n, self.value)

    @property
    def mean(self) -> float:
        return self.value


class Exponential(_Dist):
    """Memoryless waiting times (Poisson events); sd equals the mean."""

    dist: Literal["exponential"] = "exponential"
    mean_: PositiveFloat = Field(alias="mean")
    """The mean."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )

    def sample(self, rng: np.random.Generator, n: int | None = None) -> Any:
        return rng.exponential(self.mean_, n)

    @property
    def mean(self) -> float:
        return self.mean_

    def __repr__(self) -> str:
        return f"Exponential(mean={self.mean_!r})"


class _MeanSd(_Dist):
    mean_: PositiveFloat = Field(alias="mean")
    """The mean of the variable."""
    sd: float = Field(gt=0)
    """The standard deviation of the variable."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )

    @property
    def mean(self) -> float:
        return self.mean_

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean_!r}, sd={self.sd!r})"


class Lognormal(_MeanSd):
    """Lognormal given by the mean and sd of the variable itself (not of its log)."""

    dist: Literal["lognormal"] = "lognormal"

    def _mu_sigma(self) -> tuple[float, float]:
        sigma2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2)

    def sample(self, rng: np.random.Generator, n: int | None = None) -> Any:
        mu, sigma = self._mu_sigma()
        return rng.lognormal(mu, sigma, n)


class Gamma(_MeanSd):
    """Gamma given by mean and sd (shape = (mean/sd)^2)."""

    dist: Literal["gamma"] = "gamma"

    def sample(self, rng: np.random.Generator, n: int | None = None) -> Any:
        shape = (self.mean_ / self.sd) ** 2
        return rng.gamma(shape, self.mean_ / shape, n)


class Uniform(_Dist):
    """Any value between low and high equally likely."""

    dist: Literal["uniform"] = "uniform"
    low: float = Field(ge=0)
    """The smallest value."""
    high: float = Field(ge=0)
    """The largest value."""

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        """high must be at least low."""
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def sample(self, rng: np.random.Generator, n: int | None = None) -> Any:
        return rng.uniform(self.low, self.high, n)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


class Empirical(_Dist):
    """Draws from observed values, optionally weighted."""

    dist: Literal["empirical"] = "empirical"
    values: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)
    """The observed values."""
    weights: list[Annotated[float, Field(ge=0)]] | None = None
    """Relative weight of each value (default: all equal)."""

    @model_validator(mode="after")
    def _weights_match(self) -> Empirical:
        """weights, when given, has one entry per value and is not all zero."""
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have as many entries as values")
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _p(self) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def sample(self, rng: np.random.Generator, n: int | None = None) -> Any:
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self._p())

    @property
    def mean(self) -> float:
        p = self._p()
        v = np.asarray(self.values, dtype=float)
        return float(v.mean() if p is None else (v * p).sum())


AnyDist = Annotated[
    Constant | Exponential | Lognormal | Gamma | Uniform | Empirical,
    Field(discriminator="dist"),
]
DIST_CLASSES: dict[str, type[_Dist]] = {
    "constant": Constant,
    "exponential": Exponential,
    "lognormal": Lognormal,
    "gamma": Gamma,
    "uniform": Uniform,
    "empirical": Empirical,
}
DIST_NAMES = tuple(DIST_CLASSES)


def coerce_dist(value: Any) -> Any:
    """Scenario files may give a bare non-negative number for a constant."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    if isinstance(value, Mapping | _Dist):
        return value
    raise ValueError('expected a number or a table like {dist = "exponential", mean = 2.0}')
