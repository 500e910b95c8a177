"""The public contract of a run's outputs: what other packages may rely on.

Each metric's name, unit and better direction, the headline list, and how a run
folder is named inside an experiment's output. ``reports`` reads result folders
and this module, never the model's internals; the model writes what is listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# units: count (things), ratio (count / count), share (0..1), h (hours),
# USD, listing_days (listings x days up)
UNITS = ("count", "ratio", "share", "h", "USD", "listing_days")


@dataclass(frozen=True)
class Metric:
    """One metric of ``summary.json``: its unit and which way is better (None: neither)."""

    name: str
    unit: str
    higher_better: bool | None


_LOWER, _HIGHER, _NEITHER = False, True, None

METRICS: tuple[Metric, ...] = (
    Metric("fake_listings_created", "count", _LOWER),
    Metric("fake_removed_proactive", "count", _HIGHER),
    Metric("fake_removed_notice", "count", _NEITHER),
    Metric("fake_removed_lead", "count", _HIGHER),
    Metric("fake_removed_ban", "count", _HIGHER),
    Metric("fake_removed_seller", "count", _NEITHER),
    Metric("proactive_to_notice_ratio", "ratio", _HIGHER),
    Metric("removed_before_first_sale_share", "share", _HIGHER),
    Metric("fake_exposure_listing_days", "listing_days", _LOWER),
    Metric("fake_views", "count", _LOWER),
    Metric("fake_sales", "count", _LOWER),
    Metric("fake_sales_value", "USD", _LOWER),
    Metric("notices_filed", "count", _NEITHER),
    Metric("notice_precision", "share", _HIGHER),
    Metric("notice_to_removal_h_p50", "h", _LOWER),
    Metric("notice_to_removal_h_p90", "h", _LOWER),
    Metric("notice_to_removal_h_p95", "h", _LOWER),
    Metric("notice_to_removal_h_p99", "h", _LOWER),
    Metric("notices_within_24h_share", "share", _HIGHER),
    Metric("genuine_wrongly_removed", "count", _LOWER),
    Metric("wrongful_removal_days", "listing_days", _LOWER),
    Metric("counter_notices", "count", _LOWER),
    Metric("restorations", "count", _NEITHER),
    Metric("fake_listings_restored", "count", _LOWER),
    Metric("am_utilization", "share", _NEITHER),
    Metric("am_queue_wait_h_p50", "h", _LOWER),
    Metric("am_queue_wait_h_p95", "h", _LOWER),
    Metric("am_hours", "h", _LOWER),
    Metric("accounts_banned", "count", _NEITHER),
    Metric("counterfeiters_active_end", "count", _LOWER),
    Metric("relists", "count", _LOWER),
)

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

_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")


def safe_name(label: str) -> str:
    """The folder name of a scenario's (or sweep point's) runs: ``runs/<safe_name>/rep-NNN``."""
    return _UNSAFE.sub("_", label).strip("_") or "scenario"
