"""Property tests: the model's invariants with notifiers and programmes switched on at
random. Every notice ends actioned, decided, audited or open; suspensions of one notifier
never overlap; no suspended notifier files; the event log rebuilds the notifier metrics
(suspensions, complaints, audits, reversals) and the suspensions and self-service spells,
and shows no notifier filing while suspended; and every invariant of the plain model
(tests/sim/test_invariants.py) still holds."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import Model, RunResult
from sim.rng import Streams
from sim.scenario import PROGRAMMES, from_dict
from tests.hypo import examples
from tests.sim.test_invariants import _check, scenarios

prob = st.floats(0.0, 1.0)


@st.composite
def notifier_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A small random scenario (tests/sim/test_invariants.py) with every programme in the
    mix and the notifier sections drawn at random."""
    data = draw(scenarios())
    weights = draw(st.lists(st.integers(0, 3), min_size=5, max_size=5).filter(any))
    data["rights_holders"]["programme_mix"] = {
        p: w / sum(weights) for p, w in zip(PROGRAMMES, weights, strict=True)
    }
    data["rights_holders"]["notice_precision_concentration"] = draw(st.sampled_from([0.0, 5.0]))
    data["abusers"] = {
        "count": draw(st.integers(0, 4)),
        "notices_per_day": draw(st.floats(0.0, 4.0).filter(lambda r: r == 0 or r >= 1e-3)),
        "listings_per_notice": draw(st.integers(1, 4)),
        "rival_brands": draw(st.integers(1, 3)),
        "precision": draw(prob),
        "programme": draw(st.sampled_from(["standard", "trusted_flagger", "project_zero"])),
    }
    data["project_zero"] = {
        "window_days": float(draw(st.integers(1, 10))),
        "min_decided": draw(st.integers(1, 5)),
        "lockout_days": float(draw(st.integers(0, 5))),
        "audit_share": draw(prob),
    }
    data["audits"] = {
        "programmes": draw(st.lists(st.sampled_from(["good_faith", "joint_force"]), unique=True)),
        "share": draw(prob),
    }
    data["review_priority"] = {
        "first": draw(st.lists(st.sampled_from(PROGRAMMES), max_size=2, unique=True))
    }
    data["misuse"] = {
        "enabled": draw(st.booleans()),
        "window_days": float(draw(st.integers(1, 10))),
        "min_decided": draw(st.integers(1, 4)),
        "unfounded_share_threshold": draw(prob),
        "grace_days": float(draw(st.integers(0, 3))),
        "suspension_days": float(draw(st.integers(1, 5))),
    }
    data["complaints"] = {
        "notifier_complaint_prob": draw(prob),
        "audit_reversal_complaint_prob": draw(prob),
    }
    return data


def _check_notices_end(model: Model) -> None:
    """Every notice ends actioned, decided, audited or open, and each state fits."""
    n = model.notices.table()
    outcome = n["outcome"]
    assert set(outcome) <= {"actioned", "decided", "audited", "open"}
    still = {*model.lifecycle.open}
    assert set(np.flatnonzero(outcome == "open").tolist()) == still
    decided = np.isin(outcome, ["decided", "audited"])
    assert not np.isnan(n["decided_at_h"][decided]).any()
    assert np.isnan(n["decided_at_h"][~decided]).all()
    # only notices on an audited route are actioned (never reviewed) or audited
    routes = ["project_zero", *model.scenario.audits.programmes]
    assert np.isin(n["channel"][np.isin(outcome, ["actioned", "audited"])], routes).all()
    # a notice upheld was decided (approved, or its complaint upheld)
    assert decided[n["upheld"]].all()


def _check_suspensions(model: Model) -> None:
    """Suspensions of one notifier never overlap, and nobody files while suspended."""
    n = model.notices.table()
    by_notifier = itertools.groupby(
        sorted(model.misuse.suspensions, key=lambda s: (s.notifier, s.start_h)),
        key=lambda s: s.notifier,
    )
    for notifier, group in by_notifier:
        spans = list(group)
        for a, b in itertools.pairwise(spans):
            assert b.start_h >= a.end_h
        filed = n["t_h"][n["notifier_id"] == notifier]
        for s in spans:
            assert not ((filed >= s.start_h) & (filed < s.end_h)).any()
    if not model.scenario.misuse.enabled:
        assert not model.misuse.suspensions


