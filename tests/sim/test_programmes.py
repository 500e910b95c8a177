"""Programmes as rules around a notice's route: priority classes in review queues,
Project Zero's self-service removal with audits and lock-out, the Art. 23 misuse policy
and complaints by notifiers."""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from sim.agents.account_manager import Decision, ReviewDesk, ReviewItem
from sim.model import Model
from sim.review_classes import ORDINARY, PRIORITY, ClassQueues
from sim.rng import Streams
from sim.scenario import AccountManagers, Scenario
from tests.sim.test_notifiers import tiny


def simulate(sc: Scenario, seed: int, events: bool = False) -> Model:
    model = Model(sc, Streams(seed), events=events)
    model.simulate()
    return model


# --------------------------------------------------------------------------- priority classes


def test_class_queues_pop_the_most_urgent_class_first_in_order() -> None:
    q: ClassQueues[tuple[str, int]] = ClassQueues(lambda item: item[1])
    for item in [("a", ORDINARY), ("b", PRIORITY), ("c", ORDINARY), ("d", PRIORITY)]:
        q.append(item)
    assert len(q) == 4
    assert [q.popleft()[0] for _ in range(4)] == ["b", "d", "a", "c"]
    assert not q
    with pytest.raises(IndexError):
        q.popleft()


def _desk_log(classes: bool) -> list[tuple[int, float]]:
    """One manager, one-hour reviews; ordinary items at 0 and 0.5, a priority one at 0.6."""
    env = simpy.Environment()
    config = AccountManagers.model_validate(
        {"always_on": True, "review_time_h": 1.0, "evidence_request_prob": 0.0}
    )
    log: list[tuple[int, float]] = []

    def on_decided(item: ReviewItem, d: Decision) -> None:
        log.append((item.item_id, d.decided_h))

    desk = ReviewDesk(env, config, 1, np.random.default_rng(0), on_decided, classes=classes)

    def source() -> Generator[simpy.Event, Any, None]:
        for i, (t_h, cls) in enumerate([(0.0, ORDINARY), (0.5, ORDINARY), (0.6, PRIORITY)]):
            yield env.timeout(t_h - env.now)
            desk.submit(ReviewItem(i, 0, True, env.now, priority=cls))

    env.process(source())
    env.run()
    served = [ORDINARY, PRIORITY, ORDINARY] if classes else [ORDINARY, ORDINARY, PRIORITY]
    assert desk.wait_class == served
    return log


def test_priority_goes_first_without_preempting_a_review() -> None:
    # the review of item 0 is finished (non-preemptive); then the priority item 2, then 1
    assert _desk_log(classes=True) == [(0, 1.0), (2, 2.0), (1, 3.0)]
    assert _desk_log(classes=False) == [(0, 1.0), (1, 2.0), (2, 3.0)]


# --------------------------------------------------------------------------- Project Zero


def project_zero(**extra: dict[str, Any]) -> Scenario:
    sections: dict[str, dict[str, Any]] = {
        "scenario": {"horizon_days": 60.0},
        "market": {"brands": 6},
        "rights_holders": {
            "programme_mix": {"project_zero": 1.0},
            "notice_precision": 0.8,
            "detection_prob": 0.8,
        },
        "account_managers": {"approve_invalid_prob": 0.0, "reject_valid_prob": 0.0},
        # nobody banned, so the fakes (and the notices) keep coming
        "platform": {
            "upload_recall": 0.3,
            "upload_recall_obfuscated": 0.1,
            "strikes": {"ladder": ["warn"]},
        },
    }
    for name, values in extra.items():
        sections[name] = {**sections.get(name, {}), **values}
    return tiny(**sections)


def test_self_service_notices_are_audited_by_sampling() -> None:
    model = simulate(project_zero(project_zero={"audit_share": 0.25, "min_decided": 1000}), 1)
    n = model.notices.table()
    pz = n["channel"] == "project_zero"
    assert pz.all()  # min_decided out of reach: nobody loses self-service
    audited = n["outcome"] == "audited"
    actioned = n["outcome"] == "actioned"
    assert not (n["outcome"] == "decided").any()
    # every notice is audited, actioned or still in its audit at the end
    assert (audited | actioned | (n["outcome"] == "open")).all()
    share = (audited.sum() + (n["outcome"] == "open").sum()) / len(n["t_h"])
    # hundreds of notices: a binomial share within 0.1 of 0.25 is over 3 sd
    assert len(n["t_h"]) > 200 and abs(share - 0.25) < 0.1
    # a notice final on filing was never decided, and removed what it named on filing
    assert np.isnan(n["decided_at_h"][actioned]).all()
    acted = actioned & (n["listings_removed"] > 0)
    assert acted.any() and (n["removed_at_h"][acted] == n["t_h"][acted]).all()


