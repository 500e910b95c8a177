"""Shoppers' demand: heavy-tailed popularity of listings, and sales drawn as counts.

Every listing, fake or genuine, gets a popularity weight when it goes up: lognormal with
mean 1 and log-scale standard deviation ``market.listing_popularity_sigma``, so its
views per day are ``views_per_listing_day`` times its weight. Its sales are a Poisson
process at its views times the conversion. A fake's first sale is drawn when it goes
live (so whether a removal came before a first sale is known); the units it sells in a
stretch on show are drawn as one count when that stretch is folded: the first sale if
it falls inside, plus a Poisson count over the rest of the stretch after it. Genuine
sales lost while a listing is down are drawn the same way.

Each kind of draw has a stream of its own (popularity, fake sales, lost genuine sales,
and the times of single sales, drawn only for the event log), so that adding the event
log or one more wrongful removal never shifts the draws of another kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.rng import Streams
from sim.scenario import Market
from sim.types import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class Sold:
    """Fake units sold in folded stretches on show, per listing: all, and to deceived
    buyers; with the price each unit was paid."""

    units: IntArray
    deceived: IntArray
    paid_usd: FloatArray


class Demand:
    """Popularity weights and sales draws of one run."""

    def __init__(self, market: Market, streams: Streams) -> None:
        self.views_per_day = market.views_per_listing_day
        self.conversion = market.fake_conversion
        self.genuine_conversion = market.genuine_conversion
        self.discount = market.fake_price_discount
        self.deceived_share = market.deceived_buyer_share
        self.sigma = market.listing_popularity_sigma
        self._rng_popularity = streams.get("demand.popularity")
        self._rng_sales = streams.get("demand.sales")
        self._rng_lost = streams.get("demand.lost_sales")
        self._rng_times = streams.get("demand.sale_times")

    def popularity(self, k: int) -> FloatArray:
        """Weights of ``k`` new listings: lognormal with mean 1 (all 1 when sigma is 0)."""
        if self.sigma == 0.0:
            return np.ones(k)
        s = self.sigma
        return self._rng_popularity.lognormal(-0.5 * s * s, s, k)

    def sales_rate_per_h(self, popularity: FloatArray) -> FloatArray:
        """A fake's expected sales per hour on show."""
        return popularity * (self.views_per_day * self.conversion / 24.0)

    def views(self, popularity: FloatArray, hours: FloatArray) -> FloatArray:
        """Expected views of listings on show for ``hours``."""
        return popularity * hours * (self.views_per_day / 24.0)

    def fake_sales(
        self,
        popularity: FloatArray,
        start_h: FloatArray,
        stop_h: FloatArray,
        first_sale_h: FloatArray,
        price_usd: FloatArray,
    ) -> Sold:
        """Units fakes sold on show in [start_h, stop_h): the first sale if inside, plus
        a Poisson count over the stretch after both its start and the first sale."""
        after = np.maximum(first_sale_h, start_h)
        with np.errstate(invalid="ignore"):  # an unsold listing's first sale is +inf
            lam = self.sales_rate_per_h(popularity) * np.maximum(stop_h - after, 0.0)
        lam = np.nan_to_num(lam, nan=0.0, posinf=0.0)
        units = self._rng_sales.poisson(lam)
        units += (first_sale_h >= start_h) & (first_sale_h < stop_h)
        deceived = np.zeros_like(units)
        some = np.flatnonzero(units)
        deceived[some] = self._rng_sales.binomial(units[some], self.deceived_share)
        return Sold(units, deceived, price_usd * (1.0 - self.discount))

    def sale_times(
        self, sold: Sold, start_h: FloatArray, stop_h: FloatArray, first_sale_h: FloatArray
    ) -> tuple[IntArray, FloatArray, np.ndarray]:
        """For the event log: each unit sold, as (position in the batch, time, deceived).
        The first sale keeps its time; the others are uniform over the rest of the
        stretch, as a Poisson process's are given their count."""
        rng = self._rng_times
        pos = np.repeat(np.arange(len(sold.units)), sold.units)
        lo = np.maximum(first_sale_h, start_h)[pos]
        t = lo + rng.random(len(pos)) * (stop_h[pos] - lo)
        first = (first_sale_h >= start_h) & (first_sale_h < stop_h)
        starts = np.cumsum(sold.units) - sold.units
        t[starts[first & (sold.units > 0)]] = first_sale_h[first & (sold.units > 0)]
        rank = np.arange(len(pos)) - starts[pos]
        deceived = rank < sold.deceived[pos]
        return pos, t, deceived

    def lost_units(self, popularity: FloatArray, hours: FloatArray) -> IntArray:
        """Genuine units not sold by listings down for ``hours``."""
        lam = (
            popularity
            * np.maximum(hours, 0.0)
            * (self.views_per_day * self.genuine_conversion / 24.0)
        )
        return self._rng_lost.poisson(lam)
