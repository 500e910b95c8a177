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

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.agents.counterfeiter import Accounts
from sim.agents.legit_seller import LegitSellers
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
    """Removals that stand, per seller, over the last ``window_days`` daily reviews (whole
    days, at least one): a running count per seller. The entries since the last review
    (+1 for each removal, -1 for one undone later) are folded into one bucket per review,
    and a bucket leaves the count ``window_days`` reviews later. Entries before a seller's
    ``since_h`` (its record's fresh start) never count, nor do buckets folded before it:
    memory is one bucket of sellers a day, whatever the number of removals."""

    def __init__(self, window_days: float) -> None:
        self.window = max(1, round(window_days))
        self.total = np.zeros(0, dtype=np.int64)
        self.since_h = np.zeros(0)
        self.reset_at = np.zeros(0, dtype=np.int64)  # the review a record last restarted at
        self.pending: list[tuple[IntArray, FloatArray, int]] = []
        self.buckets: deque[tuple[int, IntArray, IntArray]] = deque()  # (review, who, count)
        self.reviews = 0

    def _fit(self, n: int) -> None:
        self.total = _grown(self.total, n, 0)
        self.since_h = _grown(self.since_h, n, 0.0)
        self.reset_at = _grown(self.reset_at, n, 0)

    def add(self, sellers: IntArray, t_h: FloatArray | float, sign: int = 1) -> None:
        if len(sellers):
            t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), sellers.shape)
            self.pending.append((sellers.astype(np.int64), t, sign))

    def fresh(self, sellers: IntArray, t_h: FloatArray | float) -> None:
        """These sellers' records start afresh at ``t_h``."""
        if len(sellers):
            self._fit(int(sellers.max()) + 1)
            self.since_h[sellers] = t_h
            self.total[sellers] = 0
            self.reset_at[sellers] = self.reviews

    def counts(self, n: int) -> IntArray:
        """A daily review: removals standing per seller (``n`` of them) in the window."""
        self.reviews += 1
        if self.pending:
            self._fold(n)
        while self.buckets and self.buckets[0][0] <= self.reviews - self.window:
            review, who, count = self.buckets.popleft()
            mine = self.reset_at[who] < review  # else zeroed by a fresh start since
            self.total[who[mine]] -= count[mine]
        self._fit(n)
        return self.total[:n]

    def _fold(self, n: int) -> None:
        seller = np.concatenate([p[0] for p in self.pending])
        t = np.concatenate([p[1] for p in self.pending])
        sign = np.concatenate([np.full(len(p[0]), p[2]) for p in self.pending])
        self.pending = []
        self._fit(max(n, int(seller.max()) + 1))
        keep = t >= self.since_h[seller]
        got = np.rint(np.bincount(seller[keep], weights=sign[keep])).astype(np.int64)
        who = np.flatnonzero(got)
        self.total[who] += got[who]
        self.buckets.append((self.reviews, who, got[who]))


class Journal:
    """Every suspension in order, as growable columns (one row each; ``end_h`` is moved to
    a ban's time when a ban ends one early), and the sellers' events in the event log."""

    def __init__(self, events: EventLog | None) -> None:
        self.events = events
        self.n = 0
        self.seller = np.zeros(0, dtype=np.int64)
        self.fake = np.zeros(0, dtype=bool)
        self.start_h = np.zeros(0)
        self.end_h = np.zeros(0)

    def add(self, sellers: IntArray, fake: bool, start_h: float, end_h: float) -> IntArray:
        """Record suspensions; returns their rows."""
        rows = np.arange(self.n, self.n + len(sellers))
        need = self.n + len(sellers)
        self.seller = _grown(self.seller, need, 0)
        self.fake = _grown(self.fake, need, False)
        self.start_h = _grown(self.start_h, need, 0.0)
        self.end_h = _grown(self.end_h, need, 0.0)
        self.seller[rows], self.fake[rows] = sellers, fake
        self.start_h[rows], self.end_h[rows] = start_h, end_h
        self.n = need
        return rows

    @property
    def suspensions(self) -> list[SellerSuspension]:
        """The suspensions as records, in order."""
        cols = (c[: self.n].tolist() for c in (self.seller, self.fake, self.start_h, self.end_h))
        return [SellerSuspension(*row) for row in zip(*cols, strict=True)]

    def event(
        self, kind: str, t_h: FloatArray | float, sellers: IntArray, fake: bool, channel: str
    ) -> None:
        if self.events is None or len(sellers) == 0:
            return
        none = np.full(len(sellers), -1, dtype=np.int64)
        self.events.add(kind, t_h, none, none, fake, channel, account=sellers)


