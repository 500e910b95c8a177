"""The metrics of notifiers and programmes: unfounded notices, audits, suspensions,
complaints, per-class review waits, and the DSA transparency counts (actions by source,
median time to action), so a run reads like a platform's Art. 15/24 report.

Computed from the notice trace, the running counts and the desks' waits; the names and
definitions are in ``sim.contract``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.review_classes import ORDINARY, PRIORITY
from sim.types import FloatArray, IntArray

PLATFORM_FAKE_CHANNELS = ("proactive", "lead", "ban")


def _share(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def _p95(values: FloatArray) -> float:
    return float(np.percentile(values, 95)) if len(values) else float("nan")


def notifier_metrics(
    counts: Mapping[str, float],
    notices: Mapping[str, np.ndarray],
    warmup_h: float,
    waits_h: FloatArray,
    wait_class: IntArray,
) -> dict[str, float]:
    """Every notifier and programme metric of the measured window."""
    inside = notices["t_h"] >= warmup_h
    outcome = notices["outcome"][inside]
    upheld = notices["upheld"][inside]
    judged = (outcome == "decided") | (outcome == "audited")
    audited = outcome == "audited"
    unfounded = float(np.count_nonzero(judged & ~upheld))
    acted = ~np.isnan(notices["removed_at_h"][inside])
    to_action = (notices["removed_at_h"][inside] - notices["t_h"][inside])[acted]
    bad_faith = notices["notifier_id"][inside] != notices["brand_id"][inside]
    voluntary = sum(counts[f"fake_removed_{ch}"] for ch in PLATFORM_FAKE_CHANNELS) + (
        counts["genuine_wrongly_removed"] - counts["genuine_removed_by_notice"]
    )
    waits, cls = np.asarray(waits_h, dtype=np.float64), np.asarray(wait_class)
    return {
        "notices_filed_bad_faith": float(np.count_nonzero(bad_faith)),
        "unfounded_notices": unfounded,
        "unfounded_notice_share": _share(unfounded, float(np.count_nonzero(judged))),
        "notifiers_suspended": counts["notifiers_suspended"],
        "audits": float(np.count_nonzero(audited)),
        "audit_reversals": float(np.count_nonzero(audited & ~upheld)),
        "complaints_by_notifiers": counts["complaints_by_notifiers"],
        "am_queue_wait_h_p95_priority": _p95(waits[cls == PRIORITY]),
        "am_queue_wait_h_p95_ordinary": _p95(waits[cls == ORDINARY]),
        "actions_by_source_article_16": counts["actions_source_article_16"],
        "actions_by_source_trusted_flagger": counts["actions_source_trusted_flagger"],
        "actions_by_source_voluntary": voluntary,
        "median_time_to_action_h": float(np.median(to_action)) if len(to_action) else np.nan,
    }
