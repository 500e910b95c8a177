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
from sim.types import BoolArray, FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class Sold:
    """Fake units sold in folded stretches on show: for the listings that sold any
    (``pos``, their positions in the batch), the units, those bought by deceived buyers,
    and the price each unit was paid."""

    pos: IntArray
    units: IntArray
    deceived: IntArray
    paid_usd: FloatArray


_NONE_SOLD = Sold(
    np.empty(0, dtype=np.int64),
    np.empty(0, dtype=np.int64),
    np.empty(0, dtype=np.int64),
    np.empty(0),
)


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
        pos, lam, inside = self.selling(popularity, start_h, stop_h, first_sale_h)
        return self.draw_sold(pos, lam, inside, price_usd[pos])

    def selling(
        self,
        popularity: FloatArray,
        start_h: FloatArray,
        stop_h: FloatArray,
        first_sale_h: FloatArray,
    ) -> tuple[IntArray, FloatArray, BoolArray]:
        """The stretches on show in [start_h, stop_h) that reach past their first sale
        (positions; most fakes are removed before one), the expected units after it, and
        whether the first sale itself falls inside. No draw: see ``draw_sold``."""
        pos = np.flatnonzero(first_sale_h < stop_h)  # an unsold listing's is +inf
        start, stop, first = start_h[pos], stop_h[pos], first_sale_h[pos]
        after = np.maximum(first, start)
        open_ = after < stop  # (a stretch may be empty: off show all the window)
        if not open_.all():
            pos, start, stop = pos[open_], start[open_], stop[open_]
            first, after = first[open_], after[open_]
        lam = popularity[pos] * (stop - after)
        lam *= self.views_per_day * self.conversion / 24.0
        return pos, lam, first >= start

    def draw_sold(
        self, pos: IntArray, lam: FloatArray, inside: BoolArray, price_usd: FloatArray
    ) -> Sold:
        """The units of stretches from ``selling`` (``price_usd`` of each), drawn: those
        that sold any, with how many deceived buyers bought."""
        units = self._rng_sales.poisson(lam)
        units += inside
        some = np.flatnonzero(units)
        pos, units = pos[some], units[some]
        deceived = self._rng_sales.binomial(units, self.deceived_share)
        return Sold(pos, units, deceived, price_usd[some] * (1.0 - self.discount))

    def sale_times(
        self, sold: Sold, start_h: FloatArray, stop_h: FloatArray, first_sale_h: FloatArray
    ) -> tuple[IntArray, FloatArray, np.ndarray]:
        """For the event log: each unit sold, as (position in the batch, time, deceived).
        The first sale keeps its time; the others are uniform over the rest of the
        stretch, as a Poisson process's are given their count."""
        at = np.repeat(np.arange(len(sold.units)), sold.units)  # each unit's seller
        pos = sold.pos[at]
        first, start, stop = first_sale_h[sold.pos], start_h[sold.pos], stop_h[sold.pos]
        lo = np.maximum(first, start)[at]
        t = lo + self._rng_times.random(len(at)) * (stop[at] - lo)
        starts = np.cumsum(sold.units) - sold.units
        inside = first >= start
        t[starts[inside]] = first[inside]
        rank = np.arange(len(at)) - starts[at]
        return pos, t, rank < sold.deceived[at]

    def lost_rate(self, popularity: FloatArray, hours: FloatArray) -> FloatArray:
        """Expected genuine units not sold by listings down for ``hours``."""
        rate = self.views_per_day * self.genuine_conversion / 24.0
        return popularity * np.maximum(hours, 0.0) * rate

    def lost_units(self, popularity: FloatArray, hours: FloatArray) -> IntArray:
        """Genuine units not sold by listings down for ``hours``, drawn."""
        return self.draw_lost(self.lost_rate(popularity, hours))

    def draw_lost(self, lam: FloatArray) -> IntArray:
        """Genuine units lost, drawn from their expected numbers ``lost_rate``."""
        return self._rng_lost.poisson(lam)
