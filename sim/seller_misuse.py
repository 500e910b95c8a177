"""The DSA Art. 23(1) misuse policy for sellers: those that frequently provide manifestly
illegal content are warned, then suspended for a period (``[seller_misuse]``).

Once a day, every open seller account not suspended is judged on its listings removed as
illegal in the window, removals that stand (``sim.scenario_sellers``). At the threshold, a
seller not yet warned is warned; one warned at least ``grace_days`` ago is suspended for
``suspension_days``. A suspension clears the warning and the seller's record starts afresh
when it ends. Counterfeit accounts and honest sellers are judged alike, each kind on its
own record (``SellerSide``).

A suspension reuses the strike ladder's block: the account's ``blocked_until_h`` runs to
the suspension's end, so a counterfeit account posts nothing and relists nothing until
then and its live listings are hidden (``Removals.hide``); an honest seller loses its
live listings' sales for the period (``LegitSellers.suspend``). Both policies may run at
once: a block of the ladder never shortens a suspension, and strikes keep counting
during one. A ban (by the ladder) ends a running suspension, and a counterfeiter that
comes back under a new account starts with a clean record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from sim.agents.counterfeiter import Accounts
from sim.agents.legit_seller import LegitSellers
from sim.due_list import DueList
from sim.metrics import Aggregates
from sim.removals import Removals
from sim.scenario_sellers import SellerMisuse as SellerMisuseConfig
from sim.traces import EventLog
from sim.types import FloatArray, IntArray

# what a suspension does to the sellers suspended at ``t_h`` until ``end_h``
SuspendFn = Callable[[IntArray, float, float], None]


@dataclass(frozen=True)
class SellerSuspension:
    """One suspension: the seller may not list in ``[start_h, end_h)`` (``end_h`` is the
    ban's time when a ban closed the account first)."""

    seller: int
    fake: bool
    start_h: float
    end_h: float


def _grown(arr: np.ndarray, n: int, fill: float) -> np.ndarray:
    """``arr`` extended with ``fill`` to at least ``n`` entries."""
    if len(arr) >= n:
        return arr
    out = np.full(max(n, 2 * len(arr)), fill, dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


class StandingRemovals:
    """Removals that stand, per seller, over a sliding window of ``window_h``: a running
    count per seller (+1 for each removal, -1 for one undone later), and a calendar of
    when each counted entry leaves the window. Entries before a seller's ``since_h`` (its
    record's fresh start) do not count; a fresh start comes after every entry already
    seen, so an entry counted is exactly one taken off again when it leaves."""

    def __init__(self, window_h: float) -> None:
        self.window_h = window_h
        self.total = np.zeros(0, dtype=np.int64)
        self.since_h = np.zeros(0)
        self.last_h = np.zeros(0)  # each seller's latest entry
        self.leaving = DueList(width=4)  # (leaves at, seller, sign, time)
        self.judged_h = -np.inf  # the last ``counts`` time: entries gone by then never count

    def _fit(self, n: int) -> None:
        self.total = _grown(self.total, n, 0)
        self.since_h = _grown(self.since_h, n, 0.0)
        self.last_h = _grown(self.last_h, n, -np.inf)

    def add(self, sellers: IntArray, t_h: FloatArray | float, sign: int = 1) -> None:
        if len(sellers) == 0:
            return
        t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), sellers.shape)
        self._fit(int(sellers.max()) + 1)
        np.maximum.at(self.last_h, sellers, t)
        leaves = t + self.window_h
        keep = (t >= self.since_h[sellers]) & (leaves >= self.judged_h)
        if not keep.all():
            sellers, t, leaves = sellers[keep], t[keep], leaves[keep]
        np.add.at(self.total, sellers, sign)
        self.leaving.push(leaves, sellers.astype(np.int64), np.full(len(t), sign), t)

    def fresh(self, sellers: IntArray, t_h: FloatArray | float) -> None:
        """These sellers' records start afresh at ``t_h`` (or just after their latest
        entry, if later)."""
        if len(sellers):
            self._fit(int(sellers.max()) + 1)
            after = np.nextafter(self.last_h[sellers], np.inf)
            self.since_h[sellers] = np.maximum(t_h, after)
            self.total[sellers] = 0

    def counts(self, n: int, now_h: float) -> IntArray:
        """Removals standing per seller (``n`` of them) in the window that ends at
        ``now_h`` (a whole hour, never earlier than the last call's)."""
        _, seller, sign, t = self.leaving.pop_before(now_h)
        gone = t >= self.since_h[seller]
        np.subtract.at(self.total, seller[gone], sign[gone])
        self.judged_h = now_h
        self._fit(n)
        return self.total[:n]


