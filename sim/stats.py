"""Statistics for replicated experiments: Student-t confidence intervals, paired and
unpaired differences, and the stopping rule for sequential replications.

Every function takes plain sequences of per-replication values and ignores non-finite
entries (a metric with no data in a replication is NaN there), so one empty run does not
poison the whole interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
Values = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class Interval:
    """A sample mean with its confidence interval; bounds are NaN with fewer than 2 values."""

    mean: float
    ci_low: float
    ci_high: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN when undefined)."""
        return (self.ci_high - self.ci_low) / 2.0

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero (used for differences)."""
        return bool(self.ci_low > 0.0 or self.ci_high < 0.0)

    def as_dict(self) -> dict[str, float | None]:
        """JSON-ready ``{"mean", "ci_low", "ci_high"}`` with NaN as None."""
        return {
            "mean": _json(self.mean),
            "ci_low": _json(self.ci_low),
            "ci_high": _json(self.ci_high),
        }


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _finite(values: Iterable[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(list(values), dtype=np.float64)
    return arr[np.isfinite(arr)]


def t_quantile(df: float, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student-t critical value for ``df`` degrees of freedom."""
    from scipy.special import stdtrit  # lighter to import than scipy.stats

    return float(stdtrit(df, 0.5 + confidence / 2.0))


def mean_ci(values: Values, confidence: float = CONFIDENCE) -> Interval:
    """Mean and Student-t confidence interval of independent replications."""
    x = _finite(values)
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, n)
    sd = float(x.std(ddof=1))
    if sd == 0.0:
        return Interval(mean, mean, mean, n)
    half = t_quantile(n - 1, confidence) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def paired_difference(
    treatment: Values, control: Values, confidence: float = CONFIDENCE
) -> Interval:
    """CI of the mean of ``treatment[i] - control[i]`` (common random numbers, paired by i).

    Pairs where either side is not finite are dropped together.
    """
    a = np.asarray(treatment, dtype=np.float64)
    b = np.asarray(control, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.size} vs {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    return mean_ci(a[keep] - b[keep], confidence)


def unpaired_difference(
    treatment: Values, control: Values, confidence: float = CONFIDENCE
) -> Interval:
    """Welch CI of ``mean(treatment) - mean(control)`` for independent samples."""
    a, b = _finite(treatment), _finite(control)
    if a.size == 0 or b.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    diff = float(a.mean() - b.mean())
    n = int(min(a.size, b.size))
    if a.size < 2 or b.size < 2:
        return Interval(diff, math.nan, math.nan, n)
    va, vb = float(a.var(ddof=1)) / a.size, float(b.var(ddof=1)) / b.size
    se2 = va + vb
    if se2 == 0.0:
        return Interval(diff, diff, diff, n)
    df = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = t_quantile(df, confidence) * math.sqrt(se2)
    return Interval(diff, diff - half, diff + half, n)


def precision_met(interval: Interval, precision: float) -> bool:
    """True when the half-width is within ``precision`` times |mean| (or exactly zero)."""
    if interval.n < 2:
        return False
    half = interval.half_width
    if not math.isfinite(half):
        return False
    return half == 0.0 or half <= precision * abs(interval.mean)


def reps_needed(intervals: Iterable[Interval], precision: float) -> int:
    """Replications the widest interval needs to reach ``precision`` (CI shrinks as 1/sqrt n).

    Returns the current count when every interval already meets it. Intervals whose mean is
    zero but whose width is not get one more replication each round (no ratio to scale by).
    """
    need = 0
    for iv in intervals:
        if precision_met(iv, precision):
            need = max(need, iv.n)
            continue
        target = precision * abs(iv.mean)
        if iv.n < 2 or target == 0.0 or not math.isfinite(iv.half_width):
            need = max(need, iv.n + 1)
            continue
        need = max(need, math.ceil(iv.n * (iv.half_width / target) ** 2))
    return need


def next_rep_count(current: int, intervals: Iterable[Interval], precision: float, cap: int) -> int:
    """How many replications to have after the next round of a sequential experiment.

    At least one more, at most double (the estimate from few replications is rough), never
    beyond ``cap``. Depends only on the results, never on the number of workers, so the
    stopping point is the same on any backend.
    """
    need = reps_needed(intervals, precision)
    if need <= current:
        return current
    return min(cap, max(current + 1, min(need, 2 * current)))