def _spans(ev: dict[str, np.ndarray]) -> dict[int, list[tuple[float, float]]]:
    """Each notifier's suspensions from the log: a start, then its end (none logged for an
    end past the horizon: then it is the last one)."""
    mine = np.isin(ev["kind"], ("notifier_suspended", "notifier_suspension_ended"))
    out: dict[int, list[tuple[float, float]]] = {}
    starts = ev["kind"][mine] == "notifier_suspended"
    rows = zip(ev["notifier_id"][mine].tolist(), ev["t_h"][mine].tolist(), starts, strict=True)
    for notifier, t, start in sorted(rows):  # by notifier, time; an end before a start
        spans = out.setdefault(notifier, [])
        if start:
            assert not spans or spans[-1][1] <= t  # the previous one ended: no overlap
            spans.append((t, np.inf))
        else:
            assert spans and spans[-1][1] == np.inf  # ends the open one
            spans[-1] = (spans[-1][0], t)
    return out


def _check_notifier_log(model: Model, result: RunResult) -> None:
    """The log's notifier events rebuild the notifier metrics and the suspensions, and no
    notifier files while suspended."""
    ev, m = result.events, result.metrics
    assert ev is not None
    kind, channel, t, nid = ev["kind"], ev["channel"], ev["t_h"], ev["notice_id"]
    inside = t >= model.window.warmup_h
    noticed = kind == "noticed"
    # notices' rows carry their filer, as the trace does
    notifier_of = result.notices["notifier_id"]
    assert (ev["notifier_id"][noticed] == notifier_of[nid[noticed]]).all()
    suspended = kind == "notifier_suspended"
    assert len(set(ev["notifier_id"][suspended & inside].tolist())) == m["notifiers_suspended"]
    assert np.count_nonzero(kind == "notifier_warned") == model.misuse.warnings
    assert np.count_nonzero((kind == "complained") & inside) == m["complaints_by_notifiers"]
    filed_h = dict(zip(nid[noticed].tolist(), t[noticed].tolist(), strict=True))
    warm = model.window.warmup_h
    in_window = np.array([filed_h.get(i, -1.0) >= warm for i in nid.tolist()], dtype=bool)
    audits = (kind == "audited") & in_window
    assert np.count_nonzero(audits) == m["audits"]
    overturned = nid[(kind == "complaint_decided") & (channel == "upheld")]
    reversals = audits & (channel == "reversed") & ~np.isin(nid, overturned)
    assert np.count_nonzero(reversals) == m["audit_reversals"]
    spans = _spans(ev)
    want = [(s.notifier, s.start_h, s.end_h) for s in model.misuse.suspensions]
    got = [(n, a, b) for n, ab in spans.items() for a, b in ab]
    horizon_h = model.window.horizon_h
    assert sorted(got) == sorted((n, a, b if b <= horizon_h else np.inf) for n, a, b in want)
    who, when = ev["notifier_id"][noticed], t[noticed]
    for notifier, ab in spans.items():
        for start, end in ab:
            assert not ((who == notifier) & (when >= start) & (when < end)).any()
    changes = kind == "self_service"
    log = zip(
        t[changes].tolist(), ev["notifier_id"][changes].tolist(), channel[changes], strict=True
    )
    assert sorted(log) == sorted(
        (c.t_h, c.notifier, "regained" if c.gained else "lost") for c in model.self_service.changes
    )


def _check_sources(m: dict[str, float]) -> None:
    """The DSA transparency counts add up to every removal but the sellers' own."""
    sources = ("article_16", "trusted_flagger", "voluntary")
    actions = sum(m[f"fake_removed_{c}"] for c in ("proactive", "notice", "lead", "ban"))
    assert (
        sum(m[f"actions_by_source_{s}"] for s in sources) == actions + m["genuine_wrongly_removed"]
    )


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=notifier_scenarios(), seed=st.integers(0, 2**32))
def test_notifier_invariants_hold_for_random_scenarios(data: dict[str, Any], seed: int) -> None:
    model = Model(from_dict(data), Streams(seed), events=True)
    model.simulate()
    _check_notices_end(model)
    _check_suspensions(model)
    result = model.result(seed)
    _check(result)
    _check_notifier_log(model, result)
    _check_sources(result.metrics)
