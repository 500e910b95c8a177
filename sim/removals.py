"""Removals: live fakes taken off the market, and what follows each removal.

A removal folds the listing into the run's aggregates (and the event log), and the seller
reacts: a relist later, a strike, perhaps a ban that takes down every listing the
account still has. A listing whose seller had already ended it goes as "seller".
"""

from __future__ import annotations

import numpy as np

from sim.agents.counterfeiter import Counterfeiters
from sim.agents.platform import Platform
from sim.displacement import Displacement
from sim.metrics import Aggregates
from sim.store import ListingStore
from sim.traces import EventLog
from sim.types import BoolArray, FloatArray, IntArray

# what a removed fake leaves behind: the columns its removal is folded from
FOLDED_COLUMNS = ("id", "brand", "account", "created_h", "first_sale_h", "price_usd")
FOLDED_WITHOUT_EVENTS = FOLDED_COLUMNS[1:]  # the id is only for the event log


class Removals:
    """Takes live fakes off the store by channel and applies the sellers' reactions.

    ``floor_h`` is the hour being processed: reactions due earlier (relists, comebacks
    of decisions taken between ticks) are scheduled at it, never before."""

    def __init__(
        self,
        store: ListingStore,
        agg: Aggregates,
        events: EventLog | None,
        counterfeiters: Counterfeiters,
        platform: Platform,
        displacement: Displacement,
    ) -> None:
        self.store = store
        self.agg = agg
        self.events = events
        self.counterfeiters = counterfeiters
        self.platform = platform
        self.displacement = displacement
        self.floor_h = 0.0
        self._folded = FOLDED_WITHOUT_EVENTS if events is None else FOLDED_COLUMNS

    def remove_rows(self, rows: IntArray, t_h: FloatArray | float, channel: str) -> BoolArray:
        """Remove live fakes at ``t_h``; rows the seller had already ended go as "seller".

        Returns which of ``rows`` went by ``channel``.
        """
        t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), rows.shape)
        expires = self.store.col("expires_h")[rows]
        here = (expires > t) | (channel == "seller")
        if len(rows) == 0:
            return here
        if not here.all():
            self.remove_rows(rows[~here], expires[~here], "seller")
            rows, t = rows[here], t[here]
        cols = self.store.take(rows, self._folded)
        self.store.kill(rows)
        self.fold(cols, t, channel)
        return here

    def fold(
        self, cols: dict[str, np.ndarray], t: FloatArray, channel: str, at_upload: bool = False
    ) -> None:
        """Aggregates, events and the sellers' reaction (relists, strikes, bans)."""
        self.agg.fakes_removed(cols, t, channel, at_upload)
        if self.events is not None:
            self.events.add("removed", t, cols["id"], cols["brand"], True, channel)
        if channel in ("seller", "ban"):
            return
        account = cols["account"].astype(np.int64)
        brand = cols["brand"].astype(np.int64)
        if channel in ("notice", "lead"):
            self.displacement.enforced(brand, float(t.min()) if len(t) else 0.0)
        self.counterfeiters.schedule_relists(account, brand, t, self.floor_h)
        outcome = self.platform.strike(self.counterfeiters.accounts, account, t)
        if len(outcome.banned):
            self.ban(outcome.banned, outcome.banned_h)

    def ban(self, accounts: IntArray, t_h: FloatArray) -> None:
        """Close accounts and take down every live listing they still have."""
        self.agg.count("accounts_banned", t_h, daily="accounts_banned")
        self.counterfeiters.banned(accounts, t_h, self.floor_h)
        rows = self.store.rows_where("account", accounts)
        acc_col = self.store.col("account")
        order = np.argsort(accounts, kind="stable")
        ban_h = np.asarray(t_h, dtype=np.float64)[order]
        at = np.searchsorted(accounts[order], acc_col[rows])
        t = np.maximum(ban_h[at], self.store.col("created_h")[rows])
        self.remove_rows(rows, t, "ban")

    def expire(self, now_h: float) -> None:
        """Listings whose sellers ended them by now."""
        rows = self.store.expiring(now_h)
        if len(rows):
            self.remove_rows(rows, self.store.col("expires_h")[rows], "seller")
