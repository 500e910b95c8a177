"""The regression gate's statistics on synthetic data with known answers: Holm on a
textbook example, the t-tests against their formulas, the choice of test, the verdict
rule, and the stated power against simulation of the gate itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from sim.regression import stats

ALPHA_7 = 0.05 / 7  # Holm's first step for the seven headline metrics


def test_holm_on_the_textbook_example() -> None:
    """Four p-values, sorted 0.005 < 0.01 < 0.03 < 0.04: adjusted 4 x 0.005, 3 x 0.01,
    max(0.03, 2 x 0.03), max(0.06, 1 x 0.04): monotone in the sorted order."""
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # at 5% Holm rejects only the two smallest; Bonferroni (x4) would reject the same two
    adj = stats.holm([0.01, 0.04, 0.03, 0.005])
    assert [p < 0.05 for p in adj] == [True, False, False, True]


def test_holm_caps_at_one_and_leaves_nan_out_of_the_family() -> None:
    adj = stats.holm([0.6, math.nan, 0.02, 0.7])  # a family of three: 3 x 0.02, 2 x 0.6 > 1
    assert adj[0] == 1.0 and math.isnan(adj[1]) and adj[2] == pytest.approx(0.06)
    assert adj[3] == 1.0
    assert stats.holm([]) == []


def test_welch_matches_its_formula_and_scipy() -> None:
    """Welch's t, Satterthwaite's df, the two-sided p and the 90% interval by hand."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(1.0, 2.0, 8), rng.normal(0.0, 1.0, 11)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = a.mean() - b.mean()
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    se = math.sqrt(va + vb)
    t = stats.welch_test(a, b)
    assert t.test == "welch" and t.shift == pytest.approx(diff)
    assert t.p_value == pytest.approx(2 * sps.t.sf(abs(diff) / se, df), rel=1e-9)
    half = sps.t.ppf(0.95, df) * se
    assert (t.ci_low, t.ci_high) == pytest.approx((diff - half, diff + half), rel=1e-9)
    assert t.p_value == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)


def test_paired_matches_the_one_sample_test_of_differences() -> None:
    rng = np.random.default_rng(8)
    base = rng.normal(10.0, 3.0, 8)
    new = base + rng.normal(0.5, 0.2, 8)
    t = stats.paired_test(new, base)
    d = new - base
    se = d.std(ddof=1) / math.sqrt(d.size)
    assert t.test == "paired" and t.shift == pytest.approx(d.mean())
    assert t.p_value == pytest.approx(2 * sps.t.sf(abs(d.mean()) / se, d.size - 1), rel=1e-9)
    half = sps.t.ppf(0.95, d.size - 1) * se
    assert t.ci_high - t.ci_low == pytest.approx(2 * half, rel=1e-9)


def test_edge_cases_without_spread_or_data() -> None:
    same = [1.0, 2.0, 3.0]
    t = stats.shift_test(same, same, same_seeds=True)
    assert (t.test, t.shift, t.p_value) == ("identical", 0.0, 1.0)
    assert stats.welch_test([2.0, 2.0], [1.0, 1.0]).p_value == 0.0  # a sure shift
    assert stats.welch_test([math.nan] * 3, [math.nan] * 3).test == "no data"
    assert stats.welch_test([1.0], [1.0, 2.0]).test == "untestable"
    assert stats.verdict(stats.welch_test([1.0], [1.0, 2.0]), math.nan, 1.0) == stats.FAIL


def test_paired_only_when_the_same_seeds_share_draws() -> None:
    """Common random numbers: new = base + small noise correlates far above 0.9;
    independent draws of 8 pairs reach r >= 0.9 with probability about 0.1%."""
    rng = np.random.default_rng(9)
    base = rng.normal(0.0, 1.0, 8)
    shared = base + 0.3 + rng.normal(0.0, 0.05, 8)
    fresh = rng.normal(0.3, 1.0, 8)
    assert stats.shift_test(shared, base, same_seeds=True).test == "paired"
    assert stats.shift_test(shared, base, same_seeds=False).test == "welch"
    assert stats.shift_test(fresh, base, same_seeds=True).test == "welch"


def test_verdicts() -> None:
    """Fail only when significant after correction and not shown inside the margin."""
    t = stats.ShiftTest("welch", 0.5, 0.4, 0.6, 1e-6)
    assert stats.verdict(t, 1e-5, margin=1.0) == stats.WITHIN_MARGIN
    assert stats.verdict(t, 1e-5, margin=0.55) == stats.FAIL
    assert stats.verdict(t, 0.2, margin=0.1) == stats.PASS


def _simulated_fail_rate(shift: float, margin: float, trials: int, seed: int) -> float:
    """The gate's own steps on normal data: Welch, Bonferroni = Holm's first step, verdict."""
    rng = np.random.default_rng(seed)
    fails = 0
    for _ in range(trials):
        t = stats.welch_test(rng.normal(shift, 1.0, 8), rng.normal(0.0, 1.0, 8))
        fails += stats.verdict(t, min(1.0, 7 * t.p_value), margin) == stats.FAIL
    return fails / trials


@pytest.mark.parametrize(("shift", "margin"), [(2.1, 2.1), (1.3, 2.6), (2.6, 2.6), (0.0, 2.6)])
def test_power_formula_against_simulation(shift: float, margin: float) -> None:
    """2000 simulated gates of 8 vs 8 replications (sd 1, one metric of seven moved):
    the binomial standard error is at most 0.0112, so 0.04 is over 3.5 standard errors;
    the quadrature itself is accurate to about 1e-4."""
    predicted = stats.fail_probability(shift, 1.0, 8, margin, ALPHA_7)
    assert _simulated_fail_rate(shift, margin, 2000, seed=11) == pytest.approx(predicted, abs=0.04)


def test_power_grows_with_the_shift_and_the_replications() -> None:
    p = [stats.fail_probability(s, 1.0, 8, 2.0, ALPHA_7) for s in (0.0, 1.0, 2.0, 3.0)]
    assert p == sorted(p) and p[0] < 0.01 and p[-1] > 0.9
    assert stats.fail_probability(1.5, 1.0, 20, 1.5, ALPHA_7) > p[2]


def test_default_margin_separates_a_shift_from_half_of_it() -> None:
    """At the default margin a shift of it fails, and half of it passes, with >= 90%;
    the margin scales with the spread (two significant digits, rounded up)."""
    margin = stats.default_margin(1.0, 8, ALPHA_7)
    assert stats.fail_probability(margin, 1.0, 8, margin, ALPHA_7) >= 0.9
    assert 1 - stats.fail_probability(margin / 2, 1.0, 8, margin, ALPHA_7) >= 0.9
    assert stats.default_margin(10.0, 8, ALPHA_7) == pytest.approx(10 * margin, rel=0.05)
    assert stats.default_margin(1.0, 30, ALPHA_7) < margin  # more replications, finer


def test_power_summary_and_replications_for_a_margin() -> None:
    pw = stats.power(1.0, 8, 1.0, ALPHA_7)
    n = pw.reps_for_margin
    assert stats.fail_probability(1.0, 1.0, n, 1.0, ALPHA_7) >= 0.8
    assert stats.fail_probability(1.0, 1.0, n - 1, 1.0, ALPHA_7) < 0.8
    assert stats.fail_probability(pw.detectable_shift, 1.0, 8, 1.0, ALPHA_7) == pytest.approx(
        0.8, abs=1e-4
    )
    assert pw.power_at_margin < 0.8 < stats.power(1.0, n, 1.0, ALPHA_7).power_at_margin
