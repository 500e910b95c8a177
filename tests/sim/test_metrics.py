"""Metric names, recorders and the helpers the summary uses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.demand import Demand
from sim.metrics import (
    HEADLINE_METRICS,
    METRIC_NAMES,
    Aggregates,
    DailySeries,
    Window,
    share,
    weighted_percentile,
)
from sim.rng import Streams
from sim.scenario import Market

# The output contract of DESIGN.md ("Outputs"), in its order: reports, the regression
# gate and the experiments read these names.
CONTRACT_METRICS = (
    "fake_listings_created",
    "fake_removed_proactive",
    "fake_removed_notice",
    "fake_removed_lead",
    "fake_removed_ban",
    "fake_removed_seller",
    "proactive_to_notice_ratio",
    "removed_before_first_sale_share",
    "live_removed_before_first_sale_share",
    "fake_exposure_listing_days",
    "fake_views",
    "fake_sales",
    "fake_sales_value",
    "consumer_harm_usd",
    "legit_sales_lost_usd",
    "legit_seller_strikes",
    "legit_sellers_banned",
    "notices_filed",
    "notice_precision",
    "notice_to_removal_h_p50",
    "notice_to_removal_h_p90",
    "notice_to_removal_h_p95",
    "notice_to_removal_h_p99",
    "notices_within_24h_share",
    "notices_decided_within_24h_share",
    "genuine_wrongly_removed",
    "wrongful_removal_days",
    "counter_notices",
    "counter_notices_upheld",
    "counter_notices_restored",
    "counter_notice_restore_h_p50",
    "counter_notice_restore_h_p95",
    "restorations",
    "fake_listings_restored",
    "am_utilization",
    "am_queue_wait_h_p50",
    "am_queue_wait_h_p95",
    "am_busy_hours",
    "am_paid_hours",
    "am_utilization_pool",
    "am_utilization_dedicated_mean",
    "am_utilization_dedicated_max",
    "cost_platform_usd",
    "cost_brands_usd",
    "cost_total_usd",
    "cost_per_fake_removed_usd",
    "accounts_banned",
    "counterfeiters_active_end",
    "relists",
    "counterfeiter_profit_usd",
    "counterfeiter_entries",
    "counterfeiter_exits",
    "operators_top3pct_share",
    "mean_obfuscation_end",
    "fake_listings_created_standard",
    "fake_listings_created_good_faith",
    "fake_listings_created_joint_force",
    "fake_listings_created_project_zero",
    "fake_listings_created_trusted_flagger",
    "displaced_to_outside",
    # notifiers, programmes and the DSA transparency counts
    "notices_filed_bad_faith",
    "unfounded_notices",
    "unfounded_notice_share",
    "notifiers_suspended",
    "audits",
    "audit_reversals",
    "complaints_by_notifiers",
    "am_queue_wait_h_p95_priority",
    "am_queue_wait_h_p95_ordinary",
    "actions_by_source_article_16",
    "actions_by_source_trusted_flagger",
    "actions_by_source_voluntary",
    "median_time_to_action_h",
    "notice_precision_reviewed",
    # the sellers' Art. 23 misuse policy
    "seller_warnings",
    "sellers_suspended",
    "seller_suspension_days",
    "legit_seller_warnings",
    "legit_sellers_suspended",
    "legit_seller_suspension_days",
)


def test_names_follow_the_design_contract() -> None:
    assert METRIC_NAMES == CONTRACT_METRICS
    assert len(METRIC_NAMES) == 80 == len(set(METRIC_NAMES))
    assert set(HEADLINE_METRICS) <= set(METRIC_NAMES)


def test_weighted_percentile_counts_each_listing() -> None:
    values, weights = np.array([5.0, 1.0, 10.0]), np.array([1, 3, 1])
    # the listings, sorted: 1, 1, 1, 5, 10
    assert weighted_percentile(values, weights, 50) == 1.0
    assert weighted_percentile(values, weights, 70) == 5.0
    assert weighted_percentile(values, weights, 99) == 10.0
    assert math.isnan(weighted_percentile(np.empty(0), np.empty(0), 50))


def test_share_of_nothing_is_nan() -> None:
    assert share(1, 4) == 0.25
    assert math.isnan(share(0, 0))


def test_daily_series_adds_by_day() -> None:
    daily = DailySeries(3)
    daily.add("notices_filed", np.array([1.0, 25.0, 26.0, 500.0]))
    daily.add("notices_filed", 2.0)
    assert daily.table()["notices_filed"].tolist() == [2, 2, 1]  # past the end: last day


def test_exposure_is_clipped_to_the_window_and_sales_are_counts() -> None:
    """Views are expected (closed form); sales are drawn counts whose value is the units
    times the price paid. Every listing sells at 1 unit an hour (24 views a day, all
    converting), so the 48 hours on show in the window sell a Poisson(48) count: the
    bound of 48 +- 28 (4 standard deviations) holds for the fixed seed."""
    window = Window(warmup_h=24.0, horizon_h=72.0)
    market = Market(
        views_per_listing_day=24.0,
        fake_conversion=1.0,
        fake_price_discount=0.25,
        listing_popularity_sigma=0.0,
        deceived_buyer_share=0.5,
    )
    agg = Aggregates(window, Demand(market, Streams(5)), DailySeries(3))
    cols = {
        "brand": np.array([0, 0]),
        "live_from_h": np.array([0.0, 48.0]),
        "price_usd": np.array([100.0, 100.0]),
        "popularity": np.ones(2),
        "first_sale_h": np.array([np.inf, np.inf]),  # never sells: no units at all
    }
    agg.exposure(cols, np.array([48.0, 96.0]))
    # listing 1 counts 24..48 (1 day), listing 2 counts 48..72 (1 day)
    assert agg.exposure_days == pytest.approx(2.0)
    assert agg.views == pytest.approx(48.0)
    agg.harm.flush()  # units are drawn in one batch at the end of a run
    assert agg.harm.fake_units == 0
    cols["first_sale_h"] = np.array([30.0, 48.5])  # the first sales fall inside
    agg.exposure(cols, np.array([48.0, 96.0]))
    agg.harm.flush()
    units = agg.harm.fake_units
    assert 48 - 28 <= units <= 48 + 28
    assert agg.harm.fake_paid_usd == pytest.approx(units * 100 * 0.75)
    assert 0 < agg.harm.deceived_paid_usd < agg.harm.fake_paid_usd


def test_strict_24h_share_counts_decisions_not_removals_on_filing() -> None:
    """Three notices in a 100-hour window: removed on filing and decided after 30 h
    (handled within 24 h in the public-figure sense, not decided in time); decided after
    2 h; still open after 50 h (known late for both). Filed at 90 h and open: unknown.
    Precision as drawn and as review judged it differ: the second notice was rejected."""
    from sim.metrics import _notice_metrics

    nan = np.nan
    notices = {
        "t_h": np.array([0.0, 10.0, 20.0, 90.0]),
        "valid": np.array([True, True, True, True]),
        "decided_at_h": np.array([30.0, 12.0, nan, nan]),
        "removed_at_h": np.array([0.0, 12.0, nan, nan]),
        "listings_removed": np.array([1, 1, 0, 0]),
        "outcome": np.array(["decided", "decided", "open", "open"], dtype=object),
        "upheld": np.array([True, False, False, False]),
    }
    out = _notice_metrics(notices, Window(0.0, 100.0))
    assert out["notices_within_24h_share"] == 2 / 3
    assert out["notices_decided_within_24h_share"] == 1 / 3
    # every notice was drawn valid, but review upheld one of the two it decided
    assert out["notice_precision"] == 1.0
    assert out["notice_precision_reviewed"] == 0.5
