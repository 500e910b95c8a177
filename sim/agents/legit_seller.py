"""Legit sellers: the genuine catalogue, wrongful take-downs and restorations of their
listings, their counter-notices, and what wrongful removals cost them.

A wrongful removal *stands* when its seller does not counter-notify it, or when review
rejects the counter-notice (the removal is upheld). A removal that stands is a strike on
the seller's account, on the platform's ladder: a block costs the sales of the seller's
live listings for the block's length, a ban takes them down for good. Sales lost while
listings are down are drawn as counts (``sim.demand``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.counterfeiter import Accounts
from sim.agents.platform import BLOCK_H, Platform
from sim.market import GenuineCatalog, pick_brands
from sim.metrics import Aggregates
from sim.scenario import LegitSellers as LegitSellersConfig
from sim.scenario import Market
from sim.traces import EventLog
from sim.types import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from sim.seller_misuse import SellerSide


class LegitSellers:
    """Honest sellers; each owns a few genuine listings of brands picked by popularity.

    Wrongful removals and restorations are recorded here (counts, days down, lost sales,
    events); counter-notices get ids here and are routed to a review desk by the model.
    Each seller has an account on the platform's strike ladder (``accounts``).
    """

    def __init__(
        self,
        config: LegitSellersConfig,
        brand_cum: np.ndarray,
        rng: np.random.Generator,
        agg: Aggregates,
        events: EventLog | None,
        *,
        market: Market,
        platform: Platform,
    ) -> None:
        self.config = config
        self.rng = rng
        self.agg = agg
        self.events = events
        self.platform = platform
        n = config.count * config.listings_per_seller
        seller = np.repeat(np.arange(config.count, dtype=np.int64), config.listings_per_seller)
        self.catalog = GenuineCatalog.build(pick_brands(brand_cum, rng, n), seller)
        # a child stream for prices: spawning leaves ``rng``'s own draws where they were
        (price_rng,) = rng.spawn(1)
        self.price_usd = np.asarray(market.genuine_price_usd.sample(price_rng, n), dtype=float)
        self.popularity = agg.demand.popularity(n)
        self.accounts = Accounts(config.count)
        self.accounts.open(np.zeros(config.count))
        self.banned_down = np.zeros(n, dtype=bool)  # taken down by its seller's ban
        self.open_counters: dict[int, int] = {}  # counter-notice id -> genuine listing
        self.art23: SellerSide | None = None  # the sellers' Art. 23 record, when it applies
        self.suspended_until_h = np.zeros(config.count)  # each seller's last suspension end
        self._counter_seq = 0

    def contest(self, k: int) -> BoolArray:
        """Which of ``k`` wrongly removed listings get a counter-notice."""
        return self.rng.random(k) < self.config.counter_notice_prob

    def take_down(self, ids: IntArray, t_h: float, channel: str) -> IntArray:
        """Remove those of ``ids`` still live; returns the ones taken down."""
        cat = self.catalog
        ids = ids[cat.live[ids]]
        if len(ids) == 0:
            return ids
        cat.live[ids] = False
        cat.removed_h[ids] = t_h
        self.agg.count("genuine_wrongly_removed", np.full(len(ids), t_h), daily="genuine_removed")
        if self.events is not None:
            self.events.add("removed", t_h, ids, cat.brand[ids], False, channel)
        return ids

    def restore(self, ids: IntArray, t_h: float) -> IntArray:
        """Put back those of ``ids`` still down (not those of a banned seller), recording
        the days they were down and the sales lost; returns the ones put back."""
        cat = self.catalog
        ids = ids[~cat.live[ids] & ~self.banned_down[ids]]
        ids = ids[self.accounts.active[cat.seller[ids]]]
        if len(ids) == 0:
            return ids
        self._down_until(ids, t_h)
        cat.live[ids] = True
        cat.noticed[ids] = False
        cat.removed_h[ids] = np.nan
        self.agg.count("restorations", np.full(len(ids), t_h), daily="restorations")
        if self.events is not None:
            self.events.add("restored", t_h, ids, cat.brand[ids], False, "restore")
        return ids

    def _down_until(self, ids: IntArray, until_h: float) -> None:
        """Days down and sales lost by wrongly removed listings ``ids`` until ``until_h``
        (those removed in the window, up to the horizon)."""
        removed_h = self.catalog.removed_h[ids]
        until = np.full(len(ids), until_h)
        self.agg.wrongful(removed_h, until)
        inside = self.agg.in_window(removed_h)
        stop = min(until_h, self.agg.window.horizon_h)
        hours = np.where(inside, stop - removed_h, 0.0)
        self._lost(ids, hours, until_h, "removed")

    def _lost(self, ids: IntArray, hours: FloatArray, t_h: float | FloatArray, why: str) -> None:
        brand = self.catalog.brand[ids]
        pop, price = self.popularity[ids], self.price_usd[ids]
        self.agg.harm.lost(pop, price, hours, t_h, ids, brand, why)

    def file_counters(self, ids: IntArray, t_h: float) -> list[tuple[int, int]]:
        """Counter-notices against some of these wrongful removals: (id, listing) pairs.
        The removals nobody contests stand: strikes for their sellers."""
        filing = self.contest(len(ids))
        filed = ids[filing].tolist()
        out = []
        for gid in filed:
            out.append((self._counter_seq, gid))
            self.open_counters[self._counter_seq] = gid
            self._counter_seq += 1
        if filed:
            self.agg.count("counter_notices", np.full(len(filed), t_h), daily="counter_notices")
            if self.events is not None:
                gids = np.asarray(filed, dtype=np.int64)
                brand = self.catalog.brand[gids]
                self.events.add("counter_notice", t_h, gids, brand, False, "seller")
        self._stands(ids[~filing], t_h)
        return out

    def counter_decided(self, counter_id: int, accepted: bool, t_h: float) -> None:
        """A desk decided a counter-notice: accepted, the listing goes back up (unless its
        seller was banned meanwhile); rejected, the removal is upheld and stands."""
        gid = self.open_counters.pop(counter_id)
        one = np.array([gid], dtype=np.int64)
        if accepted:
            removed_h = float(self.catalog.removed_h[gid])
            back = len(self.restore(one, t_h)) > 0
            outcome = "restored" if back else "not_restored"
            if back:
                self.agg.count("counter_notices_restored", t_h)
                if t_h >= self.agg.window.warmup_h:
                    self.agg.harm.restore_h.append(t_h - removed_h)
        else:
            outcome = "upheld"
            self.agg.count("counter_notices_upheld", t_h)
        if self.events is not None:
            brand = self.catalog.brand[one]
            self.events.add("counter_decided", t_h, one, brand, False, outcome)
        if not accepted:
            self._stands(one, t_h)

    def _stands(self, ids: IntArray, t_h: float) -> None:
        """Wrongful removals of ``ids`` that stand: a strike for each one's seller."""
        if len(ids) == 0:
            return
        sellers = self.catalog.seller[ids]
        if self.art23 is not None:  # before the strikes: a ban ends the record
            self.art23.removed(sellers, t_h)
        out = self.platform.strike(self.accounts, sellers, np.full(len(ids), t_h))
        self.agg.count("legit_seller_strikes", out.struck_h)
        if self.events is not None:
            none = np.full(len(out.struck), -1, dtype=np.int64)
            rung = np.asarray(out.rung, dtype=object)
            self.events.add("struck", out.struck_h, none, none, False, rung, account=out.struck)
        if len(out.blocked):
            self._blocked(out.blocked, out.blocked_h)
        if len(out.banned):
            self._banned(out.banned, out.banned_h)

    def _listings_of(self, sellers: IntArray, t_h: FloatArray) -> tuple[IntArray, FloatArray]:
        """The live listings of ``sellers``, each with its seller's time."""
        per = self.config.listings_per_seller
        ids = (sellers[:, None] * per + np.arange(per)).ravel()
        t = np.repeat(np.asarray(t_h, dtype=np.float64), per)
        live = self.catalog.live[ids]
        return ids[live], t[live]

    def _blocked(self, sellers: IntArray, t_h: FloatArray) -> None:
        """Blocked honest sellers lose their live listings' sales for the block's length
        (blocks in the window, up to the horizon)."""
        ids, t = self._listings_of(sellers, t_h)
        stop = np.minimum(t + BLOCK_H, self.agg.window.horizon_h)
        # the hours a suspension already running covers are lost to it, not to the block
        start = np.maximum(t, self.suspended_until_h[self.catalog.seller[ids]])
        hours = np.maximum(stop - start, 0.0)
        self._lost(ids, np.where(self.agg.in_window(t), hours, 0.0), t, "block")

    def suspend(self, sellers: IntArray, t_h: float, end_h: float) -> None:
        """Sellers suspended under Art. 23 from ``t_h`` to ``end_h`` lose their live
        listings' sales for it, from the end of a block already running (suspensions
        in the window, up to the horizon)."""
        blocked = self.accounts.blocked_until_h
        start = np.maximum(t_h, blocked[sellers])
        blocked[sellers] = np.maximum(blocked[sellers], end_h)
        self.suspended_until_h[sellers] = end_h
        ids, t = self._listings_of(sellers, start)
        hours = np.maximum(min(end_h, self.agg.window.horizon_h) - t, 0.0)
        self._lost(ids, np.where(self.agg.in_window(t), hours, 0.0), t, "suspension")

    def _banned(self, sellers: IntArray, t_h: FloatArray) -> None:
        """Banned honest sellers: their live listings come down for good, and their sales
        from the ban to the horizon are lost (bans in the window)."""
        self.agg.count("legit_sellers_banned", t_h)
        self.accounts.active[sellers] = False
        if self.art23 is not None:
            self.art23.closed(sellers, t_h)
        ids, t = self._listings_of(sellers, t_h)
        cat = self.catalog
        cat.live[ids] = False
        self.banned_down[ids] = True
        start = np.maximum(t, self.suspended_until_h[cat.seller[ids]])  # a suspension's own
        hours = np.maximum(self.agg.window.horizon_h - start, 0.0)
        self._lost(ids, np.where(self.agg.in_window(t), hours, 0.0), t, "ban")
        if self.events is not None:
            none = np.full(len(sellers), -1, dtype=np.int64)
            self.events.add("banned", t_h, none, none, False, "ban", account=sellers)
            self.events.add("removed", t, ids, cat.brand[ids], False, "ban")

    def still_down(self, horizon_h: float) -> None:
        """At the end: wrongly removed listings never restored count as down until the
        horizon (those taken down by a ban are counted from the ban)."""
        down = np.flatnonzero(~self.catalog.live & ~self.banned_down)
        self._down_until(down, horizon_h)
