"""Remove-first with audit sampling for any remove-first programme ([audits]), complaints
against audit reversals, and the notifier-side events of the event log (warnings,
suspensions, complaints, self-service lost and regained)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.model import Model
from sim.scenario import Scenario
from tests.cli_helpers import run_cli
from tests.sim.test_invariants import _check
from tests.sim.test_invariants_notifiers import (
    _check_notices_end,
    _check_notifier_log,
    _check_sources,
    _check_suspensions,
)
from tests.sim.test_notifiers import tiny
from tests.sim.test_programmes import project_zero, simulate


def joint_force(**extra: dict[str, Any]) -> Scenario:
    """Joint-force brands only (every notice removes on filing), a fifth of their notices
    on genuine listings, and busy enough for hundreds of notices in 40 days."""
    sections: dict[str, dict[str, Any]] = {
        "scenario": {"horizon_days": 40.0},
        "market": {"brands": 8},
        "counterfeiters": {"count": 20, "listings_per_day": 5.0},
        "rights_holders": {
            "programme_mix": {"joint_force": 1.0},
            "notice_precision": 0.8,
            "detection_prob": 0.8,
        },
        "platform": {"upload_recall": 0.3, "strikes": {"ladder": ["warn"]}},
    }
    for name, values in extra.items():
        sections[name] = {**sections.get(name, {}), **values}
    return tiny(**sections)


AUDITED = {"audits": {"programmes": ["joint_force"], "share": 0.3}}
PERFECT = {"account_managers": {"reject_valid_prob": 0.0, "approve_invalid_prob": 0.0}}


def events(model: Model) -> dict[str, np.ndarray]:
    assert model.events is not None
    return model.events.table()


# --------------------------------------------------------------------------- audits


def test_joint_force_is_reviewed_after_every_removal_unless_audited_by_sampling() -> None:
    """Off (no [audits]), every joint-force notice is reviewed after its removal; audited at
    share 0.3, about 30% are (binomial over 300+ notices: 0.1 is over 3 sd), the rest final
    on filing with their removals made then; at share 0 none is ever reviewed."""
    off = simulate(joint_force(**PERFECT), 1).notices.table()
    assert len(off["t_h"]) > 300
    assert set(off["outcome"]) <= {"decided", "open"}
    n = simulate(joint_force(**PERFECT, **AUDITED), 1).notices.table()
    assert (n["channel"] == "joint_force").all()
    assert set(n["outcome"]) <= {"audited", "actioned", "open"}
    sampled = n["outcome"] != "actioned"
    assert abs(sampled.mean() - 0.3) < 0.1
    actioned = ~sampled
    assert np.isnan(n["decided_at_h"][actioned]).all()
    acted = actioned & (n["listings_removed"] > 0)
    assert acted.any() and (n["removed_at_h"][acted] == n["t_h"][acted]).all()
    none = joint_force(**PERFECT, audits={"programmes": ["joint_force"], "share": 0.0})
    assert set(simulate(none, 1).notices.table()["outcome"]) == {"actioned"}


def test_joint_force_audits_reverse_wrong_removals_and_restore_them() -> None:
    """Reviewers without mistakes: an audit reverses exactly the notices on genuine
    listings; the log shows each reversed notice's listings restored at the audit, and the
    metrics and the notifiers' records count the reversals."""
    model = simulate(joint_force(**PERFECT, **AUDITED), 2, events=True)
    n = model.notices.table()
    audited = n["outcome"] == "audited"
    reversed_ = audited & ~n["upheld"]
    assert reversed_.sum() > 10
    assert (~n["valid"][reversed_]).all() and n["valid"][audited & n["upheld"]].all()
    ev = events(model)
    kind = ev["kind"]
    audit_rows = kind == "audited"
    assert sorted(ev["notice_id"][audit_rows].tolist()) == np.flatnonzero(audited).tolist()
    reversals = audit_rows & (ev["channel"] == "reversed")
    assert sorted(ev["notice_id"][reversals].tolist()) == np.flatnonzero(reversed_).tolist()
    noticed, restored = kind == "noticed", kind == "restored"
    for nid, t in zip(ev["notice_id"][reversals], ev["t_h"][reversals], strict=True):
        named = set(ev["listing_id"][noticed & (ev["notice_id"] == nid)].tolist())
        back = set(ev["listing_id"][restored & ~ev["fake"] & (ev["t_h"] == t)].tolist())
        assert named and named <= back  # a genuine listing named is down until its audit
    m = model.metrics()
    assert (m["audits"], m["audit_reversals"]) == (audited.sum(), reversed_.sum())
    record = model.holders.record
    assert record.counts("decided").sum() - record.counts("approved").sum() == reversed_.sum()


def test_an_audit_reversing_a_valid_notice_puts_its_fakes_back_up() -> None:
    """A reviewer that rejects valid notices reverses some audits wrongly: their fakes come
    back (restored, with the notice's id) at the audit's time."""
    sc = joint_force(**AUDITED, account_managers={"reject_valid_prob": 0.5})
    model = simulate(sc, 3, events=True)
    n = model.notices.table()
    wrong = np.flatnonzero((n["outcome"] == "audited") & ~n["upheld"] & n["valid"])
    assert len(wrong) > 5
    ev = events(model)
    back = (ev["kind"] == "restored") & ev["fake"]
    for nid in wrong.tolist():
        mine = back & (ev["notice_id"] == nid)
        assert (ev["t_h"][mine] == n["decided_at_h"][nid]).all()
    assert np.isin(ev["notice_id"][back], wrong).sum() > 5


