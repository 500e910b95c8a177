"""Whom enforcement and its failures harm, tallied over the measured window: the fakes
shoppers buy (and the buyers deceived by them), and the sales honest sellers lose to
wrongful removals, and to the blocks and bans those removals' strikes bring.

Stretches on show and spells down are gathered as the run folds them, and their units
are drawn in one batch a day (``flush``, at each day's end and at the horizon): the run
pays for two vectorised draws a day rather than two per removal, and holds at most a
day's stretches. The event log, when kept, gets one ``sold`` event per fake unit sold in the
window and one ``sale_lost`` event per genuine unit lost.
"""

from __future__ import annotations

import numpy as np

from sim.demand import Demand
from sim.traces import EventLog
from sim.types import FloatArray, IntArray

# what a stretch that sold keeps until the draw (the rest only for the event log)
_SELLING = ("lam", "inside", "price_usd")
_SELLING_EVENTS = ("id", "brand", "account", "start_h", "stop_h", "first_sale_h")
_LOST = ("lam", "price_usd")
_LOST_EVENTS = ("t_h", "id", "brand", "why")


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class HarmTally:
    """Sums of sales, buyers' harm and honest sellers' lost sales (after ``flush``)."""

    def __init__(
        self, demand: Demand, warmup_h: float, horizon_h: float, events: EventLog | None
    ) -> None:
        self.demand = demand
        self.warmup_h = warmup_h
        self.horizon_h = horizon_h
        self.events = events
        self.fake_units = 0
        self.fake_paid_usd = 0.0
        self.deceived_paid_usd = 0.0
        self.legit_lost_usd = 0.0
        self.restore_h: list[float] = []  # removal to restoration, by counter-notice
        sell = _SELLING + (_SELLING_EVENTS if events is not None else ())
        lost = _LOST + (_LOST_EVENTS if events is not None else ())
        self._selling: dict[str, list[np.ndarray]] = {k: [] for k in sell}
        self._lost: dict[str, list[np.ndarray]] = {k: [] for k in lost}

    def fake_sales(
        self, cols: dict[str, np.ndarray], start_h: FloatArray, stop_h: FloatArray
    ) -> None:
        """Fakes on show in [start_h, stop_h) (already cut to the window): those that
        reach past their first sale are kept for the draw."""
        first = cols["first_sale_h"]
        pos, lam, inside = self.demand.selling(cols["popularity"], start_h, stop_h, first)
        if len(pos) == 0:
            return
        got: dict[str, np.ndarray] = {
            "lam": lam,
            "inside": inside,
            "price_usd": cols["price_usd"][pos],
        }
        if self.events is not None:
            got.update(start_h=start_h[pos], stop_h=stop_h[pos], first_sale_h=first[pos])
            got.update({k: cols[k][pos] for k in ("id", "brand", "account")})
        for name, parts in self._selling.items():
            parts.append(got[name])

    def lost(
        self,
        popularity: FloatArray,
        price_usd: FloatArray,
        hours: FloatArray,
        t_h: float | FloatArray,
        ids: IntArray,
        brand: IntArray,
        why: str,
    ) -> None:
        """Genuine listings ``ids`` off sale for ``hours`` (already cut to the window),
        recorded at ``t_h``: after a wrongful removal (``why`` "removed"), during a block
        ("block") or after a ban ("ban")."""
        if len(ids) == 0:
            return
        got: dict[str, np.ndarray] = {
            "lam": self.demand.lost_rate(popularity, hours),
            "price_usd": price_usd,
        }
        if self.events is not None:
            t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), ids.shape)
            got.update(t_h=t, id=ids, brand=brand, why=np.full(len(ids), why, dtype=object))
        for name, parts in self._lost.items():
            parts.append(got[name])

    def flush(self) -> None:
        """Draw the units of everything gathered so far and add them to the sums."""
        if self._selling["lam"]:
            self._draw_sold({k: np.concatenate(v) for k, v in self._selling.items()})
        if self._lost["lam"]:
            self._draw_lost({k: np.concatenate(v) for k, v in self._lost.items()})
        for parts in (*self._selling.values(), *self._lost.values()):
            parts.clear()

    def _draw_sold(self, s: dict[str, np.ndarray]) -> None:
        sold = self.demand.draw_sold(
            np.arange(len(s["lam"])), s["lam"], s["inside"], s["price_usd"]
        )
        self.fake_units += int(sold.units.sum())
        self.fake_paid_usd += float((sold.units * sold.paid_usd).sum(dtype=np.float64))
        self.deceived_paid_usd += float((sold.deceived * sold.paid_usd).sum(dtype=np.float64))
        if self.events is None or len(sold.units) == 0:
            return
        pos, t, deceived = self.demand.sale_times(
            sold, s["start_h"], s["stop_h"], s["first_sale_h"]
        )
        paid = s["price_usd"][pos] * (1.0 - self.demand.discount)
        buyer = np.where(deceived, "deceived", "aware").astype(object)
        brand, account = s["brand"][pos], s["account"][pos]
        self.events.add(
            "sold", t, s["id"][pos], brand, True, buyer, account=account, price_usd=paid
        )

    def _draw_lost(self, s: dict[str, np.ndarray]) -> None:
        units = self.demand.draw_lost(s["lam"])
        self.legit_lost_usd += float((units * s["price_usd"]).sum(dtype=np.float64))
        if self.events is None or not units.any():
            return
        pos = np.repeat(np.arange(len(units)), units)
        price = s["price_usd"][pos]
        self.events.add(
            "sale_lost", s["t_h"][pos], s["id"][pos], s["brand"][pos], False, s["why"][pos],
            price_usd=price,
        )  # fmt: skip

    def metrics(self) -> dict[str, float]:
        self.flush()
        return {
            "fake_sales": float(self.fake_units),
            "fake_sales_value": self.fake_paid_usd,
            "consumer_harm_usd": self.deceived_paid_usd,
            "legit_sales_lost_usd": self.legit_lost_usd,
            "counter_notice_restore_h_p50": _percentile(self.restore_h, 50),
            "counter_notice_restore_h_p95": _percentile(self.restore_h, 95),
        }
