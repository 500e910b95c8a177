"""Legit sellers: the genuine catalogue, wrongful take-downs and restorations of their
listings, and their counter-notices."""

from __future__ import annotations

import numpy as np

from sim.market import GenuineCatalog, pick_brands
from sim.metrics import Aggregates
from sim.scenario import LegitSellers as LegitSellersConfig
from sim.traces import EventLog
from sim.types import BoolArray, IntArray


class LegitSellers:
    """Honest sellers; each owns a few genuine listings of brands picked by popularity.

    Wrongful removals and restorations are recorded here (counts, days down, events);
    counter-notices get ids here and are routed to a review desk by the model.
    """

    def __init__(
        self,
        config: LegitSellersConfig,
        brand_cum: np.ndarray,
        rng: np.random.Generator,
        agg: Aggregates,
        events: EventLog | None,
    ) -> None:
        self.config = config
        self.rng = rng
        self.agg = agg
        self.events = events
        n = config.count * config.listings_per_seller
        seller = np.repeat(np.arange(config.count, dtype=np.int64), config.listings_per_seller)
        self.catalog = GenuineCatalog.build(pick_brands(brand_cum, rng, n), seller)
        self.open_counters: dict[int, int] = {}  # counter-notice id -> genuine listing
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

    def restore(self, ids: IntArray, t_h: float) -> None:
        """Put back those of ``ids`` still down, recording the days they were down."""
        cat = self.catalog
        ids = ids[~cat.live[ids]]
        if len(ids) == 0:
            return
        self.agg.wrongful(cat.removed_h[ids], np.full(len(ids), t_h))
        cat.live[ids] = True
        cat.noticed[ids] = False
        cat.removed_h[ids] = np.nan
        self.agg.count("restorations", np.full(len(ids), t_h), daily="restorations")
        if self.events is not None:
            self.events.add("restored", t_h, ids, cat.brand[ids], False, "restore")

    def file_counters(self, ids: IntArray, t_h: float) -> list[tuple[int, int]]:
        """Counter-notices against some of these wrongful removals: (id, listing) pairs."""
        filed = ids[self.contest(len(ids))].tolist()
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
        return out

    def counter_decided(self, counter_id: int, upheld: bool, t_h: float) -> None:
        """A desk decided a counter-notice: restore the listing when upheld."""
        gid = self.open_counters.pop(counter_id)
        if upheld:
            self.restore(np.array([gid], dtype=np.int64), t_h)

    def still_down(self, horizon_h: float) -> None:
        """At the end: listings never restored count as down until the horizon."""
        down = np.flatnonzero(~self.catalog.live)
        self.agg.wrongful(self.catalog.removed_h[down], np.full(len(down), horizon_h))
