"""How each metric is named, scaled and phrased for a policy reader.

One table maps a metric to its label and the words for "this strategy moved it up /
down"; its unit and better direction come from the contract (``sim.contract``). The
headline sentences read like "joint_force removes fakes 3.2 h sooner at p95 (95% CI 2.9-3.5)".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TypeGuard

from reports.wording_table import WORDING as WORDING
from reports.wording_table import Wording as Wording
from sim.contract import SUMMARY_METRICS


def wording(metric: str) -> Wording:
    """The display rules for ``metric``; unknown metrics get a neutral generic phrase."""
    found = WORDING.get(metric)
    if found is not None:
        return found
    name = metric.replace("_", " ")
    return Wording(name, "", "", None, f"raises {name} by {{v}}", f"lowers {name} by {{v}}")


def headline_metrics() -> tuple[str, ...]:
    """The metrics for the headline table: the contract's headline list and the money a
    policy costs and the harm it does (one source of truth)."""
    return SUMMARY_METRICS


def is_number(value: object) -> TypeGuard[float]:
    """True for a finite int or float (not bool, not None, not NaN)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def fmt_number(value: float | None) -> str:
    """A number for people: thousands separators, about three significant digits."""
    if value is None or not math.isfinite(value):
        return "n/a"
    mag = abs(value)
    if mag >= 1000:
        text = f"{value:,.0f}"
    elif mag >= 100:
        text = f"{value:.0f}"
    elif mag >= 10:
        text = f"{value:.1f}"
    elif mag >= 1:
        text = f"{value:.2f}"
    elif mag == 0:
        text = "0"
    else:
        text = f"{value:.3f}"
    return "0" if text in {"-0", "-0.0", "-0.00", "-0.000"} else text


def fmt_value(metric: str, value: float | None) -> str:
    """A metric's value with its unit, e.g. ``95.3%`` or ``3.20 h``."""
    w = wording(metric)
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{fmt_number(value * w.scale)}{w.unit}"


def fmt_diff(metric: str, value: float | None) -> str:
    """A signed difference with its unit, e.g. ``-3.20 h`` or ``+1.5 pp``."""
    w = wording(metric)
    if value is None or not math.isfinite(value):
        return "n/a"
    text = fmt_number(value * w.scale)
    sign = "+" if value > 0 and text != "0" else ""
    return f"{sign}{text}{w.diff_unit}"


def verdict(label: str, baseline: str, metric: str, diff: Mapping[str, object]) -> str:
    """One plain sentence for ``label`` against ``baseline`` on ``metric``.

    A significant difference reads "joint_force removes fakes 3.20 h sooner at p95 compared
    with standard (95% CI 2.90-3.50)"; otherwise it says there is no clear difference.
    """
    w = wording(metric)
    mean, low, high = diff.get("mean"), diff.get("ci_low"), diff.get("ci_high")
    if not (is_number(mean) and is_number(low) and is_number(high)):
        return f"{label} vs {baseline}: {w.label} not comparable (too few replications or no data)."
    if not bool(diff.get("significant")):
        return (
            f"{label}: no clear difference from {baseline} in {w.label} "
            f"({fmt_diff(metric, mean)}, 95% CI {fmt_diff(metric, low)} "
            f"to {fmt_diff(metric, high)})."
        )
    phrase = w.up if mean > 0 else w.down
    size = f"{fmt_number(abs(mean) * w.scale)}{w.diff_unit}"
    lo, hi = sorted((abs(low) * w.scale, abs(high) * w.scale))
    return (
        f"{label} {phrase.format(v=size)} compared with {baseline} "
        f"(95% CI {fmt_number(lo)}-{fmt_number(hi)}{w.diff_unit})."
    )


def judgement(metric: str, diff: Mapping[str, object]) -> str:
    """``better``, ``worse``, ``changed`` (no better direction) or ``same`` (not significant)."""
    mean = diff.get("mean")
    if not bool(diff.get("significant")) or not is_number(mean):
        return "same"
    better = wording(metric).higher_better
    if better is None:
        return "changed"
    return "better" if (mean > 0) == better else "worse"
