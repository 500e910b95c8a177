"""Legit sellers: the genuine catalogue and their counter-notices against wrongful removals."""

from __future__ import annotations

import numpy as np

from sim.market import BoolArray, GenuineCatalog, pick_brands
from sim.scenario import LegitSellers as LegitSellersConfig


class LegitSellers:
    """Honest sellers; each owns a few genuine listings of brands picked by popularity."""

    def __init__(
        self, config: LegitSellersConfig, brand_cum: np.ndarray, rng: np.random.Generator
    ) -> None:
        self.config = config
        self.rng = rng
        n = config.count * config.listings_per_seller
        seller = np.repeat(np.arange(config.count, dtype=np.int64), config.listings_per_seller)
        self.catalog = GenuineCatalog.build(pick_brands(brand_cum, rng, n), seller)

    def contest(self, k: int) -> BoolArray:
        """Which of ``k`` wrongly removed listings get a counter-notice."""
        return self.rng.random(k) < self.config.counter_notice_prob
