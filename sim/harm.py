"""Whom enforcement and its failures harm, tallied over the measured window: the fakes
shoppers buy (and the buyers deceived by them), and the sales honest sellers lose to
wrongful removals, and to the blocks and bans those removals' strikes bring.

Draws come from ``sim.demand``; the event log, when kept, gets one ``sold`` event per
fake unit sold in the window and one ``sale_lost`` event per genuine unit lost.
"""

from __future__ import annotations

import numpy as np

from sim.demand import Demand
from sim.traces import EventLog
from sim.types import FloatArray, IntArray


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class HarmTally:
    """Running sums of sales, buyers' harm and honest sellers' lost sales."""

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

    def fake_sales(
        self, cols: dict[str, np.ndarray], start_h: FloatArray, stop_h: FloatArray
    ) -> None:
        """Units sold by fakes on show in [start_h, stop_h) (already cut to the window)."""
        first = cols["first_sale_h"]
        sold = self.demand.fake_sales(cols["popularity"], start_h, stop_h, first, cols["price_usd"])
        self.fake_units += int(sold.units.sum())
        self.fake_paid_usd += float((sold.units * sold.paid_usd).sum(dtype=np.float64))
        self.deceived_paid_usd += float((sold.deceived * sold.paid_usd).sum(dtype=np.float64))
        if self.events is None or not sold.units.any():
            return
        pos, t, deceived = self.demand.sale_times(sold, start_h, stop_h, first)
        self.events.add(
            "sold",
            t,
            cols["id"][pos],
            cols["brand"][pos],
            True,
            np.where(deceived, "deceived", "aware").astype(object),
            account=cols["account"][pos],
            price_usd=sold.paid_usd[pos],
        )

    def lost(
        self,
        popularity: FloatArray,
        price_usd: FloatArray,
        hours: FloatArray,
        t_h: float | FloatArray,
        ids: IntArray,
        brand: IntArray,
        channel: str,
    ) -> None:
        """Genuine sales lost by listings ``ids`` off sale for ``hours`` (already cut to
        the window), recorded at ``t_h``: after a wrongful removal (channel "removed"),
        during a block ("block") or after a ban ("ban")."""
        units = self.demand.lost_units(popularity, hours)
        self.legit_lost_usd += float((units * price_usd).sum(dtype=np.float64))
        if self.events is None or not units.any():
            return
        pos = np.repeat(np.arange(len(units)), units)
        t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), units.shape)[pos]
        self.events.add(
            "sale_lost", t, ids[pos], brand[pos], False, channel, price_usd=price_usd[pos]
        )

    def metrics(self) -> dict[str, float]:
        return {
            "fake_sales": float(self.fake_units),
            "fake_sales_value": self.fake_paid_usd,
            "consumer_harm_usd": self.deceived_paid_usd,
            "legit_sales_lost_usd": self.legit_lost_usd,
            "counter_notice_restore_h_p50": _percentile(self.restore_h, 50),
            "counter_notice_restore_h_p95": _percentile(self.restore_h, 95),
        }