def test_audits_reverse_wrong_removals() -> None:
    model = simulate(project_zero(project_zero={"audit_share": 1.0, "min_decided": 1000}), 2, True)
    n = model.notices.table()
    reversed_ = (n["outcome"] == "audited") & ~n["upheld"]
    assert reversed_.sum() > 10
    assert (~n["valid"][reversed_]).all()  # no review mistakes: only wrong notices reversed
    assert model.events is not None
    ev = model.events.table()
    restored = (ev["kind"] == "restored") & ~ev["fake"]
    noticed = ev["kind"] == "noticed"
    for nid in np.flatnonzero(reversed_):
        # the genuine listings it named (all taken down on filing) are back at the audit
        named = set(ev["listing_id"][noticed & (ev["notice_id"] == nid)].tolist())
        back = set(ev["listing_id"][restored & (ev["t_h"] == n["decided_at_h"][nid])].tolist())
        assert named and named <= back
    # reversals count against the notifier: rejected audits are decided, not approved
    record = model.holders.record
    assert record.counts("decided").sum() - record.counts("approved").sum() == reversed_.sum()


def test_self_service_is_lost_below_the_bar_and_regained_only_after_the_lockout() -> None:
    sc = project_zero(
        scenario={"horizon_days": 120.0},
        rights_holders={"notice_precision": 0.9, "notice_precision_concentration": 40.0},
        project_zero={
            "audit_share": 1.0,
            "window_days": 14.0,
            "min_decided": 10,
            "lockout_days": 15.0,
        },
    )
    model = simulate(sc, 3)
    changes = model.self_service.changes
    lost = [c for c in changes if not c.gained]
    regained = [c for c in changes if c.gained]
    assert lost and regained
    n = model.notices.table()
    for notifier in {c.notifier for c in changes}:
        mine = [c for c in changes if c.notifier == notifier]
        assert not mine[0].gained  # members start with it, so the first change is a loss
        for before, after in itertools.pairwise(mine):
            assert before.gained != after.gained
            if after.gained:
                assert after.t_h - before.t_h >= 15 * 24.0
        # while locked out its notices are reviewed first; otherwise self-service
        ts = n["t_h"][n["notifier_id"] == notifier]
        ch = n["channel"][n["notifier_id"] == notifier]
        status = np.ones(len(ts), dtype=bool)
        for c in mine:
            status[ts >= c.t_h] = c.gained
        assert (ch[status] == "project_zero").all()
        assert (ch[~status] == "notice_and_takedown").all()


# --------------------------------------------------------------------------- Art. 23, complaints


def abuse(enabled: bool) -> Scenario:
    return tiny(
        scenario={"horizon_days": 90.0},
        abusers={"count": 4, "notices_per_day": 2.0},
        misuse={"enabled": enabled, "suspension_days": 20.0},
    )


def test_misuse_policy_suspends_abusers_only_and_they_do_not_file_meanwhile() -> None:
    model = simulate(abuse(True), 4)
    sus = model.misuse.suspensions
    assert {s.notifier for s in sus} == {4, 5, 6, 7}  # every abuser, no honest brand
    assert model.misuse.warnings >= len({s.notifier for s in sus})
    n = model.notices.table()
    for s in sus:
        filed = n["t_h"][n["notifier_id"] == s.notifier]
        assert not ((filed >= s.start_h) & (filed < s.end_h)).any()
        assert s.end_h - s.start_h == 20 * 24.0
    off = simulate(abuse(False), 4)
    assert not off.misuse.suspensions
    assert (n["notifier_id"] >= 4).sum() < (off.notices.table()["notifier_id"] >= 4).sum()
    assert model.metrics()["genuine_wrongly_removed"] < off.metrics()["genuine_wrongly_removed"]


def test_complaints_get_a_second_review_and_upheld_ones_act() -> None:
    sc = tiny(
        scenario={"horizon_days": 30.0},
        rights_holders={"detection_prob": 0.8},
        complaints={"notifier_complaint_prob": 1.0},
        account_managers={"reject_valid_prob": 0.5, "approve_invalid_prob": 0.0},
    )
    model = simulate(sc, 5)
    n = model.notices.table()
    rejected = (n["outcome"] == "decided") & n["valid"]
    assert model.agg.counts["complaints_by_notifiers"] >= (rejected & ~n["upheld"]).sum()
    # complaints on valid notices are upheld half the time: those take their fakes down
    # after the first decision
    upheld_late = rejected & n["upheld"] & (n["removed_at_h"] > n["decided_at_h"])
    assert upheld_late.sum() > 5
    quiet = sc.model_copy(update={"complaints": type(sc.complaints)()})
    assert simulate(quiet, 5).agg.counts["complaints_by_notifiers"] == 0


def test_good_faith_min_decided_holds_back_the_verdict() -> None:
    """Sloppy good-faith brands lose remove-first within the run with the default bar of 10
    decided notices, and keep it when the bar is out of reach."""
    sloppy: dict[str, dict[str, Any]] = {
        "scenario": {"horizon_days": 30.0},
        "rights_holders": {
            "programme_mix": {"good_faith": 1.0},
            "notice_precision": 0.5,
            "detection_prob": 0.8,
            "track_record_window_days": 5.0,
        },
        "account_managers": {"approve_invalid_prob": 0.0},
        "platform": {"upload_recall": 0.0, "upload_recall_obfuscated": 0.0},
    }
    default = simulate(tiny(**sloppy), 8).notices.table()["channel"]
    assert (default == "notice_and_takedown").any()
    held = simulate(tiny(**sloppy, good_faith={"min_decided": 100_000}), 8).notices.table()
    assert (held["channel"] == "good_faith").all()
