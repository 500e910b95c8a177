"""Load shapes: how the target arrival rate varies over a run, as a multiplier of it.

A shape is a pure function of time since the start and the run's duration, so the
same profile serves a 20-second demo and an hour-long soak. Times are fractions of
the duration where a shape has breakpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

Array = NDArray[np.float64]
# the bounds pydantic checks when a profile is loaded (a ramp over no time or a step
# count of zero would divide by zero; a negative level is no rate)
Level = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
At = Annotated[float, Field(ge=0.0, lt=1.0)]
Span = Annotated[float, Field(gt=0.0, le=1.0)]
Steps = Annotated[int, Field(ge=1)]


class Shape(Protocol):
    """Multiplier of the target rate at times ``t_s`` of a run lasting ``duration_s``."""

    def multiplier(self, t_s: Array, duration_s: float) -> Array: ...


@dataclass(frozen=True)
class Constant:
    """The target rate throughout (a soak is a long constant run)."""

    kind: Literal["constant", "soak"] = "constant"
    level: Level = 1.0

    def multiplier(self, t_s: Array, duration_s: float) -> Array:
        return np.full_like(np.asarray(t_s, dtype=float), self.level)


@dataclass(frozen=True)
class Ramp:
    """Linear from ``start`` to ``end`` over the first ``ramp`` of the run, then held."""

    kind: Literal["ramp"] = "ramp"
    start: Level = 0.1
    end: Level = 1.0
    ramp: Span = 0.5

    def multiplier(self, t_s: Array, duration_s: float) -> Array:
        frac = np.clip(np.asarray(t_s, dtype=float) / (self.ramp * duration_s), 0.0, 1.0)
        return self.start + (self.end - self.start) * frac


@dataclass(frozen=True)
class Step:
    """``steps`` equal stages rising from ``1/steps`` of the rate to the full rate."""

    kind: Literal["step"] = "step"
    steps: Steps = 4

    def multiplier(self, t_s: Array, duration_s: float) -> Array:
        stage = np.floor(np.asarray(t_s, dtype=float) / duration_s * self.steps)
        return np.clip(stage + 1.0, 1.0, float(self.steps)) / self.steps


@dataclass(frozen=True)
class Spike:
    """The target rate, with ``peak`` times it between fractions ``at`` and ``at + width``."""

    kind: Literal["spike"] = "spike"
    peak: Level = 3.0
    at: At = 0.5
    width: Span = 0.1

    def multiplier(self, t_s: Array, duration_s: float) -> Array:
        frac = np.asarray(t_s, dtype=float) / duration_s
        inside = (frac >= self.at) & (frac < self.at + self.width)
        return np.where(inside, self.peak, 1.0)


AnyShape = Constant | Ramp | Step | Spike
SHAPES: dict[str, type[AnyShape]] = {
    "constant": Constant,
    "soak": Constant,
    "ramp": Ramp,
    "step": Step,
    "spike": Spike,
}


def mean_multiplier(shape: Shape, duration_s: float, grid: int = 20_001) -> float:
    """The shape's average over the run (target rate x this = mean target rate)."""
    t = np.linspace(0.0, duration_s, grid)
    m = shape.multiplier(t, duration_s)
    return float(np.trapezoid(m, t) / duration_s) if duration_s > 0 else float(m[0])