class SellerSide:
    """One kind of seller under the policy: counterfeit accounts (``fake``) or honest
    sellers, with their record, warnings and suspensions. ``suspend`` is what a suspension
    does to them."""

    def __init__(self, fake: bool, accounts: Accounts, suspend: SuspendFn, window_h: float) -> None:
        self.fake = fake
        self.accounts = accounts
        self.suspend = suspend
        self.removals = StandingRemovals(window_h)
        self.warned_h = np.full(0, np.nan)
        self.until_h = np.zeros(0)  # the end of each seller's last suspension
        self.running: dict[int, int] = {}  # seller -> its running suspension (index)
        self.warnings: list[float] = []  # the time of every warning
        self.journal: Journal | None = None

    def fit(self, n: int) -> None:
        self.warned_h = _grown(self.warned_h, n, np.nan)
        self.until_h = _grown(self.until_h, n, 0.0)

    def removed(self, sellers: IntArray, t_h: FloatArray | float) -> None:
        """Listings of ``sellers`` removed as illegal at ``t_h``: removals that stand."""
        self.removals.add(sellers, t_h)

    def undone(self, sellers: IntArray, t_h: FloatArray | float) -> None:
        """Removals at ``t_h`` reversed (a rejected remove-first notice): they do not count."""
        self.removals.add(sellers, t_h, -1)

    def closed(self, sellers: IntArray, t_h: FloatArray | float) -> None:
        """Accounts banned at ``t_h``: a running suspension ends there, the warning goes,
        and the record restarts just after (a returning owner's new account is clean)."""
        if len(sellers) == 0:
            return
        t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), sellers.shape)
        self.fit(int(sellers.max()) + 1)
        self.removals.fresh(sellers, np.nextafter(t, np.inf))
        self.warned_h[sellers] = np.nan
        for seller, at in zip(sellers.tolist(), t.tolist(), strict=True):
            if seller in self.running and self.until_h[seller] > at:
                self.end(seller, at, "ban")

    def end(self, seller: int, t_h: float, why: str) -> None:
        """The running suspension of ``seller`` ends at ``t_h`` (``why``: served or ban)."""
        assert self.journal is not None
        index = self.running.pop(seller)
        log = self.journal.suspensions
        log[index] = replace(log[index], end_h=t_h)
        self.until_h[seller] = t_h
        self.journal.event("reinstated", t_h, np.array([seller]), self.fake, why)


@dataclass
class Journal:
    """Every suspension in order, and the sellers' events in the run's event log."""

    events: EventLog | None
    suspensions: list[SellerSuspension]

    def event(self, kind: str, t_h: float, sellers: IntArray, fake: bool, channel: str) -> None:
        if self.events is None or len(sellers) == 0:
            return
        none = np.full(len(sellers), -1, dtype=np.int64)
        self.events.add(kind, t_h, none, none, fake, channel, account=sellers)


