"""DSA Art. 20 complaints by notifiers: against a review's rejection of a review-first
notice, or against an audit's reversal of a remove-first one (``sim.programmes`` draws who
complains). Each is decided by a second review at the notifier's desk. An upheld one
overturns the decision complained of: the notice counts as upheld (in the trace and in
the notifier's record) and its listings come down; after a reversal, they come down
again, once the reversal's restorations are done.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.account_manager import Decision, ReviewItem
from sim.policies import consequence

if TYPE_CHECKING:
    from sim.notices import NoticeLifecycle, OpenNotice


class NotifierComplaints:
    """The notifiers' complaints under review (by notice id), and the valid notices whose
    reversal an upheld complaint overturned, queued for the next tick."""

    def __init__(self, notices: NoticeLifecycle) -> None:
        self.notices = notices
        self.open: dict[int, OpenNotice] = {}
        # fakes of valid notices to take down again: (upheld at, notice id, notice)
        self.retaking: list[tuple[float, int, OpenNotice]] = []

    def rejected(self, notice: OpenNotice, t_h: float) -> None:
        """A review rejected ``notice``: its notifier may complain, about the rejection of a
        review-first notice, or about an audit's reversal of a remove-first one."""
        rules = self.notices.rules
        if notice.remove_first:
            if notice.audit and rules.complains_of_reversal():
                self.file(notice, t_h)
        elif rules.complains():
            self.file(notice, t_h)

    def file(self, notice: OpenNotice, t_h: float) -> None:
        """The notifier complains about the decision on ``notice``: a second review."""
        n = self.notices
        self.open[notice.nid] = notice
        n.agg.add("complaints_by_notifiers", t_h, 1.0)
        if n.events is not None:
            against = "audit_reversal" if notice.audit else "rejection"
            n.log_notice("complained", notice, t_h, against)
        priority = int(n.rules.priority[notice.notifier])
        item = ReviewItem(notice.nid, notice.brand, notice.valid, t_h, "complaint", priority)
        n.desks.for_brand(notice.notifier).submit(item)

    def decided(self, item: ReviewItem, d: Decision) -> None:
        """The second review: an upheld complaint overturns the rejection or reversal."""
        n = self.notices
        notice = self.open.pop(item.item_id)
        t_h = d.decided_h
        if n.events is not None:
            n.log_notice("complaint_decided", notice, t_h, "upheld" if d.approved else "rejected")
        if not d.approved:
            return
        n.log.upheld(notice.nid)
        n.holders.record.add("approved", notice.notifier, t_h)
        if notice.audit:
            self._reinstate(notice, t_h)
            return
        n.mark_noticed(notice.ids, notice.valid, True)
        n.follow(notice, consequence(True, notice.valid, False), t_h)

    def _reinstate(self, notice: OpenNotice, t_h: float) -> None:
        """What an audit's reversal restored comes down again: fakes at the next tick, after
        the reversal's restoration (which may still be queued); genuine listings now, and
        their sellers may counter-notify. The notice trace keeps the first removals."""
        n = self.notices
        if notice.valid:
            self.retaking.append((t_h, notice.nid, notice))
            return
        n.act_on(notice, t_h, trace=False)
        ids = notice.genuine_down
        if n.events is not None:
            brand = n.catalog.brand[ids]
            n.events.add(
                "removed_again", t_h, ids, brand, False, "complaint",
                notice=notice.nid, notifier=notice.notifier,
            )  # fmt: skip
        n.mark_noticed(notice.ids, False, False)
        n.contest(ids, t_h, charge_brand=True, notifier=notice.notifier)

    def retake_queued(self) -> None:
        """The queued fakes come down again, each notice's at its complaint's time."""
        for t_h, _, notice in sorted(self.retaking, key=itemgetter(0, 1)):
            self._retake(notice, t_h)
        self.retaking.clear()

    def _retake(self, notice: OpenNotice, t_h: float) -> None:
        """The notice's fakes still live (restored, not yet ended) come down at ``t_h``."""
        n = self.notices
        ids = np.sort(notice.ids)
        rows, live = n.store.locate(ids)
        rows, ids = rows[live], ids[live]
        brand = n.store.col("brand")[rows].astype(np.int64)
        account = n.store.col("account")[rows].astype(np.int64)
        here = n.removals.remove_rows(rows, t_h, "notice")
        k = int(np.count_nonzero(here))
        if k:
            n.agg.add(n.rules.action_key(notice.notifier), t_h, k)
        if n.events is not None:
            n.events.add(
                "removed_again", t_h, ids[here], brand[here], True, "complaint",
                account=account[here], notice=notice.nid, notifier=notice.notifier,
            )  # fmt: skip
