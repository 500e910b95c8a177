"""Displacement: counterfeiters shift their posting away from the brands that enforce
hardest.

Each day the weights with which new fakes pick their brand are reset to the brands'
popularity times ``exp(-displacement * pressure / mean pressure)``, where a brand's
pressure is the share of the fakes posted to it over the last week that its own actions
(notices, confirmed leads) removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.types import FloatArray, IntArray

DISPLACEMENT_WINDOW_DAYS = 7


@dataclass(frozen=True, slots=True)
class Pressure:
    """Per brand (rows) and day (columns): fakes posted, and fakes the brand itself had
    removed."""

    posted: FloatArray
    enforced: FloatArray

    @classmethod
    def zeros(cls, brands: int, days: int) -> Pressure:
        return cls(np.zeros((brands, days)), np.zeros((brands, days)))

    def rate(self, day: int) -> FloatArray:
        """Each brand's enforced share of its posted fakes over the week to ``day``."""
        lo = max(0, day - DISPLACEMENT_WINDOW_DAYS + 1)
        enforced = self.enforced[:, lo : day + 1].sum(axis=1)
        posted = self.posted[:, lo : day + 1].sum(axis=1)
        return enforced / np.maximum(posted, 1.0)


class Displacement:
    """The brand weights of new fakes, moved daily by the pressure brands put on them
    (``strength`` 0: never moved, and nothing counted)."""

    def __init__(self, strength: float, popularity: FloatArray, days: int) -> None:
        self.strength = strength
        self.popularity = popularity
        self.days = days
        shape = (len(popularity), days) if self.on else (0, 0)
        self.pressure = Pressure.zeros(*shape)

    @property
    def on(self) -> bool:
        return self.strength > 0

    def posted(self, brand: IntArray, t_h: float) -> None:
        """Fakes of ``brand`` (one entry each) were posted on the day of ``t_h``."""
        self._count(self.pressure.posted, brand, t_h)

    def enforced(self, brand: IntArray, t_h: float) -> None:
        """Fakes of ``brand`` were removed on the day of ``t_h`` by their brand's action."""
        self._count(self.pressure.enforced, brand, t_h)

    def _count(self, table: FloatArray, brand: IntArray, t_h: float) -> None:
        if not self.on or len(brand) == 0:
            return
        day = min(int(t_h // 24.0), self.days - 1)
        table[:, day] += np.bincount(brand, minlength=len(self.popularity))

    def brand_cum(self, day: int) -> FloatArray | None:
        """The cumulative brand weights after ``day``, or None to keep the current ones
        (no brand has removed anything)."""
        rate = self.pressure.rate(day)
        if rate.mean() <= 0:
            return None
        weights = self.popularity * np.exp(-self.strength * rate / rate.mean())
        return np.cumsum(weights)
