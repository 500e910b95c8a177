"""Metric phrases, number formats and the plain-words verdicts."""

from __future__ import annotations

import math

import pytest

from reports.wording import WORDING, fmt_diff, fmt_number, fmt_value, judgement, verdict
from sim.metrics import METRIC_NAMES


def test_every_contract_metric_has_its_own_wording() -> None:
    assert set(METRIC_NAMES) <= set(WORDING)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0004, "0"),
        (0.01234, "0.012"),
        (3.14159, "3.14"),
        (-3.14159, "-3.14"),
        (12.345, "12.3"),
        (123.6, "124"),
        (123456.7, "123,457"),
        (math.nan, "n/a"),
        (None, "n/a"),
    ],
)
def test_fmt_number(value: float | None, text: str) -> None:
    assert fmt_number(value) == text


def test_shares_show_as_percent_and_differences_as_points() -> None:
    assert fmt_value("notices_within_24h_share", 0.9531) == "95.3%"
    assert fmt_diff("notices_within_24h_share", 0.021) == "+2.10 pp"
    assert fmt_value("notice_to_removal_h_p95", 3.2) == "3.20 h"
    assert fmt_diff("notice_to_removal_h_p95", -3.2) == "-3.20 h"


def test_a_significant_drop_in_latency_reads_as_sooner_with_positive_ci() -> None:
    diff = {"mean": -3.2, "ci_low": -3.5, "ci_high": -2.9, "significant": True}
    text = verdict("joint_force", "standard", "notice_to_removal_h_p95", diff)
    assert text == (
        "joint_force removes fakes 3.20 h sooner at p95 compared with standard "
        "(95% CI 2.90-3.50 h)."
    )
    assert judgement("notice_to_removal_h_p95", diff) == "better"


def test_more_fake_sales_is_worse_and_said_so() -> None:
    diff = {"mean": 120.0, "ci_low": 80.0, "ci_high": 160.0, "significant": True}
    text = verdict("good_faith", "standard", "fake_sales", diff)
    assert text.startswith("good_faith lets 120 more fake sales through compared with standard")
    assert judgement("fake_sales", diff) == "worse"


def test_an_interval_across_zero_is_no_clear_difference() -> None:
    diff = {"mean": 0.01, "ci_low": -0.02, "ci_high": 0.04, "significant": False}
    text = verdict("jf", "std", "notices_within_24h_share", diff)
    assert text == (
        "jf: no clear difference from std in notices handled within 24 h "
        "(+1.00 pp, 95% CI -2.00 pp to +4.00 pp)."
    )
    assert judgement("notices_within_24h_share", diff) == "same"


def test_a_metric_with_no_better_direction_is_only_changed() -> None:
    diff = {"mean": 0.1, "ci_low": 0.05, "ci_high": 0.15, "significant": True}
    assert judgement("am_utilization", diff) == "changed"


def test_missing_interval_is_not_comparable() -> None:
    diff = {"mean": 1.0, "ci_low": None, "ci_high": None, "significant": False}
    assert "not comparable" in verdict("a", "b", "fake_sales", diff)
