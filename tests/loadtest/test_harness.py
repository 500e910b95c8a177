"""The per-process harness: how a run's arrivals are shared among workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.config import RunConfig
from loadtest.harness import Harness
from loadtest.profile import profile_from_dict

KEYS = {
    "admin": {"key": "a"},
    "rights_holders": [{"key": f"r{b}", "brand_id": b, "program": "standard"} for b in (1, 2)],
    "account_managers": [{"key": "m", "brand_ids": [1, 2]}],
    "sellers": [{"key": "s", "seller_id": 1}],
}


def _harness(tmp_path: Path, index: int, replay: Path | None = None) -> Harness:
    (tmp_path / "keys.json").write_text(json.dumps(KEYS))
    profile = profile_from_dict(
        {
            "profile": {"process": "constant"},
            "rates": {"rights_holder": 4.0, "account_manager": 0.0, "shopper": 12.0, "seller": 0},
        }
    )
    config = RunConfig(
        profile.model_dump(mode="json"), str(tmp_path / "keys.json"), 10.0, 2, str(tmp_path), 1,
        str(replay) if replay else None, 60.0,
    )  # fmt: skip
    return Harness(config, "http://127.0.0.1:9", index)


# Locust placed 3 shoppers and 1 rights holder on worker 0, 1 shopper and 3 on worker 1
PLAN = {0: {"shopper": 3, "rights_holder": 1}, 1: {"shopper": 1, "rights_holder": 3}}


def test_rates_split_in_proportion_to_the_users_each_worker_holds(tmp_path: Path) -> None:
    parts = []
    for k in (0, 1):
        h = _harness(tmp_path, k)
        h.plan = PLAN
        parts.append(h.schedule())
    count = [{r: p.roles.count(r) for r in ("shopper", "rights_holder")} for p in parts]
    # 12/s shoppers for 10 s split 3:1, 4/s rights holders split 1:3 (constant spacing)
    assert count == [{"shopper": 90, "rights_holder": 10}, {"shopper": 30, "rights_holder": 30}]
    assert h.share("shopper") == pytest.approx(0.25)


def test_replay_rows_follow_the_rights_holders(tmp_path: Path) -> None:
    trace = tmp_path / "notices.csv"
    rows = "".join(f"{i / 60:.6f},1,1,true,notice,,\n" for i in range(8))  # one a minute
    trace.write_text("t_h,brand_id,listings,valid,channel,decided_at_h,removed_at_h\n" + rows)
    got = []
    for k in (0, 1):
        h = _harness(tmp_path, k, trace)
        h.plan = PLAN
        got.append(sorted(p.row for p in h.schedule().payloads if p is not None))
    # owners by user: worker 0 holds one rights holder, worker 1 three: rows 0, 4 | rest
    assert got == [[0, 4], [1, 2, 3, 5, 6, 7]]


def test_polls_back_off_but_never_later_than_the_accuracy_allows(tmp_path: Path) -> None:
    h = _harness(tmp_path, 0)
    e2e = h.profile.e2e  # 50 ms start, x1.5, at most 5% of the elapsed time, cap 1 s
    assert h.next_poll_gap_s(0.05, 0.2) == e2e.poll_interval_s  # early: the floor
    assert h.next_poll_gap_s(0.05, 10.0) == pytest.approx(0.075)  # backing off
    assert h.next_poll_gap_s(0.9, 10.0) == pytest.approx(0.5)  # 5% of 10 s, not 1 s
    assert h.next_poll_gap_s(0.9, 100.0) == e2e.poll_interval_max_s


def test_constant_workers_get_distinct_phases_and_brands_one_owner(tmp_path: Path) -> None:
    plan = {0: {"shopper": 2, "rights_holder": 1}, 1: {"shopper": 2, "rights_holder": 1}}
    times, brands = [], []
    for k in (0, 1):
        h = _harness(tmp_path, k)
        h.plan = plan
        sched = h.schedule()
        pairs = zip(sched.times_s.tolist(), sched.roles, strict=True)
        times.append([t for t, r in pairs if r == "shopper"])
        brands.append(h.own_brands())
    # 12/s split evenly: each worker 6/s, offset by half a gap, so together every 1/12 s
    assert set(times[0]).isdisjoint(times[1])
    merged = sorted(times[0] + times[1])
    assert merged == pytest.approx([(j + 0.5) / 12 for j in range(120)])
    assert brands == [[1], [2]]  # each brand swept (and filed for) by one worker


def test_reviewers_keep_arriving_while_a_followed_notice_is_open(tmp_path: Path) -> None:
    import time

    import gevent

    (tmp_path / "keys.json").write_text(json.dumps(KEYS))
    profile = profile_from_dict({"rates": {"account_manager": 20.0}, "e2e": {"timeout_s": 30}})
    config = RunConfig(
        profile.model_dump(mode="json"), str(tmp_path / "keys.json"), 10.0, 0, str(tmp_path), 1
    )
    h = Harness(config, "http://127.0.0.1:9", 0)
    h.plan = {0: {"account_manager": 1}}
    got: list[str] = []

    def reviewer() -> None:
        while (arrival := h.slots["account_manager"].take()) is not None:
            got.append(arrival.role)
            if len(got) == 3:  # the third decision closes the last open notice
                h._open.clear()

    g = gevent.spawn(reviewer)
    gevent.sleep(0)
    h._open[0] = ("standard", time.perf_counter())
    h.keep_reviewing()  # returns once nothing is open (the window itself is 31 s)
    h.close_slots()
    g.join()
    assert got == ["account_manager"] * 3
    # the reviewer frees only after clearing the last notice, so exactly 3 started (an
    # offer made while it was still busy would be dropped and counted, not lost)
    fu = h.follow_up
    assert fu["started"] == 3 and fu["scheduled"] == fu["started"] + fu["dropped"]
