"""Recorders for one run: running aggregates and daily series, and the metrics they give.

Removed listings are folded in here at removal time (counts, exposure, views, sales),
so the live store never has to remember them. Aggregates only count what happens
after the warm-up; daily series cover every day. (The notice trace and the event log
are in ``sim.traces``.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# the names are the contract's; importing them from here keeps working
from sim.contract import HEADLINE_METRICS as HEADLINE_METRICS
from sim.contract import METRIC_NAMES
from sim.demand import Demand
from sim.harm import HarmTally
from sim.metrics_notifiers import notifier_metrics
from sim.scenario import Costs
from sim.traces import EventLog
from sim.types import BoolArray, FloatArray, IntArray

CHANNELS: tuple[str, ...] = ("proactive", "notice", "lead", "ban", "seller")
PLATFORM_CHANNELS: tuple[str, ...] = ("proactive", "lead", "ban")

DAILY_COLUMNS: tuple[str, ...] = (
    "day",
    "fakes_created",
    "fakes_live",
    "fake_live_hours",
    "notices_filed",
    *(f"removed_{c}" for c in CHANNELS),
    "genuine_removed",
    "restorations",
    "fakes_hidden",
    "fakes_restored",
    "counter_notices",
    "relists",
    "accounts_banned",
    "queue_length",
    *(RESPONSE_DAILY := ("operators_active", "obfuscation_mean", "upload_recall_mean",
                         "counterfeiter_profit_usd")),
)  # fmt: skip

NOTICE_COLUMNS: tuple[str, ...] = (
    "t_h",
    "brand_id",
    "listings",
    "valid",
    "channel",
    "decided_at_h",
    "removed_at_h",
    "listings_removed",
    "notifier_id",
    "outcome",
    "upheld",
)


@dataclass
class Window:
    """The measured window: [warmup_h, horizon_h)."""

    warmup_h: float
    horizon_h: float

    @property
    def days(self) -> int:
        return int(np.ceil(self.horizon_h / 24.0))


class DailySeries:
    """Per-day counters, added to in batches with ``bincount``.

    ``fake_live_hours`` is the integral over each day of the fakes on the books (live,
    hidden ones too; ``fakes_live`` is its value at the day's end): every fake coming on
    (``books``, +1) or off (-1) changes the count from its time to the day's end."""

    def __init__(self, days: int, horizon_h: float | None = None) -> None:
        self.days = days
        self.cols: dict[str, FloatArray] = {
            name: np.zeros(days) for name in DAILY_COLUMNS if name != "day"
        }
        day_end = np.minimum(24.0 * np.arange(1, days + 1), horizon_h or 24.0 * days)
        self._day_end = day_end
        self._day_h = np.diff(day_end, prepend=0.0)
        self._net = np.zeros(days)  # fakes on the books at each day's end less its start

    def _day_of(self, t: FloatArray) -> int | IntArray:
        """The day of each time in ``t`` (not empty), the last day for times past it: one
        int when they all fall in one day, else an array."""
        last = self.days - 1
        lo, hi = min(int(t.min() // 24.0), last), min(int(t.max() // 24.0), last)
        if lo == hi:
            return lo
        return np.minimum((t // 24.0).astype(np.int64), last)

    def books(self, t_h: FloatArray, sign: float) -> None:
        """Fakes coming on the books (``sign`` +1) or off (-1) at ``t_h``."""
        t = np.atleast_1d(np.asarray(t_h, dtype=np.float64))
        if len(t) == 0:
            return
        day = self._day_of(t)
        if isinstance(day, int):  # the usual case: a batch from one tick
            left = self._day_end[day] * len(t) - float(t.sum())
            self.cols["fake_live_hours"][day] += sign * left
            self._net[day] += sign * len(t)
            return
        left = self._day_end[day] - t
        self.cols["fake_live_hours"] += sign * np.bincount(day, left, minlength=self.days)
        self._net += sign * np.bincount(day, minlength=self.days)

    def add(self, name: str, t_h: FloatArray | float, weight: float = 1.0) -> None:
        """Count events at times ``t_h`` into their days."""
        if isinstance(t_h, float | int):  # one event: no arrays
            self.cols[name][min(int(t_h // 24.0), self.days - 1)] += weight
            return
        t = np.atleast_1d(np.asarray(t_h, dtype=np.float64))
        if len(t) == 0:
            return
        day = self._day_of(t)
        if isinstance(day, int):  # the usual case: a batch from one tick
            self.cols[name][day] += len(t) * weight
        else:
            self.cols[name] += np.bincount(day, minlength=self.days)[: self.days] * weight

    def set(self, name: str, day: int, value: float) -> None:
        if 0 <= day < self.days:
            self.cols[name][day] = value

    def table(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"day": np.arange(self.days, dtype=np.int64)}
        at_start = np.cumsum(self._net) - self._net  # on the books as each day starts
        hours = self.cols["fake_live_hours"] + at_start * self._day_h
        for name in DAILY_COLUMNS[1:]:
            col = hours if name == "fake_live_hours" else self.cols[name]
            # the response columns are means and money: kept as floats (NaN: not kept)
            out[name] = col.copy() if name in RESPONSE_DAILY else np.rint(col).astype(np.int64)
        return out


def weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-th percentile (0-100) of values with integer weights (inverted CDF)."""
    if len(values) == 0 or weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.cumsum(w, dtype=np.float64)
    target = q / 100.0 * cum[-1]
    idx = int(np.searchsorted(cum, target, side="left"))
    return float(v[min(idx, len(v) - 1)])


def share(num: float | np.integer[Any], den: float | np.integer[Any]) -> float:
    """num / den, or NaN when there is nothing to divide."""
    return float(num) / float(den) if den > 0 else float("nan")


class Aggregates:
    """Running totals over the measured window, fed in batches at removal time."""

    def __init__(
        self, window: Window, demand: Demand, daily: DailySeries, events: EventLog | None = None
    ) -> None:
        self.window = window
        self.demand = demand
        self.daily = daily
        self.events = events  # the run's event log, if kept (for the misuse policy's steps)
        self.harm = HarmTally(demand, window.warmup_h, window.horizon_h, events)
        self.counts: dict[str, float] = dict.fromkeys(
            (
                "fake_listings_created",
                *(f"fake_removed_{c}" for c in CHANNELS),
                "platform_removed",
                "platform_removed_before_sale",
                "platform_removed_live",
                "platform_removed_live_before_sale",
                "genuine_wrongly_removed",
                "counter_notices",
                "restorations",
                "fake_listings_restored",
                "accounts_banned",
                "relists",
                "listings_swept",
                "brand_sweeps",
                "legit_seller_strikes",
                "legit_sellers_banned",
                "counter_notices_upheld",
                "counter_notices_restored",
                # notifiers and programmes (sim.notices, sim.misuse)
                "actions_source_article_16",
                "actions_source_trusted_flagger",
                "genuine_removed_by_notice",
                "complaints_by_notifiers",
                "notifiers_suspended",
            ),
            0.0,
        )
        self.exposure_days = 0.0
        self.views = 0.0
        self.wrongful_days = 0.0

    def in_window(self, t_h: FloatArray) -> BoolArray:
        return np.asarray(t_h) >= self.window.warmup_h

    def count(self, name: str, t_h: FloatArray | float, daily: str | None = None) -> None:
        """Count events at ``t_h`` (after warm-up into totals, every day into ``daily``)."""
        t = np.atleast_1d(np.asarray(t_h, dtype=np.float64))
        self.counts[name] += float(np.count_nonzero(self.in_window(t)))
        if daily is not None:
            self.daily.add(daily, t)

    def add(self, name: str, t_h: float, k: float) -> None:
        """Count ``k`` things at ``t_h`` into a total (if after the warm-up)."""
        if t_h >= self.window.warmup_h:
            self.counts[name] += k

    def exposure(self, cols: dict[str, np.ndarray], end_h: FloatArray) -> None:
        """Fold listing-days, expected views and drawn sales of fakes on show from
        ``live_from_h`` until ``end_h`` (nothing where ``end_h`` comes first); ``cols``
        as in the store (popularity, first_sale_h, price_usd; id, brand and account
        for the event log)."""
        start = np.maximum(cols["live_from_h"], self.window.warmup_h)
        stop = np.minimum(end_h, self.window.horizon_h)
        hours = np.maximum(stop - start, 0.0)
        self.exposure_days += float(hours.sum(dtype=np.float64)) / 24.0
        views = self.demand.views(cols["popularity"], hours)
        self.views += float(views.sum(dtype=np.float64))
        self.harm.fake_sales(cols, start, stop)

    def fakes_removed(
        self,
        cols: dict[str, np.ndarray],
        t_h: FloatArray,
        channel: str,
        at_upload: bool = False,
    ) -> None:
        """Fold removed fakes (columns as in the store) removed at ``t_h`` by ``channel``;
        ``at_upload``: removed as they were posted, so with no exposure to fold (and no
        ``price_usd`` column needed)."""
        t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), cols["brand"].shape)
        if not at_upload:
            self.exposure(cols, t)
        self.count(f"fake_removed_{channel}", t, daily=f"removed_{channel}")
        if channel in PLATFORM_CHANNELS:
            inside = self.in_window(t)
            self.counts["platform_removed"] += float(np.count_nonzero(inside))
            before = inside & (t < cols["first_sale_h"])
            self.counts["platform_removed_before_sale"] += float(np.count_nonzero(before))
            if not at_upload:
                self.counts["platform_removed_live"] += float(np.count_nonzero(inside))
                self.counts["platform_removed_live_before_sale"] += float(np.count_nonzero(before))

    def wrongful(self, removed_h: FloatArray, until_h: FloatArray) -> None:
        """Days genuine listings removed (after warm-up) stayed down."""
        inside = self.in_window(removed_h)
        stop = np.minimum(until_h, self.window.horizon_h)
        self.wrongful_days += float(np.maximum(stop - removed_h, 0.0)[inside].sum()) / 24.0


def _notice_metrics(notices: dict[str, np.ndarray], window: Window) -> dict[str, float]:
    """Notice counts, precision, the 24-hour share and filing-to-removal percentiles
    (one observation per removed listing: a notice's listings go down together)."""
    inside = notices["t_h"] >= window.warmup_h
    t = notices["t_h"][inside]
    handled = np.fmin(notices["decided_at_h"][inside], notices["removed_at_h"][inside]) - t
    # a notice still open at the end counts only once 24 hours have passed since filing
    known = ~np.isnan(handled) | (window.horizon_h - t >= 24.0)
    within = np.nan_to_num(handled, nan=np.inf) <= 24.0
    removed = inside & (notices["listings_removed"] > 0)
    lat_h = notices["removed_at_h"][removed] - notices["t_h"][removed]
    lat_n = notices["listings_removed"][removed]
    decided = notices["decided_at_h"][inside] - t
    # strict: decided (not only acted on) within 24 h, among notices decided or open 24 h
    known_decision = ~np.isnan(decided) | (window.horizon_h - t >= 24.0)
    decided_in_time = np.nan_to_num(decided, nan=np.inf) <= 24.0
    reviewed = np.isin(notices["outcome"][inside], ("decided", "audited"))
    out = {
        "notices_filed": float(len(t)),
        "notices_decided_within_24h_share": share(
            np.count_nonzero(decided_in_time & known_decision), np.count_nonzero(known_decision)
        ),
        "notice_precision": share(np.count_nonzero(notices["valid"][inside]), len(t)),
        "notice_precision_reviewed": share(
            np.count_nonzero(notices["upheld"][inside] & reviewed), np.count_nonzero(reviewed)
        ),
        "notices_within_24h_share": share(
            np.count_nonzero(within & known), np.count_nonzero(known)
        ),
    }
    for q in (50, 90, 95, 99):
        out[f"notice_to_removal_h_p{q}"] = weighted_percentile(lat_h, lat_n, q)
    return out


@dataclass(frozen=True, slots=True)
class ReviewTotals:
    """The account managers' work over the measured window: all desks together, and
    per desk (the pool first, then the dedicated desks)."""

    busy_h: float
    available_h: float  # manager-hours on shift: what the rosters pay
    waits_h: FloatArray  # the queue wait of every review started in the window
    busy_by_desk_h: FloatArray = field(default_factory=lambda: np.zeros(1))
    on_shift_by_desk_h: FloatArray = field(default_factory=lambda: np.zeros(1))
    # the priority class of each wait in ``waits_h`` (sim.review_classes)
    wait_class: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def utilisation_by_desk(self) -> FloatArray:
        """Busy over on-shift hours of each desk (NaN for a desk with nobody on it)."""
        on = self.on_shift_by_desk_h
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(on > 0, self.busy_by_desk_h / np.where(on > 0, on, 1.0), np.nan)


def _desk_utilisation(am: ReviewTotals) -> dict[str, float]:
    """Utilisation of the pool, and the mean and highest over dedicated desks."""
    util = am.utilisation_by_desk()
    dedicated = util[1:][~np.isnan(util[1:])]
    return {
        "am_utilization_pool": float(util[0]),
        "am_utilization_dedicated_mean": float(dedicated.mean()) if len(dedicated) else np.nan,
        "am_utilization_dedicated_max": float(dedicated.max()) if len(dedicated) else np.nan,
    }


def _costs(
    c: dict[str, float], notices_filed: float, paid_h: float, costs: Costs
) -> dict[str, float]:
    """What the window cost the platform (paid rosters, upload screening, sweeps) and the
    brands (monitoring sweeps, notices), in USD."""
    platform = (
        costs.am_wage_usd_per_h * paid_h
        + costs.upload_screen_usd_per_listing * c["fake_listings_created"]
        + costs.sweep_scan_usd_per_listing * c["listings_swept"]
    )
    brands = costs.brand_sweep_usd * c["brand_sweeps"] + costs.brand_notice_usd * notices_filed
    removed = sum(c[f"fake_removed_{ch}"] for ch in CHANNELS if ch != "seller")
    return {
        "cost_platform_usd": platform,
        "cost_brands_usd": brands,
        "cost_total_usd": platform + brands,
        "cost_per_fake_removed_usd": share(platform + brands, removed),
    }


def summarise(
    agg: Aggregates,
    notices: dict[str, np.ndarray],
    am: ReviewTotals,
    accounts_active: int,
    costs: Costs,
    response: dict[str, float] | None = None,
) -> dict[str, float]:
    """The flat metrics dict of one run, in ``METRIC_NAMES`` order (NaN where no data)."""
    c = agg.counts
    platform = sum(c[f"fake_removed_{ch}"] for ch in PLATFORM_CHANNELS)
    waits = np.asarray(am.waits_h, dtype=np.float64)
    out: dict[str, float] = {
        **{k: c[k] for k in ("fake_listings_created",)},
        **{f"fake_removed_{ch}": c[f"fake_removed_{ch}"] for ch in CHANNELS},
        "proactive_to_notice_ratio": share(platform, c["fake_removed_notice"]),
        "removed_before_first_sale_share": share(
            c["platform_removed_before_sale"], c["platform_removed"]
        ),
        "live_removed_before_first_sale_share": share(
            c["platform_removed_live_before_sale"], c["platform_removed_live"]
        ),
        "fake_exposure_listing_days": agg.exposure_days,
        "fake_views": agg.views,
        **agg.harm.metrics(),
        **{k: c[k] for k in ("legit_seller_strikes", "legit_sellers_banned")},
        **{k: c[k] for k in ("counter_notices_upheld", "counter_notices_restored")},
        **_notice_metrics(notices, agg.window),
        "genuine_wrongly_removed": c["genuine_wrongly_removed"],
        "wrongful_removal_days": agg.wrongful_days,
        "counter_notices": c["counter_notices"],
        "restorations": c["restorations"],
        "fake_listings_restored": c["fake_listings_restored"],
        "am_utilization": share(am.busy_h, am.available_h),
        "am_queue_wait_h_p50": float(np.percentile(waits, 50)) if len(waits) else float("nan"),
        "am_queue_wait_h_p95": float(np.percentile(waits, 95)) if len(waits) else float("nan"),
        "am_busy_hours": float(am.busy_h),
        "am_paid_hours": float(am.available_h),
        **_desk_utilisation(am),
        "accounts_banned": c["accounts_banned"],
        "counterfeiters_active_end": float(accounts_active),
        "relists": c["relists"],
    }
    out.update(_costs(c, out["notices_filed"], out["am_paid_hours"], costs))
    out.update(notifier_metrics(c, notices, agg.window.warmup_h, waits, am.wait_class))
    out.update(response or {})
    return {name: float(out[name]) for name in METRIC_NAMES}
