"""Wording of the harm metrics: what buyers of fakes pay, what honest sellers lose, and
how their counter-notices end (kept apart from ``reports.wording`` for its size)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

W = TypeVar("W")


def harm_wording(rules: Callable[[str, str, str, str], W]) -> dict[str, W]:
    """The wordings, built with ``reports.wording``'s rules (unit and direction from the
    contract)."""
    return {
        "consumer_harm_usd": rules(
            "consumer_harm_usd",
            "paid for fakes by deceived buyers",
            "lets deceived buyers pay {v} more for fakes",
            "spares deceived buyers {v} paid for fakes",
        ),
        "legit_sales_lost_usd": rules(
            "legit_sales_lost_usd",
            "honest sellers' lost sales",
            "costs honest sellers {v} more in lost sales",
            "costs honest sellers {v} less in lost sales",
        ),
        "legit_seller_strikes": rules(
            "legit_seller_strikes",
            "strikes on honest sellers",
            "strikes honest sellers {v} more times",
            "strikes honest sellers {v} fewer times",
        ),
        "legit_sellers_banned": rules(
            "legit_sellers_banned",
            "honest sellers banned",
            "bans {v} more honest sellers",
            "bans {v} fewer honest sellers",
        ),
        "counter_notices_upheld": rules(
            "counter_notices_upheld",
            "counter-notices rejected (removal upheld)",
            "upholds {v} more wrongful removals against counter-notices",
            "upholds {v} fewer wrongful removals against counter-notices",
        ),
        "counter_notices_restored": rules(
            "counter_notices_restored",
            "counter-notices that restored a listing",
            "restores {v} more listings on counter-notice",
            "restores {v} fewer listings on counter-notice",
        ),
        "counter_notice_restore_h_p50": rules(
            "counter_notice_restore_h_p50",
            "wrongful removal to restoration, median",
            "restores wrongly removed listings {v} later (median)",
            "restores wrongly removed listings {v} sooner (median)",
        ),
        "counter_notice_restore_h_p95": rules(
            "counter_notice_restore_h_p95",
            "wrongful removal to restoration, p95",
            "restores wrongly removed listings {v} later (p95)",
            "restores wrongly removed listings {v} sooner (p95)",
        ),
    }
