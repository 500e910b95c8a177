"""The metrics of notifiers and programmes, and the DSA transparency counts, as rows of
``sim.contract.Metric`` (name, unit, higher is better, definition); computed in
``sim.metrics_notifiers``."""

from __future__ import annotations

_LOWER, _HIGHER, _NEITHER = False, True, None

_CLASS_WAIT = (
    "The 95th percentile of the hours reviews of the {cls} class waited in a queue before a "
    "manager started them, over reviews started in the window (NaN when none): {which}."
)
_PRIORITY = "notices of the programmes in review_priority.first (and their complaints)"
_ORDINARY = "every other review, counter-notices included (all reviews when no class is first)"

NOTIFIER_METRICS: tuple[tuple[str, str, bool | None, str], ...] = (
    (
        "notices_filed_bad_faith",
        "count",
        _LOWER,
        "Notices filed in the window by bad-faith notifiers ([abusers]), valid cover included "
        "(part of notices_filed).",
    ),
    (
        "unfounded_notices",
        "count",
        _LOWER,
        "Notices filed in the window whose review or audit rejected them and that no "
        "complaint got upheld (as judged, not as drawn: review mistakes count).",
    ),
    (
        "unfounded_notice_share",
        "share",
        _LOWER,
        "unfounded_notices over the notices filed in the window that a review or an audit "
        "decided by the horizon.",
    ),
    (
        "notifiers_suspended",
        "count",
        _NEITHER,
        "Distinct notifiers suspended under the misuse policy (DSA Art. 23) in the window.",
    ),
    (
        "audits",
        "count",
        _NEITHER,
        "Remove-first notices of an audited programme (project_zero self-service, and those "
        "in audits.programmes) filed in the window that were sampled for an audit and "
        "audited by the horizon.",
    ),
    (
        "audit_reversals",
        "count",
        _LOWER,
        "Of audits, those that rejected the notice (its listings restored, the rejection "
        "counted against the notifier) and that no complaint against the reversal got "
        "upheld.",
    ),
    (
        "complaints_by_notifiers",
        "count",
        _NEITHER,
        "Complaints (DSA Art. 20) notifiers filed in the window against the rejection of their "
        "review-first notices or an audit's reversal of their remove-first ones; sellers' "
        "counter-notices are counter_notices.",
    ),
    (
        "am_queue_wait_h_p95_priority",
        "h",
        _LOWER,
        _CLASS_WAIT.format(cls="priority", which=_PRIORITY),
    ),
    (
        "am_queue_wait_h_p95_ordinary",
        "h",
        _LOWER,
        _CLASS_WAIT.format(cls="ordinary", which=_ORDINARY),
    ),
    (
        "actions_by_source_article_16",
        "count",
        _NEITHER,
        "Listings (fakes and genuine) taken down in the window by notices of notifiers that "
        "are not trusted flaggers (DSA Art. 16 notices), on filing or after review.",
    ),
    (
        "actions_by_source_trusted_flagger",
        "count",
        _NEITHER,
        "Listings taken down in the window by notices of trusted flaggers (the "
        "trusted_flagger programme, DSA Art. 22).",
    ),
    (
        "actions_by_source_voluntary",
        "count",
        _NEITHER,
        "Listings taken down in the window on the platform's own initiative: fakes removed "
        "proactively, by confirmed leads and by bans, plus genuine listings its checks "
        "removed by mistake. The three actions_by_source counts add up to every removal "
        "but the sellers' own.",
    ),
    (
        "median_time_to_action_h",
        "h",
        _LOWER,
        "The median, over notices filed in the window that took any listing down, of the "
        "hours from filing to the first removal (one observation per notice; DSA Art. 15).",
    ),
    (
        "notice_precision_reviewed",
        "share",
        _HIGHER,
        "Measured beside notice_precision: among notices filed in the window that a review "
        "or an audit decided by the horizon, the share upheld (on that decision or on the "
        "notifier's complaint against it); "
        "NaN when none was decided. Notices final on filing or still open are left out.",
    ),
)
