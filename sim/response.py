"""Counterfeiters that respond to enforcement, wired into one run.

``Response`` is the counterfeiters' ``Hooks``: it keeps the books (``sim.economics``),
lets operators leave when their trailing profit stays low, scales newcomers by the
market's recent profitability, decides whether a banned operator's new account pays,
and hands each posting operator its learnt obfuscation (``sim.adaptation``). It also
counts what the response metrics need: entries, exits and posts per operator. With every
behaviour off it only counts, and the run draws exactly as the fixed-rate model.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.adaptation import Learning
from sim.agents.counterfeiter import Counterfeiters, Hooks, NewListings
from sim.arrays import grown
from sim.choice import LifetimeChoice
from sim.demand import Demand
from sim.economics import Ledger
from sim.metrics import DailySeries, Window
from sim.scenario import PROGRAMMES
from sim.scenario import Counterfeiters as CounterfeitersConfig
from sim.scenario_change import PolicyChange
from sim.store import ListingStore
from sim.types import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from sim.agents.platform import Platform
    from sim.market import Brands
    from sim.removals import Removals
    from sim.rng import Streams
    from sim.scenario import Scenario

TOP_SHARE = 0.03  # operators_top3pct_share: the white paper's "under 3% of sellers"


class Market(NamedTuple):
    """What the response needs of the market: demand, and each brand's popularity and
    programme code."""

    demand: Demand
    popularity: FloatArray
    programme: np.ndarray  # int8 codes, the order of PROGRAMMES


class Response(Hooks):
    """Books, entry and exit, learning, choice, and the counts of the response metrics."""

    def __init__(
        self,
        config: CounterfeitersConfig,
        pass_rate: float,
        recall: tuple[float, float],
        market: Market,
        window: Window,
        daily: DailySeries,
        rng: np.random.Generator | None = None,
        change: PolicyChange | None = None,
    ) -> None:
        demand = market.demand
        self.change = change if change is not None and change.on else None
        self.config = config
        self.pass_rate = pass_rate
        self.recall, self.recall_obf = recall  # the upload classifier's, plain and obfuscated
        self.window = window
        self.daily = daily
        self.ledger = (
            Ledger(config.economics, demand, window.days, window.horizon_h)
            if config.economics.on or config.entry_exit.on  # profit drives entry and exit
            else None
        )
        self.turnover = config.entry_exit if config.entry_exit.on else None
        base = config.obfuscation_share
        self.learning = Learning(config.adaptation, base) if config.adaptation.on else None
        self.programme = market.programme
        self.choice = (
            LifetimeChoice(config.choice, market.popularity, window.days)
            if config.choice.on
            else None
        )
        self.rng = rng if rng is not None else np.random.default_rng(0)  # the outside draws
        self.by_programme = np.zeros(len(PROGRAMMES))  # fakes posted in the window
        self.outside = 0  # fakes posted to the outside market in the window
        self.posts = np.zeros(0)  # fakes each operator posted in the window
        self._posted: list[tuple[IntArray, IntArray]] = []  # posted since the last count
        self.low_days = np.zeros(0, dtype=np.int64)  # days in a row below the exit bar
        self.entries = 0
        self.exits = 0
        given = 0.0 if self.turnover is None else self.turnover.entry_reference_usd_per_day
        self.reference_usd_per_day = given if given > 0 else None  # None: measured later
        self.reference_day = max(0, math.ceil(window.warmup_h / 24.0) - 1)

    # ------------------------------------------------------------------ hooks

    def opened(self, rows: IntArray, t_h: float, newcomers: int) -> None:
        if t_h >= self.window.warmup_h:
            self.entries += newcomers
        if self.ledger is not None:
            self.ledger.opened(rows, t_h)

    def left(self, rows: IntArray, t_h: FloatArray | float) -> None:
        t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), rows.shape)
        self.exits += int(np.count_nonzero(t >= self.window.warmup_h))

    def may_return(self, rows: IntArray) -> BoolArray:
        if self.turnover is None or self.ledger is None:
            return super().may_return(rows)
        if self.pass_rate <= 0:
            return np.zeros(len(rows), dtype=bool)
        self.ledger.cover(int(rows.max()) + 1 if len(rows) else 0)
        new_account_usd = self.config.economics.account_setup_usd / self.pass_rate
        earns = self.ledger.trailing_usd_per_day[rows] * self.turnover.payback_days
        return np.asarray(earns >= new_account_usd)

    def obfuscation(self, account: IntArray) -> FloatArray | None:
        return None if self.learning is None else self.learning.shares(account)

    # ------------------------------------------------------------------ from the run

    def to_outside(self, new: NewListings) -> NewListings:
        """The fakes that stay on the platform; the others go to the outside market."""
        share = 0.0 if self.choice is None else self.choice.outside_share
        if share <= 0 or len(new) == 0:
            return new
        out = self.rng.random(len(new)) < share
        self.outside += int(np.count_nonzero(out & (new.created_h >= self.window.warmup_h)))
        keep = ~out
        return NewListings(
            new.account[keep], new.brand[keep], new.created_h[keep], new.obfuscated[keep],
            new.relist[keep],
        )  # fmt: skip

    def posted(self, new: NewListings, hour_h: float) -> None:
        """Fakes posted on the platform in the hour at ``hour_h`` (before the upload
        check)."""
        if self.ledger is not None:
            self.ledger.posted(new.account, hour_h)
        if hour_h + 1.0 <= self.window.warmup_h:
            return
        in_window = new.created_h >= self.window.warmup_h
        self._posted.append((new.account[in_window], new.brand[in_window]))

    def _count_posts(self) -> None:
        """The fakes posted since the last count into each operator's and programme's."""
        if not self._posted:
            return
        account = np.concatenate([a for a, _ in self._posted]).astype(np.int64)
        brand = np.concatenate([b for _, b in self._posted]).astype(np.int64)
        self._posted = []
        programme = self.programme[brand]
        self.by_programme += np.bincount(programme, minlength=len(PROGRAMMES))
        if len(account):
            counts = np.bincount(account)
            if len(counts) > len(self.posts):
                self.posts = grown(self.posts, max(len(counts), 2 * len(self.posts)))
            self.posts[: len(counts)] += counts

    def left_window(self, cols: dict[str, np.ndarray], end_h: FloatArray | float) -> None:
        """Fakes leaving the shop window at ``end_h`` (removed, ended or hidden)."""
        if self.ledger is not None:
            self.ledger.earned(cols, end_h)

    def ended(self, brand: IntArray, days_on_show: FloatArray) -> None:
        """Fakes of ``brand`` ended today (removed or by their seller)."""
        if self.choice is not None:
            self.choice.lived(brand, days_on_show)

    def enforced(self, account: IntArray) -> None:
        """Fakes of ``account`` were removed by the platform or a brand."""
        if self.learning is not None:
            self.learning.removed(account)

    def close_day(
        self,
        day: int,
        store: ListingStore,
        crowd: Counterfeiters,
        removals: Removals,
        platform: Platform | None = None,
    ) -> FloatArray | None:
        """End of day ``day``: books, learning, exits and entry, the day's series, and a
        policy change due at the next day's start. Returns the choice rule's new brand
        weights (None: keep them)."""
        self._count_posts()
        if self.ledger is not None:
            self.ledger.close_day(day, store)
        if self.learning is not None:
            self.learning.close_day()
        if self.turnover is not None:
            self._turnover(day, crowd, removals)
        self._record(day, crowd)
        c = self.change
        if c is not None and platform is not None and day + 1 == math.ceil(c.day):
            platform.ladder = list(c.ladder)  # strikes already taken count on the new one
            platform.gap_h = c.min_gap_days * 24.0
            crowd.pass_rate = self.pass_rate = c.verification_pass_rate
        return None if self.choice is None else self.choice.brand_cum(day)

    def _turnover(self, day: int, crowd: Counterfeiters, removals: Removals) -> None:
        """Operators below the bar for long enough leave; newcomers follow profit."""
        assert self.ledger is not None and self.turnover is not None
        cfg, acc = self.turnover, crowd.accounts
        n = acc.n
        self.ledger.cover(n)
        if n > len(self.low_days):
            self.low_days = grown(self.low_days, max(n, 2 * len(self.low_days)))
        trailing = self.ledger.trailing_usd_per_day[:n]
        active = acc.active[:n]
        low = active & (trailing < cfg.exit_below_usd_per_day)
        self.low_days[:n] = np.where(low, self.low_days[:n] + 1, 0)
        leave = np.flatnonzero(self.low_days[:n] >= cfg.exit_patience_days)
        now = (day + 1) * 24.0
        if len(leave):
            self.low_days[leave] = 0
            crowd.leave(leave, now)
            removals.withdraw(leave, now)
        mean = float(trailing[active].mean()) if active.any() else 0.0
        if self.reference_usd_per_day is None:
            if day < self.reference_day:
                return
            self.reference_usd_per_day = mean  # the market's own, at the end of the warm-up
        crowd.arrival_factor = self._entry_factor(mean, self.reference_usd_per_day)

    def _entry_factor(self, profit: float, reference: float) -> float:
        """Newcomers' rate over arrivals_per_day at this mean trailing profit."""
        cfg = self.turnover
        assert cfg is not None
        if reference <= 0:  # a market that lost money at the reference: profit's sign rules
            factor = 1.0 + cfg.entry_elasticity * (1.0 if profit > 0 else -1.0)
        else:
            factor = 1.0 + cfg.entry_elasticity * (profit / reference - 1.0)
        return min(max(factor, cfg.entry_min_multiplier), cfg.entry_max_multiplier)

    def _record(self, day: int, crowd: Counterfeiters) -> None:
        active = np.flatnonzero(crowd.accounts.active[: crowd.accounts.n])
        obf = self.obfuscation_of(active)
        self.daily.set("operators_active", day, float(len(active)))
        self.daily.set("obfuscation_mean", day, obf)
        recall = self.recall + obf * (self.recall_obf - self.recall)
        self.daily.set("upload_recall_mean", day, recall)
        profit = math.nan
        if self.ledger is not None and self.config.economics.on:
            profit = float(self.ledger.income_by_day[day] - self.ledger.cost_by_day[day])
        self.daily.set("counterfeiter_profit_usd", day, profit)

    def obfuscation_of(self, rows: IntArray) -> float:
        """The mean obfuscation share of operators ``rows`` (NaN for none)."""
        if len(rows) == 0:
            return math.nan
        if self.learning is None:
            return float(self.config.obfuscation_share)
        return float(self.learning.shares(rows).mean())

    # ------------------------------------------------------------------ the end

    def metrics(self, crowd: Counterfeiters) -> dict[str, float]:
        """The response metrics of the measured window."""
        self._count_posts()
        active = np.flatnonzero(crowd.accounts.active[: crowd.accounts.n])
        profit = math.nan
        if self.ledger is not None and self.config.economics.on:
            profit = self.ledger.window_profit_usd(self.window.warmup_h)
        return {
            "counterfeiter_profit_usd": profit,
            "counterfeiter_entries": float(self.entries),
            "counterfeiter_exits": float(self.exits),
            "operators_top3pct_share": top_share(self.posts, TOP_SHARE),
            "mean_obfuscation_end": self.obfuscation_of(active),
            **{
                f"fake_listings_created_{p}": float(self.by_programme[i])
                for i, p in enumerate(PROGRAMMES)
            },
            "displaced_to_outside": float(self.outside),
        }


def build_response(
    sc: Scenario,
    demand: Demand,
    brands: Brands,
    window: Window,
    daily: DailySeries,
    streams: Streams,
) -> Response:
    """The response of one run's counterfeiters, from its scenario and market."""
    p = sc.platform
    return Response(
        sc.counterfeiters,
        p.verification_pass_rate,
        (p.upload_recall, p.upload_recall_obfuscated),
        Market(demand, brands.popularity, brands.programme),
        window,
        daily,
        streams.get("counterfeiters.outside"),
        p.change,
    )


def top_share(counts: FloatArray, fraction: float) -> float:
    """The share of the total held by the top ``fraction`` of the non-zero counts (at
    least one of them), NaN when all are zero."""
    nonzero = counts[counts > 0]
    if len(nonzero) == 0:
        return math.nan
    k = max(1, math.ceil(fraction * len(nonzero)))
    top = np.partition(nonzero, len(nonzero) - k)[len(nonzero) - k :]
    return float(top.sum() / nonzero.sum())
