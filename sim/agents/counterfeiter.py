"""Counterfeiters: seller accounts that post fakes, relist after removals and come back
after bans (if they pass verification) or leave.

Accounts are rows of a small columnar table; posting is one vectorised draw per hour
for all accounts, never a process per listing.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.market import IntArray, pick_brands, run_bounds
from sim.scenario import Counterfeiters as CounterfeitersConfig
from sim.scenario import Market

FloatArray = NDArray[np.float64]


@dataclass
class NewListings:
    """A batch of fakes posted in one hour (before the upload check)."""

    account: IntArray
    brand: IntArray
    created_h: FloatArray
    obfuscated: NDArray[np.bool_]
    relist: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.account)

    def before(self, t_h: float) -> NewListings:
        """Only the listings posted before ``t_h``."""
        keep = self.created_h < t_h
        return NewListings(
            self.account[keep],
            self.brand[keep],
            self.created_h[keep],
            self.obfuscated[keep],
            self.relist[keep],
        )


class Accounts:
    """Counterfeit seller accounts as growable columns (row = account id).

    ``active`` is set through ``activate``/``deactivate`` so that ``active_rows`` can
    keep the active accounts as a list: a year opens millions of accounts of which a
    few percent are active at any time, and posting must cost the active ones only.
    """

    def __init__(self, capacity: int = 256) -> None:
        self.n = 0
        self.rate_per_h = np.zeros(capacity)
        self.quiet_p = np.ones(capacity)  # exp(-rate_per_h): P(no post in an hour)
        self.active = np.zeros(capacity, dtype=bool)
        self.blocked_until_h = np.zeros(capacity)
        self.strikes = np.zeros(capacity, dtype=np.int64)
        self.last_strike_h = np.full(capacity, -np.inf)
        self._rows = np.empty(0, dtype=np.int64)  # sorted; a superset of the active rows
        self._added: list[IntArray] = []  # activated since the last ``active_rows``

    def open(self, rate_per_h: FloatArray) -> IntArray:
        """Open accounts with the given posting rates; returns their ids."""
        k = len(rate_per_h)
        if self.n + k > len(self.rate_per_h):
            self._grow(max(self.n + k, 2 * len(self.rate_per_h)))
        ids = np.arange(self.n, self.n + k, dtype=np.int64)
        self.rate_per_h[ids] = rate_per_h
        self.quiet_p[ids] = np.exp(-np.asarray(rate_per_h, dtype=np.float64))
        self.n += k
        self.activate(ids)
        return ids

    def activate(self, ids: IntArray) -> None:
        self.active[ids] = True
        if len(ids):
            self._added.append(np.asarray(ids, dtype=np.int64))

    def deactivate(self, ids: IntArray) -> None:
        self.active[ids] = False

    def active_rows(self) -> IntArray:
        """The active accounts in id order, as ``np.flatnonzero(active)`` would give them."""
        rows = self._rows
        if self._added:
            add = np.unique(np.concatenate(self._added))
            self._added.clear()
            at = np.searchsorted(rows, add)
            if len(rows):  # ids still listed (deactivated, then activated again)
                known = rows[np.minimum(at, len(rows) - 1)] == add
            else:
                known = np.zeros(len(add), dtype=bool)
            rows = np.insert(rows, at[~known], add[~known])
        self._rows = rows[self.active[rows]]
        return self._rows

    def _grow(self, cap: int) -> None:
        for name in (
            "rate_per_h",
            "quiet_p",
            "active",
            "blocked_until_h",
            "strikes",
            "last_strike_h",
        ):
            old = getattr(self, name)
            fill = -np.inf if name == "last_strike_h" else 0
            new = np.full(cap, fill, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    @property
    def active_count(self) -> int:
        return int(np.count_nonzero(self.active[: self.n]))


class _DueList:
    """Future (time, account, brand) items, released hour by hour.

    Items wait in buckets by the hour they fall due, so pushing and popping cost only
    the items involved, never the whole backlog.
    """

    def __init__(self) -> None:
        self.buckets: dict[int, list[tuple[FloatArray, IntArray, IntArray]]] = {}
        self.hours: list[int] = []  # heap of bucket keys
        self.staged: list[tuple[FloatArray, IntArray, IntArray]] = []

    def __len__(self) -> int:
        self._flush()
        return sum(len(c[0]) for chunks in self.buckets.values() for c in chunks)

    def push(self, due_h: FloatArray, account: IntArray, brand: IntArray) -> None:
        """Stage items; they are sorted into buckets once, at the next pop."""
        if len(due_h):
            self.staged.append((due_h, account, brand))

    def _flush(self) -> None:
        if not self.staged:
            return
        due_h, account, brand = (np.concatenate(c) for c in zip(*self.staged, strict=True))
        self.staged.clear()
        hour = np.floor(due_h).astype(np.int64)
        order = np.argsort(hour, kind="stable")
        hour, due_h, account, brand = hour[order], due_h[order], account[order], brand[order]
        starts, ends = run_bounds(hour)
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            key = int(hour[lo])
            if key not in self.buckets:
                self.buckets[key] = []
                heapq.heappush(self.hours, key)
            self.buckets[key].append((due_h[lo:hi], account[lo:hi], brand[lo:hi]))

    def pop_before(self, t_h: float) -> tuple[FloatArray, IntArray, IntArray]:
        """Every item due before ``t_h`` (a whole hour), oldest bucket first."""
        self._flush()
        chunks: list[tuple[FloatArray, IntArray, IntArray]] = []
        while self.hours and self.hours[0] < t_h:
            chunks.extend(self.buckets.pop(heapq.heappop(self.hours)))
        if not chunks:
            return np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        due, account, brand = zip(*chunks, strict=True)
        return np.concatenate(due), np.concatenate(account), np.concatenate(brand)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_HOUR_MIX = np.uint64(0xD1B54A32D192ED03)


def keyed_uniforms(key: int, rows: IntArray, hour: int) -> FloatArray:
    """Uniforms in [0, 1), one per row, each a function of (key, row, hour) only.

    A counter-based generator (SplitMix64's finaliser over the mixed counter): drawing
    for some rows never shifts the draws of others, so an account's draw for an hour is
    the same whichever accounts are active. ``key`` comes from a named stream. (Worked
    in place: this runs over every active account every hour.)
    """
    base = np.array([key], dtype=np.uint64) ^ (np.array([hour], dtype=np.uint64) * _HOUR_MIX)
    z = rows.astype(np.uint64)
    z *= _GOLDEN
    z += base
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    z >>= np.uint64(11)
    u = z.astype(np.float64)
    u *= 2.0**-53
    return u


def poisson_from_uniforms(lam: FloatArray, u: FloatArray, p0: FloatArray | None = None) -> IntArray:
    """Poisson counts with means ``lam`` by inversion of one uniform each (the rates here
    are well below 1 an hour, so a few steps settle nearly every count). ``p0``, if
    given, is ``exp(-lam)`` worked out beforehand; only the rows whose uniform passes it
    (the few that post at all) go on to the loop."""
    k = np.zeros(len(lam), dtype=np.int64)
    p0 = np.exp(-lam) if p0 is None else p0
    rows = np.flatnonzero(u >= p0)
    lam, u, p = lam[rows], u[rows], p0[rows]
    cdf = p.copy()
    idx = np.arange(len(rows))
    while len(idx):
        k[rows[idx]] += 1
        p[idx] *= lam[idx] / k[rows[idx]]
        cdf[idx] += p[idx]
        idx = idx[(u[idx] >= cdf[idx]) & (p[idx] > 0)]
    return k


class Counterfeiters:
    """All counterfeiters: posting, relisting, bans, comebacks and new arrivals."""

    def __init__(
        self,
        config: CounterfeitersConfig,
        market: Market,
        verification_pass_rate: float,
        rng: np.random.Generator,
    ) -> None:
        self.config = config
        self.market = market
        self.pass_rate = verification_pass_rate
        self.rng = rng
        # one child stream per mechanism, so that the draws of exogenous processes
        # (posting, newcomers) do not shift when enforcement reactions (relists, bans)
        # differ between strategies: common random numbers stay in step
        (self._rng_post, self._rng_life, self._rng_relist, self._rng_ban,
         self._rng_new, self._rng_return, self._rng_detail) = rng.spawn(7)  # fmt: skip
        # the key of the posting counts (see keyed_uniforms)
        self._post_key = int(self._rng_post.integers(0, 2**63))
        self.accounts = Accounts()
        self.relists = _DueList()
        self.comebacks = _DueList()  # brand column unused
        self.accounts.open(self._rates(config.count, self._rng_new))

    def _rates(self, k: int, rng: np.random.Generator) -> FloatArray:
        per_day = np.asarray(self.config.listings_per_day.sample(rng, k), dtype=np.float64)
        return np.maximum(per_day, 0.0) / 24.0

    def post(self, hour_h: float, brand_cum: FloatArray) -> NewListings:
        """Fakes posted during [hour_h, hour_h + 1): fresh posts and due relists."""
        acc = self.accounts
        rows = acc.active_rows()
        # an account's count for an hour is a function of (stream key, account, hour) only:
        # the counts stay in step whatever enforcement did to the accounts (common random
        # numbers), and only the accounts that can post cost anything. The details of the
        # posts come from their own stream.
        u = keyed_uniforms(self._post_key, rows, int(hour_h))
        # only the few accounts whose uniform passes P(no post) and that are not blocked
        # go on to the count (each draw is its row's own, so the order of the filters
        # does not matter)
        posting = u >= acc.quiet_p[rows]
        rows, u = rows[posting], u[posting]
        open_ = acc.blocked_until_h[rows] <= hour_h
        rows, u = rows[open_], u[open_]
        per_account = poisson_from_uniforms(acc.rate_per_h[rows], u, acc.quiet_p[rows])
        account = np.repeat(rows, per_account)
        k = len(account)
        rng = self._rng_detail
        created = hour_h + rng.random(k)
        brand = pick_brands(brand_cum, rng, k)
        due_h, r_acc, r_brand = self.relists.pop_before(hour_h + 1.0)
        ok = acc.active[r_acc]
        due_h, r_acc, r_brand = due_h[ok], r_acc[ok], r_brand[ok]
        total = k + len(due_h)
        obf = rng.random(total) < self.config.obfuscation_share
        return NewListings(
            np.concatenate([account, r_acc]),
            np.concatenate([brand, r_brand]),
            np.concatenate([created, due_h]),
            obf,
            np.concatenate([np.zeros(k, dtype=bool), np.ones(len(due_h), dtype=bool)]),
        )

    def lifetimes_h(self, k: int) -> FloatArray:
        """How long the seller would keep each listing up if nobody removed it."""
        days = np.asarray(
            self.config.listing_lifetime_days.sample(self._rng_life, k), dtype=np.float64
        )
        return days * 24.0

    def schedule_relists(
        self, account: IntArray, brand: IntArray, removed_h: FloatArray, floor_h: float
    ) -> int:
        """After removals, each fake is relisted with a probability after a delay."""
        k = len(account)
        again = self._rng_relist.random(k) < self.config.relist_prob
        delay = np.asarray(self.config.relist_delay_h.sample(self._rng_relist, k), dtype=np.float64)
        due = np.maximum(removed_h + delay, floor_h)[again]
        self.relists.push(due, account[again], brand[again])
        return int(again.sum())

    def banned(self, account: IntArray, t_h: FloatArray, floor_h: float) -> None:
        """Banned accounts close; their owners come back later or leave."""
        self.accounts.deactivate(account)
        k = len(account)
        stay = self._rng_ban.random(k) >= self.config.exit_prob_after_ban
        delay = np.asarray(
            self.config.new_account_delay_h.sample(self._rng_ban, k), dtype=np.float64
        )
        due = np.maximum(t_h + delay, floor_h)[stay]
        self.comebacks.push(due, account[stay], np.zeros(len(due), dtype=np.int64))

    def arrivals(self, hour_h: float) -> int:
        """New accounts opened in this hour: returners and newcomers who pass verification."""
        _, returning, _ = self.comebacks.pop_before(hour_h + 1.0)
        back = returning[self._rng_return.random(len(returning)) < self.pass_rate]
        self._reopen(back)
        newcomers = int(self._rng_new.poisson(self.config.arrivals_per_day / 24.0))
        passes = self._rng_new.random(newcomers) < self.pass_rate
        rates = self._rates(newcomers, self._rng_new)  # drawn for all: keeps the stream in step
        if passes.any():
            self.accounts.open(rates[passes])
        return int(passes.sum()) + len(back)

    def _reopen(self, owners: IntArray) -> None:
        """A banned counterfeiter who passed verification posts again under a fresh
        account: the owner's row comes back with a clean record (rows stay aligned
        across strategies, which keeps common random numbers in step)."""
        acc = self.accounts
        acc.activate(owners)
        acc.blocked_until_h[owners] = 0.0
        acc.strikes[owners] = 0
        acc.last_strike_h[owners] = -np.inf
