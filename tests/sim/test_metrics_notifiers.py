"""The notifier and programme metrics: each equals what the notice trace and the run's
records say, and the DSA transparency counts add up to the actions taken."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.contract import METRIC_BY_NAME
from sim.contract_notifiers import NOTIFIER_METRICS
from sim.metrics_notifiers import notifier_metrics
from sim.model import Model
from sim.rng import Streams
from sim.scenario import Scenario, load_scenario
from tests.sim.test_notifiers import tiny

ACTIONS = ("fake_removed_proactive", "fake_removed_notice", "fake_removed_lead", "fake_removed_ban")


def busy() -> Scenario:
    """Every mechanism on: trusted flaggers first, self-service, abusers, Art. 23, complaints."""
    return tiny(
        scenario={"horizon_days": 40.0, "warmup_days": 5.0},
        market={"brands": 6},
        rights_holders={
            "programme_mix": {"standard": 0.34, "project_zero": 0.33, "trusted_flagger": 0.33},
            "detection_prob": 0.7,
            "notice_precision": 0.85,
        },
        legit_sellers={"counter_notice_prob": 0.5},
        project_zero={"audit_share": 0.5},
        abusers={"count": 3, "notices_per_day": 2.0},
        misuse={"enabled": True, "suspension_days": 10.0},
        complaints={"notifier_complaint_prob": 0.5},
        review_priority={"first": ["trusted_flagger"]},
        account_managers={"always_on": False, "pool_size": 1},
        counterfeiters={"count": 20},
        # nobody banned, so the fakes (and the notices) keep coming
        platform={"upload_false_positive_rate": 0.01, "strikes": {"ladder": ["warn"]}},
    )


@pytest.fixture(scope="module")
def model() -> Model:
    m = Model(busy(), Streams(6))
    m.simulate()
    return m


def test_every_new_metric_is_in_the_contract() -> None:
    for name, unit, _better, definition in NOTIFIER_METRICS:
        assert METRIC_BY_NAME[name].unit == unit and len(definition) > 40


def test_metrics_match_the_notice_trace(model: Model) -> None:
    m = model.metrics()
    n = model.notices.table()
    inside = n["t_h"] >= model.window.warmup_h
    judged = inside & np.isin(n["outcome"], ["decided", "audited"])
    assert m["unfounded_notices"] == np.count_nonzero(judged & ~n["upheld"]) > 0
    assert m["unfounded_notice_share"] == m["unfounded_notices"] / judged.sum()
    audited = inside & (n["outcome"] == "audited")
    assert m["audits"] == audited.sum() > 0
    assert m["audit_reversals"] == (audited & ~n["upheld"]).sum() > 0
    assert m["notices_filed_bad_faith"] == (inside & (n["notifier_id"] >= 6)).sum() > 0
    assert m["complaints_by_notifiers"] > 0
    suspended = {s.notifier for s in model.misuse.suspensions if s.start_h >= 5 * 24.0}
    assert m["notifiers_suspended"] == len(suspended) > 0
    acted = inside & ~np.isnan(n["removed_at_h"])
    assert m["median_time_to_action_h"] == np.median((n["removed_at_h"] - n["t_h"])[acted])


def test_transparency_counts_add_up_to_the_actions_taken(model: Model) -> None:
    m = model.metrics()
    sources = ("article_16", "trusted_flagger", "voluntary")
    total = sum(m[f"actions_by_source_{s}"] for s in sources)
    assert total == sum(m[a] for a in ACTIONS) + m["genuine_wrongly_removed"]
    assert min(m[f"actions_by_source_{s}"] for s in sources) > 0


def test_trusted_flaggers_wait_less_in_the_same_queue(model: Model) -> None:
    m = model.metrics()
    assert m["am_queue_wait_h_p95_priority"] < m["am_queue_wait_h_p95_ordinary"]


def test_shipped_scenarios_have_no_priority_class_and_no_abuse() -> None:
    sc = load_scenario("smoke", ["scenario.horizon_days=12", "scenario.warmup_days=2"])
    m = Model(sc, Streams(1))
    m.simulate()
    out = m.metrics()
    assert math.isnan(out["am_queue_wait_h_p95_priority"])
    assert out["am_queue_wait_h_p95_ordinary"] == out["am_queue_wait_h_p95"]
    for name in (
        "notices_filed_bad_faith",
        "notifiers_suspended",
        "audits",
        "complaints_by_notifiers",
    ):
        assert out[name] == 0


def test_no_data_gives_nan_not_an_error() -> None:
    empty = {
        "t_h": np.empty(0),
        "outcome": np.empty(0, dtype=object),
        "upheld": np.empty(0, dtype=bool),
        "removed_at_h": np.empty(0),
        "notifier_id": np.empty(0, dtype=np.int64),
        "brand_id": np.empty(0, dtype=np.int64),
    }
    counts = dict.fromkeys(
        [
            *(f"fake_removed_{c}" for c in ("proactive", "lead", "ban")),
            "genuine_wrongly_removed",
            "genuine_removed_by_notice",
            "notifiers_suspended",
            "complaints_by_notifiers",
            "actions_source_article_16",
            "actions_source_trusted_flagger",
        ],
        0.0,
    )
    out = notifier_metrics(counts, empty, 0.0, np.empty(0), np.empty(0, dtype=np.int64))
    assert math.isnan(out["unfounded_notice_share"]) and math.isnan(out["median_time_to_action_h"])
    assert out["unfounded_notices"] == 0
