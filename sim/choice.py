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
        self.ended = np.zeros((len(popularity), days))
        self.shown_days = np.zeros((len(popularity), days))
        self.outside_share = 0.0  # the share of new fakes posted off the platform

    def lived(self, brand: IntArray, days_on_show: FloatArray, t_h: float) -> None:
        """Fakes of ``brand`` ended on the day of ``t_h`` after ``days_on_show``."""
        if len(brand) == 0:
            return
        day = min(max(int(t_h // 24.0), 0), self.days - 1)
        n = len(self.popularity)
        b = brand.astype(np.int64)
        self.ended[:, day] += np.bincount(b, minlength=n)
        self.shown_days[:, day] += np.bincount(b, days_on_show, minlength=n)

    def brand_cum(self, day: int) -> FloatArray | None:
        """The cumulative brand weights after ``day`` (None: nothing ended yet), and the
        outside share updated with them."""
        lo = max(0, day - self.config.window_days + 1)
        ended = self.ended[:, lo : day + 1].sum(axis=1)
        total = ended.sum()
        if total <= 0:
            return None
        shown = self.shown_days[:, lo : day + 1].sum(axis=1)
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
