"""Counterfeiters: seller accounts that post fakes, relist after removals and come back
after bans (if they pass verification) or leave.

Accounts are rows of a small columnar table. Each account posts at the times of its
own Poisson schedule, drawn one post ahead; an hour's step handles only the accounts
whose next post falls in it, never a process per listing and never a pass over every
account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sim.arrays import GuideTable
from sim.due_list import DueList
from sim.market import pick_brands
from sim.rng import keyed_uniforms
from sim.scenario import MIN_RATE_PER_DAY, Market
from sim.scenario import Counterfeiters as CounterfeitersConfig
from sim.types import BoolArray, FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class NewListings:
    """A batch of fakes posted in one hour (before the upload check)."""

    account: IntArray
    brand: IntArray
    created_h: FloatArray
    obfuscated: BoolArray
    relist: BoolArray

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

    ``next_post_h`` is the time of the account's next scheduled post, NaN while its
    schedule is paused (the account was closed when a post fell due); a queued post at
    any other time is stale. ``posts_drawn`` counts the gaps drawn so far, the counter
    of its keyed posting stream.
    """

    COLUMNS: ClassVar[dict[str, tuple[type, float]]] = {
        "rate_per_h": (np.float64, 0.0),
        "active": (np.bool_, False),
        "blocked_until_h": (np.float64, 0.0),
        "strikes": (np.int64, 0),
        "last_strike_h": (np.float64, -np.inf),
        "next_post_h": (np.float64, np.nan),
        "posts_drawn": (np.int64, 0),
    }

    def __init__(self, capacity: int = 256) -> None:
        self.n = 0
        self.rate_per_h = np.zeros(capacity)
        self.active = np.zeros(capacity, dtype=bool)
        self.blocked_until_h = np.zeros(capacity)
        self.strikes = np.zeros(capacity, dtype=np.int64)
        self.last_strike_h = np.full(capacity, -np.inf)
        self.next_post_h = np.full(capacity, np.nan)
        self.posts_drawn = np.zeros(capacity, dtype=np.int64)

    def open(self, rate_per_h: FloatArray) -> IntArray:
        """Open accounts with the given posting rates; returns their ids."""
        k = len(rate_per_h)
        if self.n + k > len(self.rate_per_h):
            self._grow(max(self.n + k, 2 * len(self.rate_per_h)))
        ids = np.arange(self.n, self.n + k, dtype=np.int64)
        self.rate_per_h[ids] = rate_per_h
        self.active[ids] = True
        self.n += k
        return ids

    def _grow(self, cap: int) -> None:
        for name, (dtype, fill) in self.COLUMNS.items():
            new: np.ndarray = np.full(cap, fill, dtype=dtype)
            new[: self.n] = getattr(self, name)[: self.n]
            setattr(self, name, new)

    @property
    def active_count(self) -> int:
        return int(np.count_nonzero(self.active[: self.n]))


class Hooks:
    """What the rest of a run learns of counterfeiters' moves, and may decide for them:
    the fixed-rate model's answers by default (``sim.response`` overrides them)."""

    def opened(self, rows: IntArray, t_h: float, newcomers: int) -> None:
        """Accounts opened at ``t_h`` for operators ``rows`` (the last ``newcomers`` new)."""

    def left(self, rows: IntArray, t_h: FloatArray | float) -> None:
        """Operators ``rows`` left the market for good."""

    def may_return(self, rows: IntArray) -> BoolArray:
        """Which banned operators (that would stay) still want a new account."""
        return np.ones(len(rows), dtype=bool)

    def obfuscation(self, account: IntArray) -> FloatArray | None:
        """Each posting operator's obfuscation share (None: the scenario's, for all)."""
        return None


