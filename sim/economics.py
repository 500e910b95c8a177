"""The counterfeiters' books: what each operator's trade costs and earns.

Rows are operator ids, the rows of ``Accounts`` (a banned operator who comes back keeps
its row under a fresh account). Costs are booked when incurred: a new account's set-up
(verification included), and stock and the listing fee of every fake posted. Income is
the expected takings of a fake while it is on show (its sales rate, from its popularity,
x the fake's price: the mean of the sales the run draws for the measured window, kept
for the warm-up too), booked at each day's end for what is live
and at removal for the rest. A listing posted after a day's end (its id is at least the
store's next id then) was never booked, even when its posting time is earlier (a relist
due in an hour already run is posted in the next one). Set-up costs are sunk: the
trailing profit that drives exit and return decisions is operating profit only.
"""

from __future__ import annotations

import numpy as np

from sim.arrays import grown
from sim.demand import Demand
from sim.scenario_response import Economics
from sim.store import ListingStore
from sim.types import FloatArray, IntArray

BOOKED_COLUMNS = ("id", "account", "brand", "popularity", "live_from_h", "price_usd")


class Ledger:
    """Running profit per operator, per current account and per market day (USD)."""

    def __init__(self, config: Economics, demand: Demand, days: int, horizon_h: float) -> None:
        self.config = config
        self.demand = demand
        self.days = days
        self.profit_usd = np.zeros(0)  # everything, since the operator first opened
        self.account_profit_usd = np.zeros(0)  # since its current account opened
        self.today_usd = np.zeros(0)  # operating profit of the day being run
        self.trailing_usd_per_day = np.zeros(0)
        self.income_by_day = np.zeros(days)
        self.cost_by_day = np.zeros(days)
        self.horizon_h = horizon_h
        self.accrued_h = 0.0  # income of live listings is booked up to here ...
        self.accrued_id = 0  # ... for those with lower ids
        self._decay = float(np.exp(-1.0 / config.trailing_days))

    def cover(self, n: int) -> None:
        """Room for operators 0..n-1."""
        if n > len(self.profit_usd):
            cap = max(n, 2 * len(self.profit_usd), 256)
            for name in ("profit_usd", "account_profit_usd", "today_usd", "trailing_usd_per_day"):
                setattr(self, name, grown(getattr(self, name), cap))

    def _day(self, t_h: float) -> int:
        return min(max(int(t_h // 24.0), 0), self.days - 1)

    def opened(self, rows: IntArray, t_h: float) -> None:
        """New accounts of operators ``rows`` opened at ``t_h``: set-up paid (sunk)."""
        if len(rows) == 0:
            return
        self.cover(int(rows.max()) + 1)
        cost = self.config.account_setup_usd
        self.profit_usd[rows] -= cost
        self.account_profit_usd[rows] = -cost
        self.cost_by_day[self._day(t_h)] += cost * len(rows)

    def posted(self, account: IntArray, t_h: float) -> None:
        """Fakes posted by ``account`` (one entry each) in the hour at ``t_h``."""
        if len(account) == 0:
            return
        cost = self.config.stock_usd_per_listing + self.config.listing_fee_usd
        self._book(account, np.full(len(account), -cost))
        self.cost_by_day[self._day(t_h)] += cost * len(account)

    def earned(self, cols: dict[str, np.ndarray], end_h: FloatArray | float) -> None:
        """Fakes (the ``BOOKED_COLUMNS`` of the store)
        leaving the shop window at ``end_h``: their takings since last booked."""
        account = cols["account"]
        if len(account) == 0:
            return
        end = np.broadcast_to(np.asarray(end_h, dtype=np.float64), account.shape)
        booked = np.where(cols["id"] < self.accrued_id, self.accrued_h, -np.inf)
        start = np.maximum(cols["live_from_h"], booked)
        income = self._takings(cols["popularity"], start, cols["price_usd"], end)
        self._book(account.astype(np.int64), income)
        # a listing that ends on a day's last instant belongs to that day
        day = np.clip(np.ceil(end / 24.0).astype(np.int64) - 1, 0, self.days - 1)
        self.income_by_day += np.bincount(day, income, minlength=self.days)[: self.days]

    def _takings(
        self, popularity: FloatArray, start_h: FloatArray, price_usd: FloatArray, end_h: FloatArray
    ) -> FloatArray:
        hours = np.maximum(np.minimum(end_h, self.horizon_h) - start_h, 0.0)
        sales = hours * self.demand.sales_rate_per_h(popularity)
        return np.asarray(sales * price_usd * (1.0 - self.demand.discount), dtype=np.float64)

    def _book(self, account: IntArray, usd: FloatArray) -> None:
        self.cover(int(account.max()) + 1)
        for col in (self.profit_usd, self.account_profit_usd, self.today_usd):
            np.add.at(col, account, usd)

    def close_day(self, day: int, store: ListingStore) -> None:
        """End of day ``day``: book the takings of every live fake up to its end, then
        fold the day's operating profit into each operator's trailing mean."""
        end_h = min((day + 1) * 24.0, self.horizon_h)
        rows = np.flatnonzero(store.alive_mask())
        if len(rows):
            self.earned(store.take(rows, BOOKED_COLUMNS), end_h)
        self.accrued_h = end_h
        self.accrued_id = store.next_id
        t = self.trailing_usd_per_day
        t *= self._decay
        t += (1.0 - self._decay) * self.today_usd
        self.today_usd[:] = 0.0

    def window_profit_usd(self, warmup_h: float) -> float:
        """Income less costs booked on the days from the end of the warm-up on."""
        first = int(np.ceil(warmup_h / 24.0))
        return float((self.income_by_day[first:] - self.cost_by_day[first:]).sum())