class SellerSide:
    """One kind of seller under the policy: counterfeit accounts (``fake``) or honest
    sellers, with their record, warnings and suspensions. ``suspend`` is what a suspension
    does to them."""

    def __init__(
        self, fake: bool, accounts: Accounts, suspend: SuspendFn, window_days: float
    ) -> None:
        self.fake = fake
        self.accounts = accounts
        self.suspend = suspend
        self.removals = StandingRemovals(window_days)
        self.warned_h = np.full(0, np.nan)
        self.until_h = np.zeros(0)  # the end of each seller's last suspension
        self.running = np.zeros(0, dtype=np.int64)  # its running suspension's row, or -1
        self.warnings: list[float] = []  # warnings given at each review in the window
        self.journal = Journal(None)

    def fit(self, n: int) -> None:
        self.warned_h = _grown(self.warned_h, n, np.nan)
        self.until_h = _grown(self.until_h, n, 0.0)
        self.running = _grown(self.running, n, -1)

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
        ending = (self.running[sellers] >= 0) & (self.until_h[sellers] > t)
        self.end(sellers[ending], t[ending], "ban")

    def end(self, sellers: IntArray, t_h: FloatArray, why: str) -> None:
        """The running suspensions of ``sellers`` end at ``t_h`` (``why``: served or ban)."""
        if len(sellers):
            self.journal.end_h[self.running[sellers]] = t_h
            self.running[sellers] = -1
            self.until_h[sellers] = t_h
            self.journal.event("seller_suspension_ended", t_h, sellers, self.fake, why)


class SellerMisuse:
    """Warnings and suspensions of sellers, reviewed once a day; ``journal`` lists the
    suspensions in order."""

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
        self.journal = Journal(events)
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
        served = np.flatnonzero((side.running[:n] >= 0) & (side.until_h[:n] <= now_h))
        side.end(served, side.until_h[served].copy(), "served")
        counts = side.removals.counts(n)
        free = (side.until_h[:n] <= now_h) & side.accounts.active[:n]
        over = free & (counts >= cfg.removals_threshold)
        warned = side.warned_h[:n]
        with np.errstate(invalid="ignore"):
            due = np.flatnonzero(over & (warned <= now_h - cfg.grace_days * 24.0))
        warn = np.flatnonzero(over & np.isnan(warned))
        side.warned_h[warn] = now_h
        if len(warn) and self.agg.window.warmup_h <= now_h < self.agg.window.horizon_h:
            side.warnings.append(float(len(warn)))
        self.journal.event("seller_warned", now_h, warn, side.fake, "art23")
        if len(due):
            self._suspend(side, due, now_h)

    def _suspend(self, side: SellerSide, sellers: IntArray, now_h: float) -> None:
        end_h = now_h + self.config.suspension_days * 24.0
        side.until_h[sellers] = end_h
        side.warned_h[sellers] = np.nan
        side.removals.fresh(sellers, end_h)
        side.running[sellers] = self.journal.add(sellers, side.fake, now_h, end_h)
        self.journal.event("seller_suspended", now_h, sellers, side.fake, "art23")
        side.suspend(sellers, now_h, end_h)

    def metrics(self) -> dict[str, float]:
        """The policy's metrics of the measured window (``sim.contract_sellers``)."""
        w, j = self.agg.window, self.journal
        out: dict[str, float] = {}
        for side, prefix in zip(self.sides, ("seller", "legit_seller"), strict=True):
            mine = j.fake[: j.n] == side.fake
            start, end = j.start_h[: j.n][mine], j.end_h[: j.n][mine]
            inside = (start >= w.warmup_h) & (start < w.horizon_h)
            served = np.minimum(end, w.horizon_h) - np.maximum(start, w.warmup_h)
            out[f"{prefix}_warnings"] = float(sum(side.warnings))
            out[f"{prefix}s_suspended"] = float(len(np.unique(j.seller[: j.n][mine][inside])))
            out[f"{prefix}_suspension_days"] = float(np.maximum(served, 0.0).sum()) / 24.0
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

    counterfeit = SellerSide(True, accounts, hide, config.window_days)
    honest = SellerSide(False, legit.accounts, legit.suspend, config.window_days)
    if config.enabled:
        removals.art23, legit.art23 = counterfeit, honest
    return SellerMisuse(config, agg, events, counterfeit, honest)
