"""Statistics of the regression gate: the shift test of one metric, Holm's correction
across the family of metrics, the equivalence margin, and the gate's power.

A metric *fails* when its shift is significant after Holm's correction (family-wise error
``alpha``) and its ``1 - 2 * equivalence_alpha`` interval does not lie inside
``(-margin, margin)`` (TOST). So a shift that is shown to be smaller than the margin
passes however significant, and the power is stated for a shift equal to the margin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# scipy.stats is imported where it is used: it doubles the start-up of a gate whose
# replications all reproduce the baseline, which needs none of it

ALPHA = 0.05  # family-wise false-alarm rate across every metric and scenario checked
EQUIVALENCE_ALPHA = 0.05  # each one-sided test of TOST: a 90% interval against the margin
TARGET_POWER = 0.8  # the detectable shift is the one failed with this probability
# A margin nobody stated is the smallest where a shift of it fails, and half of it
# passes, each with this probability: about 3 standard deviations with 8 replications.
# (At 80% power alone, 2.1 sd, half the margin would fail one time in seven.)
MARGIN_POWER = 0.9
# Replications count as sharing their draws (paired test) above this correlation. Under
# independent draws and 8 replications, r >= 0.9 has probability about 0.1%.
COUPLED_R = 0.9
MAX_REPS = 100_000

PASS, WITHIN_MARGIN, FAIL = "pass", "within margin", "fail"


@dataclass(frozen=True)
class ShiftTest:
    """New replications against the baseline's: the shift of the mean and its test.

    ``test`` is "identical" (every value reproduced), "paired", "welch", "no data"
    (neither side has a value) or "untestable" (one side has fewer than two values).
    ``ci_low``/``ci_high`` bound the shift at ``1 - 2 * equivalence_alpha``.
    """

    test: str
    shift: float
    ci_low: float
    ci_high: float
    p_value: float

    def equivalent(self, margin: float) -> bool:
        """True when the interval lies inside (-margin, margin): TOST equivalence."""
        return bool(-margin < self.ci_low and self.ci_high < margin)


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    return arr[np.isfinite(arr)]


def _constant(shift: float, test: str) -> ShiftTest:
    """Both samples without spread: the shift is known exactly."""
    return ShiftTest(test, shift, shift, shift, 1.0 if shift == 0.0 else 0.0)


def welch_test(
    new: Sequence[float] | np.ndarray,
    base: Sequence[float] | np.ndarray,
    equivalence_alpha: float = EQUIVALENCE_ALPHA,
) -> ShiftTest:
    """Welch's two-sample t-test of mean(new) - mean(base), non-finite values dropped."""
    from scipy import stats

    a, b = _finite(new), _finite(base)
    if a.size == 0 and b.size == 0:
        return ShiftTest("no data", 0.0, 0.0, 0.0, 1.0)
    if a.size < 2 or b.size < 2:
        return ShiftTest("untestable", math.nan, math.nan, math.nan, math.nan)
    shift = float(a.mean() - b.mean())
    if a.var() == 0.0 and b.var() == 0.0:
        return _constant(shift, "welch")
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(1.0 - 2.0 * equivalence_alpha)
    return ShiftTest("welch", shift, float(ci.low), float(ci.high), float(res.pvalue))