class Counterfeiters:
    """All counterfeiters: posting, relisting, bans, comebacks and new arrivals."""

    def __init__(
        self,
        config: CounterfeitersConfig,
        market: Market,
        verification_pass_rate: float,
        rng: np.random.Generator,
        hooks: Hooks | None = None,
    ) -> None:
        self.config = config
        self.hooks = hooks if hooks is not None else Hooks()
        self.arrival_factor = 1.0  # newcomers' rate over arrivals_per_day (entry and exit)
        self.market = market
        self.pass_rate = verification_pass_rate
        self.rng = rng
        # one child stream per mechanism, so that the draws of exogenous processes
        # (posting, newcomers) do not shift when enforcement reactions (relists, bans)
        # differ between strategies: common random numbers stay in step
        (self._rng_post, self._rng_life, self._rng_relist, self._rng_ban,
         self._rng_new, self._rng_return, self._rng_detail) = rng.spawn(7)  # fmt: skip
        # the key of the posting schedules (see keyed_uniforms)
        self._post_key = int(self._rng_post.integers(0, 2**63))
        # a stream of its own, spawned only when used: the others draw as before
        self._rng_volume = rng.spawn(1)[0] if config.volume_sigma > 0 else None
        self.accounts = Accounts()
        self.schedule = DueList(width=2)  # each scheduled account's next post
        self._guide: GuideTable | None = None
        self.relists = DueList()
        self.comebacks = DueList(width=2)
        first = self.accounts.open(self._rates(config.count, self._rng_new))
        self._push_next(first, np.zeros(len(first)))
        self.hooks.opened(first, 0.0, 0)  # the starting population: no newcomers

    def _rates(self, k: int, rng: np.random.Generator) -> FloatArray:
        per_day = np.asarray(self.config.listings_per_day.sample(rng, k), dtype=np.float64)
        # by definition, a drawn rate under the scenario's floor is 0: such an account would
        # post once in thousands of years, and a denormal rate's gap overflows to inf
        if self._rng_volume is not None:  # a heavy tail of volume: lognormal, mean 1
            sigma = self.config.volume_sigma
            per_day *= np.exp(sigma * self._rng_volume.standard_normal(k) - sigma**2 / 2)
        per_day[per_day < MIN_RATE_PER_DAY] = 0.0
        return per_day / 24.0

    def _next_post(self, rows: IntArray, after_h: FloatArray | float) -> FloatArray:
        """Each account's next post: ``after_h`` plus an exponential gap at its rate, the
        gap drawn from the account's own keyed stream (its n-th gap is the same in
        every strategy). Accounts that never post get +inf."""
        acc = self.accounts
        u = keyed_uniforms(self._post_key, rows, acc.posts_drawn[rows])
        acc.posts_drawn[rows] += 1
        rate = acc.rate_per_h[rows]
        gap = np.full(len(rows), np.inf)
        pos = rate > 0
        gap[pos] = -np.log1p(-u[pos]) / rate[pos]
        t = after_h + gap
        acc.next_post_h[rows] = t
        return t

    def _push_next(self, rows: IntArray, after_h: FloatArray | float) -> None:
        """Draw and queue the next post of ``rows`` (those that ever post)."""
        t = self._next_post(rows, after_h)
        due = np.isfinite(t)
        self.schedule.push(t[due], rows[due])

    def post(self, hour_h: float, brand_cum: FloatArray) -> NewListings:
        """Fakes posted during [hour_h, hour_h + 1): scheduled posts and due relists.

        Every account posts at the times of its own Poisson schedule (rate
        ``rate_per_h``), so its posts in an hour are a Poisson count at uniform times, as
        a count-then-times draw would give (``_scheduled_posts``). Only the accounts with
        a post due in this hour cost anything.
        """
        account, created = self._scheduled_posts(hour_h)
        k = len(account)
        rng = self._rng_detail
        if self._guide is None or self._guide.cum is not brand_cum:
            self._guide = GuideTable(brand_cum)  # the weights change at most daily
        brand = pick_brands(brand_cum, rng, k, self._guide)
        due_h, r_acc, r_brand = self._due_relists(hour_h)
        total = k + len(due_h)
        posting = np.concatenate([account, r_acc])
        share = self.hooks.obfuscation(posting)
        obf = rng.random(total) < (self.config.obfuscation_share if share is None else share)
        return NewListings(
            posting,
            np.concatenate([brand, r_brand]),
            np.concatenate([created, due_h]),
            obf,
            np.concatenate([np.zeros(k, dtype=bool), np.ones(len(due_h), dtype=bool)]),
        )

    def relists_due(self, hour_h: float) -> NewListings:
        """Relists that fell due in [hour_h, hour_h + 1) after this hour's posts were
        taken (fakes caught at upload whose relist comes within the same hour): posted
        in this hour, at their own times, like the others."""
        due_h, acc, brand = self._due_relists(hour_h, late=True)
        k = len(due_h)
        obf = self._rng_detail.random(k) < self.config.obfuscation_share
        return NewListings(acc, brand, due_h, obf, np.ones(k, dtype=bool))

    def _due_relists(
        self, hour_h: float, late: bool = False
    ) -> tuple[FloatArray, IntArray, IntArray]:
        """Relists due in [hour_h, hour_h + 1) of open accounts (``late``: only those
        queued since the hour's were taken). A closed account's are dropped; a blocked
        one's wait for the hour after its block ends (a blocked account posts nothing,
        as its scheduled posts are skipped)."""
        pop = self.relists.pop_late if late else self.relists.pop_before
        due_h, acc, brand = pop(hour_h + 1.0)
        ok = self.accounts.active[acc]
        due_h, acc, brand = due_h[ok], acc[ok], brand[ok]
        until = self.accounts.blocked_until_h[acc]
        blocked = until > hour_h
        if blocked.any():
            later = np.maximum(np.ceil(until[blocked]), hour_h + 1.0)
            self.relists.push(later, acc[blocked], brand[blocked])
            due_h, acc, brand = due_h[~blocked], acc[~blocked], brand[~blocked]
        return due_h, acc, brand

    def _scheduled_posts(self, hour_h: float) -> tuple[IntArray, FloatArray]:
        """The accounts posting in [hour_h, hour_h + 1) and when, from their schedules.

        A post that falls due in an hour that starts with the account blocked is
        skipped, and the schedule starts again where the block ends; one that falls due
        while the account is closed pauses the schedule until the owner comes back
        (``_reopen``). Each post draws the account's next one; those after this hour are
        queued together at the end, the others posted in this same hour.
        """
        acc = self.accounts
        end = hour_h + 1.0
        t, rows = self.schedule.pop_before(end)
        got_acc: list[IntArray] = []
        got_t: list[FloatArray] = []
        next_t: list[FloatArray] = []  # next posts due after this hour: queued once, below
        next_rows: list[IntArray] = []
        while len(rows):
            rows, t = self._still_posting(rows, t)
            blocked_until = acc.blocked_until_h[rows]
            open_ = blocked_until <= hour_h
            got_acc.append(rows[open_])
            got_t.append(t[open_])
            # a blocked account's schedule restarts when the block ends (the gaps are
            # memoryless), instead of running through the block post by post
            t = self._next_post(rows, np.where(open_, t, np.maximum(t, blocked_until)))
            later = t >= end
            queue = later & np.isfinite(t)
            next_t.append(t[queue])
            next_rows.append(rows[queue])
            rows, t = rows[~later], t[~later]  # a second post in this same hour
        if next_t:
            self.schedule.push(np.concatenate(next_t), np.concatenate(next_rows))
        account = np.concatenate(got_acc) if got_acc else np.empty(0, dtype=np.int64)
        created = np.concatenate(got_t) if got_t else np.empty(0)
        return account, created

    def _still_posting(self, rows: IntArray, t: FloatArray) -> tuple[IntArray, FloatArray]:
        """The due posts that still stand: not rescheduled since they were queued, and of
        an open account (a closed one's schedule pauses: nothing is queued for it)."""
        acc = self.accounts
        current = acc.next_post_h[rows] == t  # else rescheduled since (``_reopen``)
        if not current.all():
            rows, t = rows[current], t[current]
        live = acc.active[rows]
        if not live.all():
            acc.next_post_h[rows[~live]] = np.nan  # paused: nothing queued for them
            rows, t = rows[live], t[live]
        return rows, t

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
        again = np.flatnonzero(self._rng_relist.random(len(account)) < self.config.relist_prob)
        k = len(again)
        delay = np.asarray(self.config.relist_delay_h.sample(self._rng_relist, k), dtype=np.float64)
        removed = np.broadcast_to(np.asarray(removed_h, dtype=np.float64), account.shape)
        due = np.maximum(removed[again] + delay, floor_h)
        self.relists.push(due, account[again], brand[again])
        return k

    def banned(self, account: IntArray, t_h: FloatArray, floor_h: float) -> None:
        """Banned accounts close; their owners come back later or leave."""
        self.accounts.active[account] = False
        k = len(account)
        stay = self._rng_ban.random(k) >= self.config.exit_prob_after_ban
        delay = np.asarray(
            self.config.new_account_delay_h.sample(self._rng_ban, k), dtype=np.float64
        )
        stay &= self.hooks.may_return(account)
        due = np.maximum(t_h + delay, floor_h)[stay]
        self.comebacks.push(due, account[stay])
        if not stay.all():
            self.hooks.left(account[~stay], np.broadcast_to(t_h, account.shape)[~stay])

    def leave(self, rows: IntArray, t_h: float) -> None:
        """Operators that give up: their accounts close and they never come back."""
        self.accounts.active[rows] = False
        self.hooks.left(rows, t_h)

    def arrivals(self, hour_h: float) -> int:
        """New accounts opened in this hour: returners and newcomers who pass verification."""
        _, returning = self.comebacks.pop_before(hour_h + 1.0)
        passed = self._rng_return.random(len(returning)) < self.pass_rate
        back = returning[passed]
        if not passed.all():
            self.hooks.left(returning[~passed], hour_h)
        self._reopen(back)
        rate = self.config.arrivals_per_day * self.arrival_factor
        newcomers = int(self._rng_new.poisson(rate / 24.0))
        passes = self._rng_new.random(newcomers) < self.pass_rate
        rates = self._rates(newcomers, self._rng_new)  # drawn for all: keeps the stream in step
        opened = self.accounts.open(rates[passes])
        # both start posting from this hour: one draw and one push for the two
        rows = np.concatenate([back, opened])
        self._push_next(rows, hour_h)
        self.hooks.opened(rows, hour_h, len(opened))
        return len(opened) + len(back)

    def _reopen(self, owners: IntArray) -> None:
        """A banned counterfeiter who passed verification posts again under a fresh
        account: the owner's row comes back with a clean record (rows stay aligned
        across strategies, which keeps common random numbers in step). A paused
        schedule starts again from this hour (the gaps are memoryless), whether it was
        paused or a post is still queued: a post queued for after a block that the
        comeback has lifted would come too late. The queued one goes stale. (The caller
        draws the new schedule.)"""
        acc = self.accounts
        acc.active[owners] = True
        acc.blocked_until_h[owners] = 0.0
        acc.strikes[owners] = 0
        acc.last_strike_h[owners] = -np.inf
