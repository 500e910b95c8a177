"""The public contract of a run's outputs: what other packages may rely on.

Each metric's name, unit and better direction, the headline list, and how a run
folder is named inside an experiment's output. ``reports`` reads result folders
and this module, never the model's internals; the model writes what is listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sim.contract_notifiers import NOTIFIER_METRICS
from sim.contract_response import RESPONSE_METRICS
from sim.contract_sellers import SELLER_METRICS

# units: count (things), ratio (count / count), share (0..1), h (hours),
# USD, listing_days (listings x days up)
UNITS = ("count", "ratio", "share", "h", "USD", "listing_days")


@dataclass(frozen=True)
class Metric:
    """One metric of ``summary.json``: its unit, which way is better (None: neither) and
    exactly what it counts (``docs/metrics.md`` is generated from these)."""

    name: str
    unit: str
    higher_better: bool | None
    definition: str


_LOWER, _HIGHER, _NEITHER = False, True, None

# "in the window": at a time inside the measured window [warm-up end, horizon).
# "platform removals": channels proactive (upload checks and sweeps), lead and ban.
_PCT = (
    "The {q}th percentile (inverted CDF) of the hours from a notice's filing to the removal "
    "of its listings, one observation per listing removed, over notices filed in the window "
    "that removed any listing; genuine listings wrongly removed by mistaken notices count "
    "too."
)
_WAIT = (
    "The {q}th percentile of the hours reviews waited in a queue before a manager started "
    "them (notices and counter-notices, every desk together), over reviews started in the "
    "window; a request for evidence starts a new wait when the answer comes back."
)

METRICS: tuple[Metric, ...] = (
    Metric(
        "fake_listings_created",
        "count",
        _LOWER,
        "Fake listings posted in the window, new ones and relists, whether or not the upload "
        "check caught them.",
    ),
    Metric(
        "fake_removed_proactive",
        "count",
        _HIGHER,
        "Fakes the platform removed on its own initiative in the window: caught by the upload "
        "check (never on show) plus removed by its sweeps of live listings.",
    ),
    Metric(
        "fake_removed_notice",
        "count",
        _NEITHER,
        "Fakes taken down by a brand's notice in the window: on filing for a remove-first "
        "route, on approval for a review-first one. A fake put back up after a rejected "
        "notice still counts (see fake_listings_restored).",
    ),
    Metric(
        "fake_removed_lead",
        "count",
        _HIGHER,
        "Fakes removed in the window after a brand confirmed a low-confidence platform hit "
        "shared with it as a lead (joint_force brands).",
    ),
    Metric(
        "fake_removed_ban",
        "count",
        _HIGHER,
        "Live fakes taken down in the window because their account was banned.",
    ),
    Metric(
        "fake_removed_seller",
        "count",
        _NEITHER,
        "Fakes their own seller ended in the window (the listing's lifetime ran out before "
        "anyone removed it).",
    ),
    Metric(
        "proactive_to_notice_ratio",
        "ratio",
        _HIGHER,
        "Public-figure sense (Alibaba's proactive removals per notice-driven removal): "
        "platform removals (proactive including upload blocks, lead, ban) over notice "
        "removals, both in the window.",
    ),
    Metric(
        "removed_before_first_sale_share",
        "share",
        _HIGHER,
        "Public-figure sense (Alibaba's proactive removals made before a single sale): among "
        "platform removals in the window, upload blocks included (they never sell), the share "
        "made before the listing's first sale.",
    ),
    Metric(
        "live_removed_before_first_sale_share",
        "share",
        _HIGHER,
        "Strict beside removed_before_first_sale_share: among platform removals in the window "
        "of fakes that went on show (upload blocks left out), the share made before the "
        "listing's first sale.",
    ),
    Metric(
        "fake_exposure_listing_days",
        "listing_days",
        _LOWER,
        "Listing-days fakes were on show inside the window (live and not hidden by a block).",
    ),
    Metric(
        "fake_views",
        "count",
        _LOWER,
        "Expected shopper views of fakes in the window (closed form, not drawn): each fake's "
        "hours on show in the window over 24, times market.views_per_listing_day, times its "
        "popularity weight (lognormal of mean 1, market.listing_popularity_sigma).",
    ),
    Metric(
        "fake_sales",
        "count",
        _LOWER,
        "Units of fakes sold in the window, drawn: each fake sells as a Poisson process at its "
        "views times market.fake_conversion while on show (its first sale at the time drawn "
        "when it went live, then a Poisson count over the rest of its time on show).",
    ),
    Metric(
        "fake_sales_value",
        "USD",
        _LOWER,
        "Money paid for the fakes sold in the window (fake_sales), each unit at its listing's "
        "genuine price times (1 - market.fake_price_discount).",
    ),
    Metric(
        "consumer_harm_usd",
        "USD",
        _LOWER,
        "Money paid in the window for fakes by buyers who believed them genuine: of each "
        "listing's units sold, a binomial draw with market.deceived_buyer_share, each at the "
        "price paid (part of fake_sales_value).",
    ),
    Metric(
        "legit_sales_lost_usd",
        "USD",
        _LOWER,
        "Genuine sales honest sellers lost, in USD at each listing's genuine price, drawn as "
        "Poisson counts at the listing's views times market.genuine_conversion: while "
        "genuine listings removed in the window stayed down (until put back up or the "
        "horizon), while their sellers were blocked (blocks in the window, for the block's "
        "length) and from the ban of a seller banned in the window to the horizon.",
    ),
    Metric(
        "legit_seller_strikes",
        "count",
        _LOWER,
        "Strikes honest sellers took in the window: one per wrongful removal that stood (not "
        "counter-notified, or its counter-notice rejected), on the platform's strike ladder "
        "with its gap between strikes.",
    ),
    Metric(
        "legit_sellers_banned",
        "count",
        _LOWER,
        "Honest sellers banned in the window by strikes for wrongful removals that stood; "
        "their live genuine listings come down for good.",
    ),
    Metric(
        "notices_filed",
        "count",
        _NEITHER,
        "Notices brands filed in the window, valid ones and mistaken ones (naming genuine "
        "listings).",
    ),
    Metric(
        "notice_precision",
        "share",
        _HIGHER,
        "Share of the notices filed in the window that name real fakes (as drawn from "
        "rights_holders.notice_precision, not as judged by review).",
    ),
    Metric("notice_to_removal_h_p50", "h", _LOWER, _PCT.format(q=50)),
    Metric("notice_to_removal_h_p90", "h", _LOWER, _PCT.format(q=90)),
    Metric("notice_to_removal_h_p95", "h", _LOWER, _PCT.format(q=95)),
    Metric("notice_to_removal_h_p99", "h", _LOWER, _PCT.format(q=99)),
    Metric(
        "notices_within_24h_share",
        "share",
        _HIGHER,
        "Public-figure sense (Alibaba's notices handled within 24 hours): among notices filed "
        "in the window whose outcome is known (decided or acted on, or open for 24 hours by "
        "the horizon), the share first decided or acted on (its listings removed) within "
        "24 hours of filing.",
    ),
    Metric(
        "notices_decided_within_24h_share",
        "share",
        _HIGHER,
        "Strict beside notices_within_24h_share: among notices filed in the window that were "
        "decided or had been open 24 hours by the horizon, the share a review decided within "
        "24 hours of filing (a removal on filing does not count as a decision).",
    ),
    Metric(
        "genuine_wrongly_removed",
        "count",
        _LOWER,
        "Genuine listings taken down in the window, by mistaken notices or by the platform's "
        "false positives (not those taken down by their seller's ban).",
    ),
    Metric(
        "wrongful_removal_days",
        "listing_days",
        _LOWER,
        "Listing-days that genuine listings removed in the window stayed down, until put back "
        "up or the horizon.",
    ),
    Metric(
        "counter_notices",
        "count",
        _LOWER,
        "Counter-notices honest sellers filed in the window against wrongful removals.",
    ),
    Metric(
        "counter_notices_upheld",
        "count",
        _LOWER,
        "Counter-notices decided in the window that review rejected: the wrongful removal is "
        "upheld and stands (a strike for the seller).",
    ),
    Metric(
        "counter_notices_restored",
        "count",
        _HIGHER,
        "Counter-notices decided in the window that review accepted and whose listing went "
        "back up (an accepted one whose seller had been banned meanwhile is in neither "
        "count).",
    ),
    Metric(
        "counter_notice_restore_h_p50",
        "h",
        _LOWER,
        "The median (linear interpolation) of the hours from a genuine listing's wrongful "
        "removal to its restoration by an accepted counter-notice, over such restorations in "
        "the window.",
    ),
    Metric(
        "counter_notice_restore_h_p95",
        "h",
        _LOWER,
        "The 95th percentile (linear interpolation) of the hours from a genuine listing's "
        "wrongful removal to its restoration by an accepted counter-notice, over such "
        "restorations in the window.",
    ),
    Metric(
        "restorations",
        "count",
        _NEITHER,
        "Genuine listings put back up in the window: a mistaken remove-first notice rejected "
        "on review, or a counter-notice upheld.",
    ),
    Metric(
        "fake_listings_restored",
        "count",
        _LOWER,
        "Fakes put back up in the window because review wrongly rejected the remove-first "
        "notice that took them down (not those their seller would have ended meanwhile).",
    ),
    Metric(
        "am_utilization",
        "share",
        _NEITHER,
        "Account managers' review hours over their on-shift hours in the window, every desk "
        "pooled; overtime counts as busy but not on shift, so it can exceed 1.",
    ),
    Metric("am_queue_wait_h_p50", "h", _LOWER, _WAIT.format(q=50)),
    Metric("am_queue_wait_h_p95", "h", _LOWER, _WAIT.format(q=95)),
    Metric(
        "am_busy_hours",
        "h",
        _LOWER,
        "Account managers' busy hours in the window: the review time of reviews finished in "
        "it, every desk together (hours paid: am_paid_hours).",
    ),
    Metric(
        "am_paid_hours",
        "h",
        _LOWER,
        "Manager-hours the rosters pay in the window: each desk's headcount (pool_size, or "
        "dedicated_per_enrolled_brand per joint_force brand) times its hours on shift "
        "(working_hours on working_days, or round the clock when always_on), busy or not.",
    ),
    Metric(
        "am_utilization_pool",
        "share",
        _NEITHER,
        "The shared pool's review hours over its on-shift hours in the window (NaN when the "
        "pool has no managers).",
    ),
    Metric(
        "am_utilization_dedicated_mean",
        "share",
        _NEITHER,
        "The mean over dedicated desks of each desk's review hours over its on-shift hours in "
        "the window (NaN when there are no dedicated desks).",
    ),
    Metric(
        "am_utilization_dedicated_max",
        "share",
        _NEITHER,
        "The busiest dedicated desk's review hours over its on-shift hours in the window (NaN "
        "when there are no dedicated desks).",
    ),
    Metric(
        "cost_platform_usd",
        "USD",
        _LOWER,
        "The platform's enforcement cost in the window: am_paid_hours times "
        "costs.am_wage_usd_per_h, plus fakes screened at upload (fake_listings_created) "
        "times costs.upload_screen_usd_per_listing, plus listings scanned by its sweeps "
        "(live fakes on show and live genuine listings, each sweep) times "
        "costs.sweep_scan_usd_per_listing.",
    ),
    Metric(
        "cost_brands_usd",
        "USD",
        _LOWER,
        "The brands' enforcement cost in the window: monitoring sweeps (one per brand per "
        "sweep) times costs.brand_sweep_usd, plus notices_filed times costs.brand_notice_usd.",
    ),
    Metric(
        "cost_total_usd",
        "USD",
        _LOWER,
        "Enforcement cost of every party in the window: cost_platform_usd plus cost_brands_usd.",
    ),
    Metric(
        "cost_per_fake_removed_usd",
        "USD",
        _LOWER,
        "cost_total_usd over the fakes removed in the window by every channel but the "
        "seller's own (proactive including upload blocks, notice, lead, ban).",
    ),
    Metric(
        "accounts_banned",
        "count",
        _NEITHER,
        "Counterfeit accounts banned in the window by the strike ladder (honest sellers: "
        "legit_sellers_banned).",
    ),
    Metric(
        "counterfeiters_active_end",
        "count",
        _LOWER,
        "Counterfeit accounts open at the horizon (blocked ones included).",
    ),
    Metric(
        "relists",
        "count",
        _LOWER,
        "Fakes posted again in the window after a removal of the same seller's listing (part "
        "of fake_listings_created).",
    ),
)

METRICS += tuple(Metric(*r) for r in (*RESPONSE_METRICS, *NOTIFIER_METRICS, *SELLER_METRICS))

METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
METRIC_BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}

HEADLINE_METRICS: tuple[str, ...] = (
    "proactive_to_notice_ratio",
    "notices_within_24h_share",
    "notice_to_removal_h_p95",
    "removed_before_first_sale_share",
    "fake_sales",
    "am_utilization",
    "genuine_wrongly_removed",
)
"""The metrics the regression gate watches and adaptive replication (--reps auto) sizes on."""

SUMMARY_METRICS = (*HEADLINE_METRICS, "cost_total_usd", "consumer_harm_usd", "legit_sales_lost_usd")
"""The tables people read first (the CLI's, the report's): the headline, then cost and harm."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")


def safe_name(label: str) -> str:
    """The folder name of a scenario's (or sweep point's) runs: ``runs/<safe_name>/rep-NNN``."""
    return _UNSAFE.sub("_", label).strip("_") or "scenario"