def paired_test(
    new: Sequence[float] | np.ndarray,
    base: Sequence[float] | np.ndarray,
    equivalence_alpha: float = EQUIVALENCE_ALPHA,
) -> ShiftTest:
    """Paired t-test of the mean of new[i] - base[i]; pairs with a non-finite side dropped."""
    a, b = np.asarray(new, dtype=np.float64), np.asarray(base, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    if d.size < 2:
        return ShiftTest("untestable", math.nan, math.nan, math.nan, math.nan)
    if np.all(d == 0.0):
        return _constant(0.0, "identical")
    if d.var() == 0.0:
        return _constant(float(d.mean()), "paired")
    from scipy import stats

    res = stats.ttest_rel(a[keep], b[keep])
    ci = res.confidence_interval(1.0 - 2.0 * equivalence_alpha)
    return ShiftTest("paired", float(d.mean()), float(ci.low), float(ci.high), float(res.pvalue))


def coupled(
    new: Sequence[float] | np.ndarray, base: Sequence[float] | np.ndarray, r_min: float = COUPLED_R
) -> bool:
    """True when replication i of both runs shares its draws: every value reproduced, or
    the pairs correlate at ``r_min`` or more (common random numbers)."""
    a, b = np.asarray(new, dtype=np.float64), np.asarray(base, dtype=np.float64)
    if a.shape != b.shape:
        return False
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3:
        return False
    a, b = a[keep], b[keep]
    if np.array_equal(a, b):
        return True
    if a.std() == 0.0 or b.std() == 0.0:
        return False
    return float(np.corrcoef(a, b)[0, 1]) >= r_min


def shift_test(
    new: Sequence[float] | np.ndarray,
    base: Sequence[float] | np.ndarray,
    same_seeds: bool,
    equivalence_alpha: float = EQUIVALENCE_ALPHA,
    r_min: float = COUPLED_R,
) -> ShiftTest:
    """The paired test when the same seeds reproduce coupled draws, Welch otherwise."""
    if same_seeds and coupled(new, base, r_min):
        return paired_test(new, base, equivalence_alpha)
    return welch_test(new, base, equivalence_alpha)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (NaN stays NaN and is not counted in the family)."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    order = idx[np.argsort(p[idx], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p[i])))
        out[i] = running
    return [float(x) for x in out]


def verdict(test: ShiftTest, p_adjusted: float, margin: float, alpha: float = ALPHA) -> str:
    """pass, within margin (significant but shown smaller than the margin) or fail."""
    if test.test == "untestable" or not math.isfinite(p_adjusted):
        return FAIL
    if p_adjusted >= alpha:
        return PASS
    return WITHIN_MARGIN if test.equivalent(margin) else FAIL


def fail_probability(
    shift: float,
    sd: float,
    reps: int,
    margin: float,
    alpha: float,
    equivalence_alpha: float = EQUIVALENCE_ALPHA,
) -> float:
    """Probability that the gate fails a metric whose mean truly moved by ``shift``, when
    both runs have ``reps`` independent replications of spread ``sd`` (Welch's test).

    ``alpha`` is the level the metric's p-value must beat: Holm's first step, the
    family-wise level over the family size, so this is a lower bound when several metrics
    move. Normal theory: the estimate is N(shift, se^2) with se = sd * sqrt(2 / reps);
    the two sample variances are independent scaled chi-squares with reps - 1 degrees of
    freedom, and they give both the estimated standard error and Welch's degrees of
    freedom. The gate fails when |estimate| >= max(t_crit * se_hat, margin - t_eq *
    se_hat), both t quantiles at Welch's degrees of freedom.
    """
    from scipy import stats

    if not sd > 0.0:
        return 1.0 if shift != 0.0 and abs(shift) >= margin else 0.0
    se = sd * math.sqrt(2.0 / reps)
    crit, eq, weight = _welch_nodes(reps - 1, alpha, equivalence_alpha)
    h = np.maximum(crit, margin / se - eq)
    z = abs(shift) / se
    inner = stats.norm.sf(h - z) + stats.norm.cdf(-h - z)
    return float(np.dot(weight, inner))


# Gauss-Legendre on the probability scale of each sample variance's chi-square: a
# smooth integral over the unit square, accurate to about 1e-4 (checked against scipy's
# adaptive quadrature while building it, and against simulation in the tests)
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


@lru_cache(maxsize=64)
def _welch_nodes(dof: int, alpha: float, eq_alpha: float) -> tuple[np.ndarray, ...]:
    """Quadrature over both sample variances: at each node, the critical and the
    equivalence t quantile at Welch's df times se_hat / se, and the node's weight."""
    from scipy import stats

    u = stats.chi2.ppf((_NODES + 1.0) / 2.0, dof) / dof
    u1, u2 = np.meshgrid(u, u)
    weight = np.outer(_WEIGHTS, _WEIGHTS).ravel() / 4.0
    ratio = np.sqrt((u1 + u2) / 2.0).ravel()
    df = (dof * (u1 + u2) ** 2 / (u1**2 + u2**2)).ravel()
    crit = stats.t.ppf(1.0 - alpha / 2.0, df) * ratio
    eq = stats.t.ppf(1.0 - eq_alpha, df) * ratio
    return crit, eq, weight


@dataclass(frozen=True)
class Power:
    """What the gate can detect for one metric at a replication count."""

    margin: float
    power_at_margin: float  # probability that a shift of exactly the margin fails
    detectable_shift: float  # smallest shift failed with TARGET_POWER (given the margin)
    reps_for_margin: int  # replications giving TARGET_POWER at the margin


def _rule(sd: float, reps: int, margin: float, alpha: float, eq: float, shift: float) -> float:
    return fail_probability(shift, sd, reps, margin, alpha, eq)


def default_margin(
    sd: float,
    reps: int,
    alpha: float,
    equivalence_alpha: float = EQUIVALENCE_ALPHA,
    target: float = MARGIN_POWER,
) -> float:
    """The smallest margin the gate separates at ``target``: a shift of the margin fails
    and a shift of half of it passes, each with probability ``target`` or more (rounded
    up to two significant digits). For metrics whose margin nobody stated."""
    from scipy import optimize

    if not sd > 0.0:
        return 0.0

    def power_gap(m: float) -> float:
        return _rule(sd, reps, m, alpha, equivalence_alpha, m) - target

    def half_gap(m: float) -> float:
        return 1.0 - _rule(sd, reps, m, alpha, equivalence_alpha, m / 2.0) - target

    root = float(optimize.brentq(power_gap, 1e-6 * sd, 100.0 * sd, xtol=1e-6 * sd))
    if half_gap(root) < 0.0:  # the half-shift pass rate dips, then climbs with the margin
        root = float(optimize.brentq(half_gap, root, 100.0 * sd, xtol=1e-6 * sd))
    digits = 1 - math.floor(math.log10(root))
    return round(math.ceil(root * 10.0**digits) / 10.0**digits, digits)


def power(
    sd: float,
    reps: int,
    margin: float,
    alpha: float,
    equivalence_alpha: float = EQUIVALENCE_ALPHA,
    target: float = TARGET_POWER,
) -> Power:
    """The gate's power for one metric of spread ``sd`` with ``reps`` replications a side."""
    from scipy import optimize

    if not sd > 0.0:
        return Power(margin, 1.0, margin, 2)
    at_margin = _rule(sd, reps, margin, alpha, equivalence_alpha, margin)

    def gap(shift: float) -> float:
        return _rule(sd, reps, margin, alpha, equivalence_alpha, shift) - target

    hi = max(margin, sd)
    while gap(hi) < 0.0:
        hi *= 2.0
    shift = float(optimize.brentq(gap, 0.0, hi, xtol=1e-6 * sd))
    need = reps_for_margin(sd, margin, alpha, equivalence_alpha, target)
    return Power(margin, at_margin, shift, need)


def reps_for_margin(
    sd: float,
    margin: float,
    alpha: float,
    equivalence_alpha: float = EQUIVALENCE_ALPHA,
    target: float = TARGET_POWER,
) -> int:
    """Fewest replications a side for which a shift of the margin fails with ``target``."""
    if not sd > 0.0:
        return 2
    if not margin > 0.0:
        return MAX_REPS

    def enough(n: int) -> bool:
        return _rule(sd, n, margin, alpha, equivalence_alpha, margin) >= target

    hi = 2
    while not enough(hi):
        if hi >= MAX_REPS:
            return MAX_REPS
        hi = min(MAX_REPS, hi * 2)
    lo = max(2, hi // 2)
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid + 1, hi)
    return hi
