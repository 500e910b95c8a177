"""The notice lifecycle: a notice from filing to its last consequence.

Filed (logged, counted, submitted to its brand's desk); on a remove-first route its
listings come down at once. Decided: what follows depends on the decision, the
notice's validity and its route (``sim.policies.CONSEQUENCES``): the listings come down,
are released for later notices or restored, and sellers may counter-notify genuine
listings taken down wrongly. On an audited route (``sim.programmes``) a remove-first
notice not sampled for an audit is final on filing. Notifiers' complaints against a
rejection or an audit's reversal are ``sim.complaints``. Every step is handed the notice
it acts on.

Fakes named by a review-first notice come down at the notice's approval time, but in
one batch at the start of the next hourly tick, before any sweep reads the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np

from sim.agents.account_manager import Decision, ReviewDesks, ReviewItem
from sim.agents.legit_seller import LegitSellers
from sim.agents.rights_holder import Draft, RightsHolders
from sim.complaints import NotifierComplaints
from sim.metrics import DailySeries
from sim.policies import Consequence, Policy, consequence, route_name
from sim.programmes import NoticeRules
from sim.removals import Removals
from sim.store import ListingStore
from sim.traces import NoticeLog
from sim.types import FloatArray, IntArray


def _no_ids() -> IntArray:
    return np.empty(0, dtype=np.int64)


@dataclass(slots=True)
class OpenNotice:
    """A filed notice not yet decided: what it names and how it is being handled."""

    nid: int  # its row in the notice trace
    ids: IntArray
    valid: bool
    brand: int
    remove_first: bool
    notifier: int  # who filed it (the brand's own id for a brand)
    audit: bool = False  # remove-first on an audited route, sampled for an audit
    genuine_down: IntArray = field(default_factory=_no_ids)  # taken down by this notice
    # fakes a remove-first notice took down on filing, held until its review: their ids,
    # when the seller would have ended them, and when they came down
    held_ids: IntArray = field(default_factory=_no_ids)
    held_expires_h: FloatArray = field(default_factory=lambda: np.empty(0))
    held_h: float = 0.0


class NoticeLifecycle:
    """Every notice of a run, from filing to decision, and the counter-notices."""

    def __init__(
        self,
        *,
        store: ListingStore,
        legit: LegitSellers,
        holders: RightsHolders,
        policies: tuple[Policy, ...],
        log: NoticeLog,
        daily: DailySeries,
        desks: ReviewDesks,
        removals: Removals,
        rules: NoticeRules,
    ) -> None:
        self.store = store
        self.legit = legit
        self.catalog = legit.catalog
        self.holders = holders
        self.policies = policies
        self.log = log
        self.daily = daily
        self.desks = desks
        self.removals = removals
        self.rules = rules
        self.agg = removals.agg
        self.events = removals.events
        self.open: dict[int, OpenNotice] = {}
        self.complaints = NotifierComplaints(self)
        # approved review-first valid notices: (approved at, notice id, notice)
        self.pending: list[tuple[float, int, OpenNotice]] = []
        # rejected remove-first valid notices: (rejected at, notice id, notice)
        self.restoring: list[tuple[float, int, OpenNotice]] = []
        self._decided_by_kind = {
            "notice": self._notice_decided,
            "counter_notice": self._counter_decided,
            "complaint": self.complaints.decided,
        }

    # ------------------------------------------------------------------ filing

    def file_found(self, found_rows: IntArray, now_h: float) -> None:
        """The brands sweeping now file notices on the fakes they found (valid, filed
        together) and their mistaken ones on genuine listings (filed one by one: a
        genuine listing under a notice is not picked again)."""
        store = self.store
        if self.rules.any_suspended:
            brands = store.col("brand")[found_rows].astype(np.int64)
            found_rows = found_rows[self.rules.may_file(brands, now_h)]
        valid = self.holders.drafts(
            store.col("brand")[found_rows].astype(np.int64), store.col("id")[found_rows]
        )
        store.cols["noticed"][found_rows] = True  # filed together below
        immediate = self._file_all(valid, now_h, True)
        held = [n for n in immediate if n.nid in self.open]
        self.take_down(held, np.full(len(held), now_h), hold=True)
        if len(held) < len(immediate):  # self-service notices not sampled: final at once
            final = [n for n in immediate if n.nid not in self.open]
            self.take_down(final, np.full(len(final), now_h))
            for notice in final:
                self._actioned(notice, now_h)
        for brand in self.holders.invalid_brands(valid):
            ids = self.holders.pick_genuine(self.catalog, brand)
            if len(ids):
                self.file(Draft(brand, ids, False), now_h)

    def _file_all(self, drafts: list[Draft], now_h: float, valid: bool) -> list[OpenNotice]:
        """File notices together at ``now_h``, all valid or all not: logged, counted and
        submitted to their desks in order. Returns the remove-first ones, whose
        listings the caller takes down now."""
        if not drafts:
            return []
        brands = [d.brand for d in drafts]
        filers = [d.filer for d in drafts]
        record = self.holders.record
        policies = [self.policies[f] for f in filers]
        first = [p.remove_first(f, record) for p, f in zip(policies, filers, strict=True)]
        nids = self.log.file_many(
            now_h,
            brands,
            [len(d.ids) for d in drafts],
            valid,
            [route_name(p, f) for p, f in zip(policies, first, strict=True)],
            filers,
        )
        self.daily.add("notices_filed", now_h, weight=float(len(drafts)))
        record.add_many("filed", filers, now_h)
        filed = []
        events = self.removals.events
        for nid, draft, f, p in zip(nids, drafts, first, policies, strict=True):
            if events is not None:
                route = route_name(p, f)
                events.add(
                    "noticed", now_h, draft.ids, draft.brand, valid, route,
                    notice=nid, notifier=draft.filer,
                )  # fmt: skip
            notice = OpenNotice(nid, draft.ids, valid, draft.brand, f, draft.filer)
            filed.append(notice)
            if f and not self.rules.reviewed(p.name):
                continue  # audited route, not sampled: no review ever (see _actioned)
            notice.audit = f and self.rules.audits(p.name)
            self.open[nid] = notice
            item = ReviewItem(
                nid, draft.brand, valid, now_h, priority=self.rules.priority[draft.filer]
            )
            self.desks.for_brand(draft.filer).submit(item)
        return [notice for notice in filed if notice.remove_first]

    def file(self, draft: Draft, now_h: float) -> None:
        """File one notice and flag its listings as under notice; a remove-first one is
        acted on now."""
        self.mark_noticed(draft.ids, draft.valid, True)
        for notice in self._file_all([draft], now_h, draft.valid):
            self.act_on(notice, now_h)
            if notice.nid not in self.open:
                self._actioned(notice, now_h)

    def _actioned(self, notice: OpenNotice, t_h: float) -> None:
        """A remove-first notice on an audited route not sampled for an audit: final on
        filing, as if approved (a genuine listing it took down may still be
        counter-notified)."""
        self.log.actioned(notice.nid)
        self.follow(notice, consequence(True, notice.valid, True), t_h)

    def mark_noticed(self, ids: IntArray, valid: bool, flag: bool) -> None:
        if valid:
            self.store.cols["noticed"][self.store.rows_of(ids)] = flag
        else:
            self.catalog.noticed[ids] = flag

    # ------------------------------------------------------------------ taking down

    def take_down(self, notices: list[OpenNotice], t_h: FloatArray, hold: bool = False) -> None:
        """Take down the live fakes of valid notices, ``notices[i]`` at ``t_h[i]``, in one
        batch; ``hold``: keep them, each with its notice, until the notices are decided
        (remove-first notices, whose rejection puts them back)."""
        if not notices:
            return
        parts = [n.ids for n in notices]
        owner = np.repeat(np.arange(len(notices)), [len(p) for p in parts])
        ids = np.concatenate(parts)
        order = np.argsort(ids, kind="stable")
        rows, live = self.store.locate(ids[order])
        rows, owner = rows[live], owner[order][live]
        expires = self.store.col("expires_h")[rows]
        here = self.removals.remove_rows(rows, t_h[owner], "notice", hold)
        if hold:
            self._hold(notices, t_h, rows[here], owner[here], expires[here])
        counts = np.bincount(owner[here], minlength=len(notices))
        self.log.removed_many([n.nid for n in notices], t_h, counts)
        for notice, t, k in zip(notices, t_h.tolist(), counts.tolist(), strict=True):
            if k:
                self.agg.add(self.rules.action_key(notice.notifier), t, k)

    def _hold(
        self,
        notices: list[OpenNotice],
        t_h: FloatArray,
        rows: IntArray,
        owner: IntArray,
        expires_h: FloatArray,
    ) -> None:
        """Each notice keeps the ids of the fakes it holds (sorted) and their expiries."""
        order = np.lexsort((self.store.col("id")[rows], owner))
        rows, owner, expires_h = rows[order], owner[order], expires_h[order]
        bounds = np.searchsorted(owner, np.arange(len(notices) + 1))
        ids = self.store.col("id")[rows]
        for i, notice in enumerate(notices):
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            notice.held_ids, notice.held_expires_h = ids[lo:hi], expires_h[lo:hi]
            notice.held_h = float(t_h[i])

    def act_on(self, notice: OpenNotice, t_h: float, trace: bool = True) -> None:
        """Take down what one notice names (still live) at ``t_h``; ``trace``: count the
        genuine listings in the notice trace (not when taken down a second time)."""
        if notice.valid:
            self.take_down([notice], np.array([t_h]))
            return
        notice.genuine_down = self.legit.take_down(notice.ids, t_h, "notice")
        k = len(notice.genuine_down)
        if trace:
            self.log.removed(notice.nid, t_h, k)
        if k:
            self.agg.add(self.rules.action_key(notice.notifier), t_h, k)
            self.agg.add("genuine_removed_by_notice", t_h, k)

    def apply_pending(self) -> None:
        """Approved review-first notices: their removals, at their true approval times;
        then the fakes of rejected remove-first notices back up."""
        if self.pending:
            ordered = sorted(self.pending, key=itemgetter(0, 1))
            self.take_down([n for _, _, n in ordered], np.array([t for t, _, _ in ordered]))
            self.pending.clear()
        if self.restoring:
            for t_h, _, notice in sorted(self.restoring, key=itemgetter(0, 1)):
                self.removals.restore(
                    notice.held_ids, notice.held_expires_h, notice.held_h, t_h, notice.nid
                )
            self.restoring.clear()
        if self.complaints.retaking:  # after the restorations the reversals queued
            self.complaints.retake_queued()

    # ------------------------------------------------------------------ decisions

    def decided(self, item: ReviewItem, decision: Decision) -> None:
        """A desk decided something: dispatch on what it was."""
        self._decided_by_kind[item.kind](item, decision)

    def _notice_decided(self, item: ReviewItem, d: Decision) -> None:
        notice = self.open.pop(item.item_id)
        t_h = d.decided_h
        self.log.decided(notice.nid, t_h, d.approved, notice.audit)
        if self.events is not None:
            verdict = "approved" if d.approved else "rejected"
            self.log_notice("decided", notice, t_h, verdict)
            if notice.audit:
                self.log_notice("audited", notice, t_h, "upheld" if d.approved else "reversed")
        record = self.holders.record
        record.add("decided", notice.notifier, t_h)
        if d.approved:
            record.add("approved", notice.notifier, t_h)
        self.follow(notice, consequence(d.approved, notice.valid, notice.remove_first), t_h)
        if not d.approved:
            self.complaints.rejected(notice, t_h)

    def log_notice(self, kind: str, notice: OpenNotice, t_h: float, channel: str) -> None:
        """An event of a notice (no listing) in the event log."""
        assert self.events is not None
        self.events.add(
            kind, t_h, np.array([-1]), notice.brand, notice.valid, channel,
            notice=notice.nid, notifier=notice.notifier,
        )  # fmt: skip

    def follow(self, notice: OpenNotice, then: Consequence, t_h: float) -> None:
        """What a decision (or a self-service filing, or an upheld complaint) does."""
        if then.take_down:
            if notice.valid:  # the store changes only at ticks: queued for the next one
                self.pending.append((t_h, notice.nid, notice))
            else:
                self.act_on(notice, t_h)
        if then.release:
            self.mark_noticed(notice.ids, notice.valid, False)
        if then.contest:
            self.contest(notice.genuine_down, t_h, charge_brand=True, notifier=notice.notifier)
        if then.restore and notice.valid:  # the store changes only at ticks
            self.restoring.append((t_h, notice.nid, notice))
        elif then.restore:
            self.legit.restore(notice.genuine_down, t_h)
        elif len(notice.held_ids):  # the take-down stands
            rows, held = self.store.locate_held(notice.held_ids)
            self.store.release(rows[held])

    # ------------------------------------------------------------------ counter-notices

    def contest(self, ids: IntArray, t_h: float, charge_brand: bool, notifier: int = -1) -> None:
        """Sellers counter-notify some wrongful removals; the notifier's desk reviews those
        against its notices (and they count against its record: ``notifier``, or the
        listing's brand when -1), the pool the rest."""
        for cid, gid in self.legit.file_counters(ids, t_h):
            brand = int(self.catalog.brand[gid])
            filer = brand if notifier < 0 else notifier
            if charge_brand:
                self.holders.record.add("counter", filer, t_h)
            desk = self.desks.for_brand(filer) if charge_brand else self.desks.pool
            desk.submit(ReviewItem(cid, brand, True, t_h, "counter_notice"))

    def _counter_decided(self, item: ReviewItem, d: Decision) -> None:
        self.legit.counter_decided(item.item_id, d.approved, d.decided_h)
