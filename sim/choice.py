"""Displacement by outcome: where counterfeiters post, chosen by how long fakes have
lately stayed on show.

Brand j gets weight a_j x (L_j / L) ^ strength, where a_j is its popularity (mean 1),
L_j the mean days on show of its fakes that ended in the last ``window_days`` (caught at
upload counts 0 days; a brand with none ended takes the market's mean; an hour at least)
and L the market's mean over the same fakes. The outside market, when there is one, takes
the share w / (w + the brands' mean weight) of new fakes, with w = ``outside_weight`` x
(``outside_lifetime_days`` / L) ^ strength. A brand in a
programme that removes fast loses posts to the others, and a platform that removes fast
loses them to the outside market.
"""

from __future__ import annotations

import numpy as np

from sim.scenario_response import Choice
from sim.types import FloatArray, IntArray


class LifetimeChoice:
    """Recent time on show per brand and day, and the choice weights it gives."""

    def __init__(self, config: Choice, popularity: FloatArray, days: int) -> None:
        self.config = config
        self.popularity = popularity
        self.days = days
        self.ended = np.zeros((days, len(popularity)))  # per day (rows) and brand
        self.shown_days = np.zeros((days, len(popularity)))
        self.outside_share = 0.0  # the share of new fakes posted off the platform
        # the day's endings, gathered batch by batch and counted once at its close
        self._brands: list[IntArray] = []
        self._shown: list[FloatArray] = []

    def lived(self, brand: IntArray, days_on_show: FloatArray) -> None:
        """Fakes of ``brand`` ended today after ``days_on_show``."""
        if len(brand):
            self._brands.append(brand)
            self._shown.append(days_on_show)

    def _count(self, day: int) -> None:
        """The day's endings into its row of the tables."""
        if not self._brands:
            return
        n = len(self.popularity)
        b = np.concatenate(self._brands).astype(np.int64)
        self.ended[day] += np.bincount(b, minlength=n)
        self.shown_days[day] += np.bincount(b, np.concatenate(self._shown), minlength=n)
        self._brands, self._shown = [], []

    def brand_cum(self, day: int) -> FloatArray | None:
        """Close ``day``: the cumulative brand weights after it (None: nothing ended yet),
        and the outside share updated with them."""
        self._count(min(max(day, 0), self.days - 1))
        lo = max(0, day - self.config.window_days + 1)
        ended = self.ended[lo : day + 1].sum(axis=0)
        total = ended.sum()
        if total <= 0:
            return None
        shown = self.shown_days[lo : day + 1].sum(axis=0)
        market = shown.sum() / total
        hour = 1.0 / 24.0  # the floor of a mean: a brand whose fakes are all caught
        mean = np.maximum(np.where(ended > 0, shown / np.maximum(ended, 1.0), market), hour)
        scale = max(market, hour)
        c = self.config
        weights = self.popularity * (mean / scale) ** c.strength
        if c.outside_weight > 0:
            outside = c.outside_weight * (c.outside_lifetime_days / scale) ** c.strength
            self.outside_share = float(outside / (outside + weights.mean()))
        return np.cumsum(weights)