def test_project_zero_keeps_its_own_audit_share() -> None:
    """[audits] leaves Project Zero's own key in charge of its notices."""
    pz = {"project_zero": {"audit_share": 1.0, "min_decided": 1000}}
    plain = simulate(project_zero(**pz), 1).notices.table()
    both = simulate(project_zero(**pz, audits={"share": 0.0}), 1).notices.table()
    assert set(plain["outcome"]) <= {"audited", "open"}
    for col in ("t_h", "outcome", "upheld", "decided_at_h"):
        np.testing.assert_array_equal(both[col], plain[col])


# --------------------------------------------------------------------------- complaints


def test_complaints_against_reversals_take_listings_down_again() -> None:
    """Every audit reversal draws a complaint (probability 1), decided by a second review
    as error-prone as the first: some are upheld, and each upheld one takes the notice's
    restored listings down again (logged as removed_again, beside a removal)."""
    sc = joint_force(
        **AUDITED,
        account_managers={"reject_valid_prob": 0.4, "approve_invalid_prob": 0.3},
        complaints={"audit_reversal_complaint_prob": 1.0},
    )
    model = simulate(sc, 4, events=True)
    ev = events(model)
    kind, channel, nid = ev["kind"], ev["channel"], ev["notice_id"]
    reversals = nid[(kind == "audited") & (channel == "reversed")]
    complained = kind == "complained"
    assert sorted(nid[complained].tolist()) == sorted(reversals.tolist())
    assert set(channel[complained]) == {"audit_reversal"}
    assert model.metrics()["complaints_by_notifiers"] == complained.sum()
    decided = kind == "complaint_decided"
    upheld = set(nid[decided & (channel == "upheld")].tolist())
    assert len(upheld) > 3 and (decided & (channel == "rejected")).any()
    again = kind == "removed_again"
    assert set(nid[again].tolist()) <= upheld
    assert again[ev["fake"]].any() and again[~ev["fake"]].any()  # fakes and genuine ones
    removed = kind == "removed"
    down_at = set(zip(ev["listing_id"][removed].tolist(), ev["t_h"][removed].tolist(), strict=True))
    for lid, t, n_id in zip(ev["listing_id"][again], ev["t_h"][again], nid[again], strict=True):
        assert (lid, t) in down_at  # taken down at the complaint's decision
        done = ev["t_h"][decided & (nid == n_id)]
        assert done.tolist() == [t]
        # it had been restored by the reversal
        assert ((kind == "restored") & (ev["listing_id"] == lid) & (ev["t_h"] <= t)).any()
    n = model.notices.table()
    # an upheld complaint makes the notice upheld: it is no longer an audit reversal
    assert n["upheld"][sorted(upheld)].all()
    audited = n["outcome"] == "audited"
    assert model.metrics()["audit_reversals"] == (audited & ~n["upheld"]).sum()
    assert (audited & ~n["upheld"]).sum() == len(reversals) - len(upheld)


def test_no_complaints_against_reversals_unless_asked() -> None:
    sc = joint_force(**AUDITED, complaints={"notifier_complaint_prob": 1.0})
    ev = events(simulate(sc, 4, events=True))
    assert not (ev["kind"] == "complained").any()  # joint force files no review-first notice


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("audits.programmes=['standard']", "audits.programmes.0: bad value 'standard'"),
        ("audits.programmes=['project_zero']", "audits.programmes.0: bad value 'project_zero'"),
        ("audits.share=1.5", "audits.share: bad value 1.5"),
        ("audits.shares=0.5", "audits.shares: unknown key; did you mean 'share'?"),
        (
            "complaints.audit_reversal_complaint_prob=-0.1",
            "complaints.audit_reversal_complaint_prob: bad value -0.1",
        ),
    ],
)
def test_bad_audit_settings_exit_2_naming_the_field(
    setting: str, field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["validate", "smoke", "--set", setting], capsys)
    assert code == 2 and err.count("\n") == 1 and field in err, err


# --------------------------------------------------------------------------- the event log


def test_the_log_rebuilds_the_notifier_side_of_a_busy_run() -> None:
    """Every notifier-side step in one run (audits on two routes, both kinds of complaint,
    warnings, suspensions that end and one that runs past the horizon, self-service lost
    and regained): the log rebuilds the metrics and the suspensions, and nobody files while
    suspended (the property test's checks, on a run where each of them has work)."""
    sc = joint_force(
        scenario={"horizon_days": 60.0, "warmup_days": 5.0},
        rights_holders={"programme_mix": {"joint_force": 0.5, "project_zero": 0.5}},
        account_managers={"reject_valid_prob": 0.3, "approve_invalid_prob": 0.3},
        abusers={"count": 4, "notices_per_day": 2.0},
        legit_sellers={"count": 300},  # rivals' listings enough for the abusers' 60 days
        misuse={"enabled": True, "suspension_days": 8.0},
        project_zero={"window_days": 10.0, "min_decided": 3, "lockout_days": 5.0},
        complaints={"notifier_complaint_prob": 0.5, "audit_reversal_complaint_prob": 0.5},
        **AUDITED,
    )
    model = simulate(sc, 6, events=True)
    ev = events(model)
    kinds = set(ev["kind"].tolist())
    assert {"audited", "complained", "complaint_decided", "removed_again"} <= kinds
    assert {
        "notifier_warned",
        "notifier_suspended",
        "notifier_suspension_ended",
        "self_service",
    } <= kinds
    assert set(ev["channel"][ev["kind"] == "self_service"]) == {"lost", "regained"}
    assert set(ev["channel"][ev["kind"] == "complained"]) == {"rejection", "audit_reversal"}
    ended = (ev["kind"] == "notifier_suspension_ended").sum()
    assert len(model.misuse.suspensions) > ended  # one runs past the horizon: no end logged
    result = model.result(6)
    _check_notices_end(model)
    _check_suspensions(model)
    _check(result)
    _check_notifier_log(model, result)
    _check_sources(result.metrics)