class SellerMisuse:
    """Warnings and suspensions of sellers, reviewed once a day; ``journal.suspensions``
    lists the suspensions in order."""

    def __init__(
        self,
        config: SellerMisuseConfig,
        agg: Aggregates,
        events: EventLog | None,
        counterfeit: SellerSide,
        honest: SellerSide,
    ) -> None:
        self.config = config
        self.agg = agg
        self.journal = Journal(events, [])
        self.sides = (counterfeit, honest)
        for side in self.sides:
            side.journal = self.journal

    def review(self, day: int, now_h: float) -> None:
        """Daily (closing day ``day``): warn and suspend the sellers at the threshold."""
        if not self.config.enabled:
            return
        for side in self.sides:
            self._review(side, now_h)

    def _review(self, side: SellerSide, now_h: float) -> None:
        cfg = self.config
        n = side.accounts.n
        side.fit(n)
        for seller in [s for s in side.running if side.until_h[s] <= now_h]:
            side.end(seller, float(side.until_h[seller]), "served")
        counts = side.removals.counts(n, now_h)
        free = (side.until_h[:n] <= now_h) & side.accounts.active[:n]
        over = free & (counts >= cfg.removals_threshold)
        warned = side.warned_h[:n]
        with np.errstate(invalid="ignore"):
            due = np.flatnonzero(over & (warned <= now_h - cfg.grace_days * 24.0))
        warn = np.flatnonzero(over & np.isnan(warned))
        side.warned_h[warn] = now_h
        side.warnings.extend([now_h] * len(warn))
        self.journal.event("warned", now_h, warn, side.fake, "art23")
        if len(due):
            self._suspend(side, due, now_h)

    def _suspend(self, side: SellerSide, sellers: IntArray, now_h: float) -> None:
        end_h = now_h + self.config.suspension_days * 24.0
        side.until_h[sellers] = end_h
        side.warned_h[sellers] = np.nan
        side.removals.fresh(sellers, end_h)
        log = self.journal.suspensions
        for seller in sellers.tolist():
            side.running[seller] = len(log)
            log.append(SellerSuspension(seller, side.fake, now_h, end_h))
        self.journal.event("suspended", now_h, sellers, side.fake, "art23")
        side.suspend(sellers, now_h, end_h)

    def metrics(self) -> dict[str, float]:
        """The policy's metrics of the measured window (``sim.contract_sellers``)."""
        w = self.agg.window
        out: dict[str, float] = {}
        for side, prefix in zip(self.sides, ("seller", "legit_seller"), strict=True):
            mine = [s for s in self.journal.suspensions if s.fake == side.fake]
            inside = {s.seller for s in mine if w.warmup_h <= s.start_h < w.horizon_h}
            served_h = sum(
                max(0.0, min(s.end_h, w.horizon_h) - max(s.start_h, w.warmup_h)) for s in mine
            )
            warned = [t for t in side.warnings if w.warmup_h <= t < w.horizon_h]
            out[f"{prefix}_warnings"] = float(len(warned))
            out[f"{prefix}s_suspended"] = float(len(inside))
            out[f"{prefix}_suspension_days"] = served_h / 24.0
        return out


def build_seller_misuse(
    config: SellerMisuseConfig,
    agg: Aggregates,
    events: EventLog | None,
    removals: Removals,
    legit: LegitSellers,
) -> SellerMisuse:
    """The policy of one run; when it is off, nothing reports to it (no extra work)."""
    accounts = removals.counterfeiters.accounts

    def hide(sellers: IntArray, t_h: float, end_h: float) -> None:
        blocked = accounts.blocked_until_h
        blocked[sellers] = np.maximum(blocked[sellers], end_h)
        removals.hide(sellers, np.full(len(sellers), t_h), end_h - t_h, "suspension")

    window_h = config.window_days * 24.0
    counterfeit = SellerSide(True, accounts, hide, window_h)
    honest = SellerSide(False, legit.accounts, legit.suspend, window_h)
    if config.enabled:
        removals.art23, legit.art23 = counterfeit, honest
    return SellerMisuse(config, agg, events, counterfeit, honest)
