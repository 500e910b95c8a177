"""Labels and phrases of the notifier, programme and DSA transparency metrics, as rows
(metric, label, up, down) that ``reports.wording_table`` turns into its entries."""

from __future__ import annotations

NOTIFIER_WORDING: tuple[tuple[str, str, str, str], ...] = (
    (
        "notices_filed_bad_faith",
        "bad-faith notices filed",
        "sees {v} more bad-faith notices",
        "sees {v} fewer bad-faith notices",
    ),
    (
        "unfounded_notices",
        "notices found unfounded",
        "finds {v} more notices unfounded",
        "finds {v} fewer notices unfounded",
    ),
    (
        "unfounded_notice_share",
        "share of decided notices found unfounded",
        "finds {v} more of its decided notices unfounded",
        "finds {v} fewer of its decided notices unfounded",
    ),
    (
        "notifiers_suspended",
        "notifiers suspended (Art. 23)",
        "suspends {v} more notifiers",
        "suspends {v} fewer notifiers",
    ),
    ("audits", "self-service notices audited", "audits {v} more", "audits {v} fewer"),
    (
        "audit_reversals",
        "audits that reversed a removal",
        "reverses {v} more removals on audit",
        "reverses {v} fewer removals on audit",
    ),
    (
        "complaints_by_notifiers",
        "complaints by notifiers (Art. 20)",
        "gets {v} more complaints from notifiers",
        "gets {v} fewer complaints from notifiers",
    ),
    (
        "am_queue_wait_h_p95_priority",
        "review wait p95, priority class",
        "makes priority reviews wait {v} longer (p95)",
        "makes priority reviews wait {v} less (p95)",
    ),
    (
        "am_queue_wait_h_p95_ordinary",
        "review wait p95, ordinary class",
        "makes ordinary reviews wait {v} longer (p95)",
        "makes ordinary reviews wait {v} less (p95)",
    ),
    (
        "actions_by_source_article_16",
        "removals on Art. 16 notices",
        "removes {v} more listings on Art. 16 notices",
        "removes {v} fewer listings on Art. 16 notices",
    ),
    (
        "actions_by_source_trusted_flagger",
        "removals on trusted flaggers' notices",
        "removes {v} more listings on trusted flaggers' notices",
        "removes {v} fewer listings on trusted flaggers' notices",
    ),
    (
        "actions_by_source_voluntary",
        "removals on own initiative",
        "removes {v} more listings on its own initiative",
        "removes {v} fewer listings on its own initiative",
    ),
    (
        "median_time_to_action_h",
        "notice to first removal, median",
        "acts on notices {v} later (median)",
        "acts on notices {v} sooner (median)",
    ),
    (
        "notice_precision_reviewed",
        "notices upheld on review",
        "sees {v} more of the reviewed notices upheld",
        "sees {v} fewer of the reviewed notices upheld",
    ),
)
