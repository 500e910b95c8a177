"""Confidence intervals, paired/unpaired differences and the sequential stopping rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.stats import (
    Interval,
    mean_ci,
    next_rep_count,
    paired_difference,
    precision_met,
    reps_needed,
    t_quantile,
    unpaired_difference,
)
from tests.hypo import examples


def test_mean_ci_matches_the_textbook_formula() -> None:
    # x = 1..5: mean 3, sd sqrt(2.5), t(0.975, 4) = 2.7764451
    iv = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert iv.mean == 3.0
    assert iv.ci_low == pytest.approx(3.0 - half, rel=1e-12)
    assert iv.ci_high == pytest.approx(3.0 + half, rel=1e-12)
    assert iv.n == 5


def test_t_quantile_known_values() -> None:
    assert t_quantile(1) == pytest.approx(12.706204736, rel=1e-9)
    assert t_quantile(30) == pytest.approx(2.042272456, rel=1e-9)


def test_undefined_intervals_are_nan_and_serialise_as_null() -> None:
    one = mean_ci([4.0])
    assert one.mean == 4.0 and math.isnan(one.ci_low) and math.isnan(one.ci_high)
    assert one.as_dict() == {"mean": 4.0, "ci_low": None, "ci_high": None}
    empty = mean_ci([math.nan, math.inf])
    assert empty.n == 0 and math.isnan(empty.mean)


def test_non_finite_values_are_ignored() -> None:
    assert mean_ci([1.0, math.nan, 3.0]) == mean_ci([1.0, 3.0])


def test_constant_sample_has_a_zero_width_interval() -> None:
    iv = mean_ci([2.5] * 6)
    assert (iv.ci_low, iv.ci_high) == (2.5, 2.5)
    assert iv.significant  # a constant non-zero difference excludes 0


def test_paired_difference_of_identical_samples_is_exactly_zero() -> None:
    x = [3.1, 7.4, 2.2, 9.9]
    d = paired_difference(x, list(x))
    assert (d.mean, d.ci_low, d.ci_high) == (0.0, 0.0, 0.0)
    assert not d.significant


def test_paired_difference_drops_incomplete_pairs_together() -> None:
    d = paired_difference([1.0, math.nan, 5.0], [0.0, 2.0, 1.0])
    assert d.n == 2 and d.mean == pytest.approx(2.5)


def test_paired_difference_rejects_unequal_lengths() -> None:
    with pytest.raises(ValueError, match="length"):
        paired_difference([1.0, 2.0], [1.0])


def test_pairing_removes_shared_noise() -> None:
    # a large shared component per replication (the marketplace) plus a small effect:
    # pairing cancels the shared part, Welch does not
    rng = np.random.default_rng(1)
    shared = rng.normal(100.0, 20.0, 20)
    a = shared + rng.normal(0.0, 1.0, 20)
    b = shared + 2.0 + rng.normal(0.0, 1.0, 20)
    paired, unpaired = paired_difference(b, a), unpaired_difference(b, a)
    assert paired.significant and not unpaired.significant
    assert unpaired.half_width > 5 * paired.half_width


def test_welch_matches_scipy() -> None:
    from scipy import stats

    a = [1.0, 2.0, 4.0, 8.0, 3.0]
    b = [2.0, 2.5, 3.0, 2.0]
    iv = unpaired_difference(a, b)
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert iv.ci_low == pytest.approx(ci.low, rel=1e-9)
    assert iv.ci_high == pytest.approx(ci.high, rel=1e-9)


def test_coverage_of_the_t_interval() -> None:
    # 2000 intervals from n=5 normal samples: coverage ~ Binomial(2000, 0.95), sd 0.0049,
    # so [0.93, 0.97] is a +-4 sd band; a z-interval (no t) would cover only ~0.88
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(2000):
        iv = mean_ci(rng.normal(10.0, 3.0, 5))
        hits += iv.ci_low <= 10.0 <= iv.ci_high
    assert 0.93 <= hits / 2000 <= 0.97


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30))
def test_interval_contains_its_mean(values: list[float]) -> None:
    iv = mean_ci(values)
    assert iv.ci_low <= iv.mean <= iv.ci_high


def test_precision_rule() -> None:
    assert precision_met(Interval(100.0, 96.0, 104.0, 10), 0.05)
    assert not precision_met(Interval(100.0, 90.0, 110.0, 10), 0.05)
    assert precision_met(Interval(0.0, 0.0, 0.0, 3), 0.05)
    assert not precision_met(Interval(5.0, math.nan, math.nan, 1), 0.05)


def test_reps_needed_scales_with_the_square_of_the_width_ratio() -> None:
    # half-width 10 at n=5, target 5 -> (10/5)^2 * 5 = 20
    assert reps_needed([Interval(100.0, 90.0, 110.0, 5)], 0.05) == 20
    assert reps_needed([Interval(100.0, 99.0, 101.0, 5)], 0.05) == 5


def test_next_rep_count_grows_at_most_double_and_respects_the_cap() -> None:
    wide = [Interval(100.0, 50.0, 150.0, 5)]
    assert next_rep_count(5, wide, 0.05, cap=100) == 10
    assert next_rep_count(5, wide, 0.05, cap=7) == 7
    assert next_rep_count(5, [Interval(100.0, 99.0, 101.0, 5)], 0.05, cap=100) == 5
    # zero mean with spread: one more each round (no ratio to scale)
    assert next_rep_count(5, [Interval(0.0, -1.0, 1.0, 5)], 0.05, cap=100) == 6
