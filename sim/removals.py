"""Removals: live fakes taken off the market, and what follows each removal.

A removal folds the listing into the run's aggregates (and the event log), and the seller
reacts: a relist later, a strike, perhaps a block that hides every listing the account
still has for the block's length, or a ban that takes them all down. A listing whose
seller had already ended it goes as "seller".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.counterfeiter import Counterfeiters
from sim.agents.platform import BLOCK_H, Platform
from sim.displacement import Displacement
from sim.economics import BOOKED_COLUMNS
from sim.metrics import Aggregates
from sim.response import Response
from sim.store import ListingStore
from sim.traces import EventLog
from sim.types import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from sim.seller_misuse import SellerSide

# what a removed fake leaves behind: the columns its removal is folded from
FOLDED_COLUMNS = (
    "id",
    "brand",
    "account",
    "live_from_h",
    "first_sale_h",
    "price_usd",
    "popularity",
)
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
        response: Response | None = None,
    ) -> None:
        self.store = store
        self.agg = agg
        self.events = events
        self.counterfeiters = counterfeiters
        self.platform = platform
        self.displacement = displacement
        self.response = response
        self.floor_h = 0.0
        self.art23: SellerSide | None = None  # the sellers' Art. 23 record, when it applies
        books = response is not None and response.ledger is not None  # they need the ids
        self._folded = FOLDED_WITHOUT_EVENTS if events is None and not books else FOLDED_COLUMNS

    def remove_rows(
        self, rows: IntArray, t_h: FloatArray | float, channel: str, hold: bool = False
    ) -> BoolArray:
        """Remove live fakes at ``t_h``; rows the seller had already ended go as "seller".
        ``hold``: keep the rows removed by ``channel`` for a possible restoration.

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
        self.store.kill(rows, hold)
        self.agg.daily.books(t, -1.0)
        self.fold(cols, t, channel)
        return here

    def fold(
        self, cols: dict[str, np.ndarray], t: FloatArray, channel: str, at_upload: bool = False
    ) -> None:
        """Aggregates, events and the sellers' reaction (relists, strikes, bans)."""
        if self.events is not None:  # before the sales the fold logs: first sale first
            self._log_removal(cols, t, channel, at_upload)
        self.agg.fakes_removed(cols, t, channel, at_upload)
        if self.response is not None:
            self._response_ends(cols, t, at_upload)
        if channel in ("seller", "ban"):
            return
        account = cols["account"].astype(np.int64)
        if self.response is not None:
            self.response.enforced(account)
        brand = cols["brand"].astype(np.int64)
        if channel in ("notice", "lead"):
            self.displacement.enforced(brand, float(t.min()) if len(t) else 0.0)
        self.counterfeiters.schedule_relists(account, brand, t, self.floor_h)
        if self.art23 is not None:  # before the strikes: a ban restarts the record
            self.art23.removed(account, t)
        outcome = self.platform.strike(self.counterfeiters.accounts, account, t)
        if self.events is not None:
            self.events.add_accounts("struck", outcome.struck_h, outcome.struck, outcome.rung)
        if len(outcome.blocked):
            self.hide(outcome.blocked, outcome.blocked_h)
        if len(outcome.banned):
            self.ban(outcome.banned, outcome.banned_h)

    def _response_ends(self, cols: dict[str, np.ndarray], t: FloatArray, at_upload: bool) -> None:
        """Tell the counterfeiters' response: takings, and time on show of ended fakes."""
        assert self.response is not None
        brand = cols["brand"]
        if at_upload:
            self.response.ended(brand, np.zeros(len(brand)))
            return
        self.response.left_window(cols, t)
        self.response.ended(brand, np.maximum(t - cols["live_from_h"], 0.0) / 24.0)

    def _log_removal(
        self, cols: dict[str, np.ndarray], t: FloatArray, channel: str, at_upload: bool
    ) -> None:
        """Removal events, and the first sales that came before them (a listing's first
        sale is known once it is down: the time drawn when it went live)."""
        assert self.events is not None
        kind = "blocked_at_upload" if at_upload else "removed"
        ids, brand, account = cols["id"], cols["brand"], cols["account"]
        self.events.add(kind, t, ids, brand, True, channel, account=account)
        self.log_first_sales(cols, t)

    def log_first_sales(self, cols: dict[str, np.ndarray], until_h: FloatArray) -> None:
        """First-sale events of fakes on show until ``until_h`` that sold by then."""
        if self.events is None:
            return
        sold = cols["first_sale_h"] <= until_h
        self.events.add(
            "first_sale",
            cols["first_sale_h"][sold],
            cols["id"][sold],
            cols["brand"][sold],
            True,
            "sale",
            account=cols["account"][sold],
        )

    def _account_rows(self, accounts: IntArray, t_h: FloatArray) -> tuple[IntArray, FloatArray]:
        """The live rows of ``accounts`` (sorted, unique) and, for each, the time given
        for its account in ``t_h`` (never before the listing was posted)."""
        rows = self.store.rows_where("account", accounts)
        acc_col = self.store.col("account")
        order = np.argsort(accounts, kind="stable")
        acc_h = np.asarray(t_h, dtype=np.float64)[order]
        at = np.searchsorted(accounts[order], acc_col[rows])
        return rows, np.maximum(acc_h[at], self.store.col("created_h")[rows])

    def hide(
        self, accounts: IntArray, t_h: FloatArray, hidden_h: float = BLOCK_H, why: str = "block"
    ) -> None:
        """Blocked (or suspended, ``why``) accounts: every live listing they have leaves the
        shop window from ``t_h`` for ``hidden_h``. Its exposure so far is folded now; its
        first sale, if still to come, moves on by the time hidden."""
        rows, t = self._account_rows(accounts, t_h)
        if len(rows) == 0:
            return
        store = self.store
        self.agg.exposure(store.take(rows, self._folded), t)
        live_from = store.col("live_from_h")[rows]
        if self.response is not None:
            self.response.left_window(store.take(rows, BOOKED_COLUMNS), t)
        back = np.maximum(t + hidden_h, live_from)
        sale = store.col("first_sale_h")[rows]
        shift = back - np.maximum(t, live_from)  # the time newly hidden
        store.cols["first_sale_h"][rows] = np.where(sale > t, sale + shift, sale)
        store.cols["live_from_h"][rows] = back
        self.agg.daily.add("fakes_hidden", t)
        if self.events is not None:
            cols = store.take(rows, ("id", "brand", "account"))
            ids, brand = cols["id"], cols["brand"]
            self.events.add("hidden", t, ids, brand, True, why, account=cols["account"])

    def restore(
        self, ids: IntArray, expires_h: FloatArray, down_h: float, t_h: float, notice: int = -1
    ) -> None:
        """Held fakes ``ids`` (taken down at ``down_h``, ending at ``expires_h``) back up
        at ``t_h``: a rejected remove-first notice's. Those their sellers would have
        ended by now, or whose account is closed, stay down; a blocked account's come
        back hidden until the block ends. A first sale still to come moves on by the
        time down. ``notice``: the notice's id, for the event log."""
        store = self.store
        rows, held = store.locate_held(ids)
        rows, expires_h = rows[held], expires_h[held]
        account = store.col("account")[rows].astype(np.int64)
        if self.art23 is not None:  # the removals did not stand
            self.art23.undone(account, down_h)
        accounts = self.counterfeiters.accounts
        back = (expires_h > t_h) & accounts.active[account]
        store.release(rows[~back])
        rows, expires_h, account = rows[back], expires_h[back], account[back]
        if len(rows) == 0:
            return
        live_from = np.maximum(t_h, accounts.blocked_until_h[account])
        sale = store.col("first_sale_h")[rows]
        store.cols["first_sale_h"][rows] = np.where(sale > down_h, sale + (t_h - down_h), sale)
        store.cols["noticed"][rows] = False
        store.revive(rows, expires_h, live_from)
        self.agg.daily.books(np.full(len(rows), t_h), +1.0)
        self.agg.count("fake_listings_restored", np.full(len(rows), t_h), daily="fakes_restored")
        if self.events is not None:
            cols = store.take(rows, ("id", "brand", "account"))
            ids, brand = cols["id"], cols["brand"]
            account = cols["account"]
            self.events.add(
                "restored", t_h, ids, brand, True, "notice", account=account, notice=notice
            )

    def ban(self, accounts: IntArray, t_h: FloatArray) -> None:
        """Close accounts and take down every live listing they still have."""
        self.agg.count("accounts_banned", t_h, daily="accounts_banned")
        if self.events is not None:
            self.events.add_accounts("banned", t_h, accounts, "ban")
        if self.art23 is not None:
            self.art23.closed(accounts, t_h)
        self.counterfeiters.banned(accounts, t_h, self.floor_h)
        rows, t = self._account_rows(accounts, t_h)
        self.remove_rows(rows, t, "ban")

    def withdraw(self, accounts: IntArray, t_h: float) -> None:
        """Operators leaving the market end every live listing they have at ``t_h``."""
        rows, t = self._account_rows(accounts, np.full(len(accounts), t_h))
        self.remove_rows(rows, t, "seller")

    def expire(self, now_h: float) -> None:
        """Listings whose sellers ended them by now."""
        rows = self.store.expiring(now_h)
        if len(rows):
            self.remove_rows(rows, self.store.col("expires_h")[rows], "seller")
