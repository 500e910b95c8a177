"""Summaries and SLO lookups from merged histograms; JUnit output."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from loadtest.hdr import Recorder
from loadtest.profile import profile_from_dict
from loadtest.results import (
    KNOWN_METRICS,
    RunData,
    arrivals_summary,
    e2e_summary,
    lookup,
    nominal_rate,
    request_summary,
    verdicts,
    write_junit,
)
from loadtest.slo import parse_slo


def _run() -> RunData:
    rec = Recorder()
    for ms in range(1, 101):  # 1..100 ms, one failure
        rec.record("POST /v1/notices", ms / 1000, ok=ms != 50)
    for s in (0.01, 0.02, 2.0, 3.0):
        rec.record("e2e_takedown", s)
    rec.record("e2e_takedown.joint_force", 0.01)
    rec.record_censored("e2e_takedown", 30.0)  # one notice still up when its window closed
    rec.record_censored("e2e_takedown.standard", 30.0)
    rec.record("e2e_takedown.standard", 2.0)
    rec.record_censored("POST /v1/notices", 5.0)  # an arrival dropped, no user free for 5 s
    workers = [
        {
            "worker_index": k,
            "counts": {},
            "arrivals": {
                "scheduled": {"r": 60},
                "started": {"r": 50 + k},
                "dropped": {"r": 10 - k},
            },
            "e2e": {"followed": 3, "unfinished": 1, "stale": 0},
            "crosscheck_s": [0.05, 0.1],
        }
        for k in range(2)
    ]
    return RunData(rec, workers, 2, duration_s=10.0, target_rate=12.0)


def test_request_and_e2e_summaries() -> None:
    run = _run()
    row = request_summary(run)["POST /v1/notices"]
    # 100 sent and 1 dropped: the dropped one sits in the latency at its 5 s lower bound
    assert (row["count"], row["sent"], row["dropped"], row["failures"]) == (101, 100, 1, 1)
    assert row["rps"] == 10.1
    assert row["p50_ms"] == pytest.approx(51.0, rel=1e-3)
    assert row["p99_ms"] == pytest.approx(100.0, rel=1e-3)
    assert row["p999_ms"] == pytest.approx(5000.0, rel=1e-3)
    e2e = e2e_summary(run)
    assert e2e["count"] == 5 and e2e["by_program"]["joint_force"]["count"] == 1
    # the unfinished notice counts: censored at 30 s it is the slowest of the five
    assert (e2e["unfinished"], e2e["unfinished_ratio"]) == (1, 0.2)
    assert e2e["max_s"] == pytest.approx(30.0, rel=1e-3)  # HDR: 3 significant digits
    standard = e2e["by_program"]["standard"]
    assert (standard["count"], standard["unfinished"], standard["unfinished_ratio"]) == (2, 1, 0.5)
    assert e2e["followed"] == 6
    assert e2e["crosscheck"] == {"count": 4, "median_s": 0.1, "min_s": 0.05, "max_s": 0.1}


def test_arrivals_summary_compares_achieved_with_target() -> None:
    arr = arrivals_summary(_run())
    assert (arr["started"], arr["dropped"], arr["scheduled"]) == (101, 19, 120)
    assert (arr["target_rate"], arr["achieved_rate"]) == (12.0, 10.1)


def test_lookup_and_verdicts() -> None:
    run = _run()
    assert lookup(run, "POST /v1/notices", "fail_ratio") == pytest.approx(1 / 101)
    assert lookup(run, "POST /v1/notices", "dropped") == 1.0
    assert lookup(run, "arrivals", "dropped") == 19.0
    assert lookup(run, "e2e_takedown.good_faith", "p95") is None  # nothing recorded
    assert lookup(run, "e2e_takedown.good_faith", "count") == 0.0
    assert lookup(run, "e2e_takedown.good_faith", "unfinished") == 0.0
    assert lookup(run, "e2e_takedown.standard", "unfinished_ratio") == 0.5
    text = '[thresholds]\n"POST /v1/notices" = ["p99 < 101ms", "fail_ratio < 0.001"]\n'
    text += '"e2e_takedown" = ["unfinished_ratio < 0.1"]\n'
    checked = verdicts(run, parse_slo(text, KNOWN_METRICS))
    assert [v.passed for v in checked] == [True, False, False]


def test_junit_marks_breaches(tmp_path: Path) -> None:
    text = '[thresholds]\n"arrivals" = ["dropped == 0", "rps > 1"]\n'
    checked = verdicts(_run(), parse_slo(text, KNOWN_METRICS))
    write_junit(tmp_path / "j.xml", checked)
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failed = [c.get("name") for c in suite if c.find("failure") is not None]
    assert failed == ["dropped == 0"]


def test_nominal_rate_follows_the_shape_and_replay() -> None:
    profile = profile_from_dict(
        {"rates": {"rights_holder": 1, "account_manager": 1, "shopper": 2, "seller": 0}}
    )
    assert nominal_rate(profile, 10.0) == pytest.approx(4.0)
    # a replay replaces the rights holders' own arrivals: 30 rows in 10 s
    assert nominal_rate(profile, 10.0, replay_rows=30) == pytest.approx(6.0)
    spiky = profile_from_dict(
        {
            "rates": {"shopper": 10, "rights_holder": 0, "account_manager": 0, "seller": 0},
            "shape": {"kind": "spike", "peak": 3.0},
        }
    )
    assert nominal_rate(spiky, 100.0) == pytest.approx(12.0, rel=1e-3)
