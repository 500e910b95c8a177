"""The per-second timeline: samples filed by the second they were due, merged exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from loadtest.hdr import Recorder, new_histogram
from loadtest.shapes import Constant, Ramp
from loadtest.timeline import (
    Second,
    Timeline,
    cell_series,
    merge_timelines,
    percentile_s,
    summarise,
    target_per_second,
)


class Clock:
    """A clock the test sets by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _worker(seed: int, n: int) -> tuple[Recorder, Timeline]:
    """A recorder with a timeline fed ``n`` seeded samples over 10 s, a few failed or censored."""
    rng = np.random.default_rng(seed)
    clock = Clock()
    rec, timeline = Recorder(), Timeline(clock)
    rec.timeline = timeline
    timeline.start(clock.now)
    for due, latency, kind in zip(
        np.sort(rng.uniform(0.0, 10.0, n)).tolist(),
        rng.lognormal(-3.0, 1.0, n).tolist(),
        rng.integers(0, 20, n).tolist(),
        strict=True,
    ):
        clock.now = 100.0 + due + latency
        if kind == 0:
            rec.record_censored("e2e_takedown", latency)
        else:
            rec.record("e2e_takedown", latency, ok=kind != 1)
        timeline.arrival(due, started=kind != 0)
    return rec, timeline


def test_a_sample_is_filed_under_the_second_it_was_due() -> None:
    clock = Clock()
    rec, timeline = Recorder(), Timeline(clock)
    rec.timeline = timeline
    timeline.start(100.0)
    clock.now = 103.9
    rec.record("GET /v1/listings", 1.5)  # due at 2.4 s, seen at 3.9 s
    rec.record_censored("GET /v1/listings", 3.0)  # due at 0.9 s
    clock.now = 99.0
    rec.record("GET /v1/listings", 0.5)  # before the start: second 0
    cells = timeline.series["GET /v1/listings"]
    assert sorted((sec, c.count, c.censored) for sec, c in cells.items()) == [(0, 2, 1), (2, 1, 0)]


def test_merged_timelines_sum_the_workers_bucket_by_bucket() -> None:
    workers = [_worker(s, n) for s, n in ((1, 1500), (2, 700), (3, 9))]
    wire = [json.loads(json.dumps(t.encode())) for _, t in workers]
    merged = merge_timelines(wire)
    for sec in range(10):
        want: dict[int, int] = {}
        for _, t in workers:
            for index, n in t.series["e2e_takedown"].get(sec, Second()).buckets.items():
                want[index] = want.get(index, 0) + n
        assert merged.series["e2e_takedown"][sec].buckets == want
        assert merged.arrivals["scheduled"][sec] == sum(
            t.arrivals["scheduled"].get(sec, 0) for _, t in workers
        )
    # over every second, the merged timeline equals the merged whole-run histogram
    whole = Recorder()
    for rec, _ in workers:
        whole.add_encoded(json.loads(json.dumps(rec.encode())))
    hist = whole.get("e2e_takedown").hist
    counts = {i: int(hist.get_count_at_index(i)) for i in range(hist.counts_len)}
    assert merged.totals("e2e_takedown") == {i: n for i, n in counts.items() if n}
    cells = merged.series["e2e_takedown"].values()
    assert sum(c.censored for c in cells) == whole.get("e2e_takedown").censored
    assert sum(c.failures for c in cells) == whole.get("e2e_takedown").failures


@pytest.mark.parametrize("q", [0.0, 50.0, 95.0, 99.0, 100.0])
def test_per_second_percentiles_are_the_hdr_histograms(q: float) -> None:
    _, timeline = _worker(7, 3000)
    template = new_histogram()
    for cell in timeline.series["e2e_takedown"].values():
        assert percentile_s(cell, q, template) == cell_series(cell).percentile_s(q)


def test_summary_lines_up_arrivals_target_and_latency() -> None:
    _, timeline = _worker(5, 400)
    target = target_per_second(40.0, Constant(), 10.0)
    doc = summarise(timeline, ["e2e_takedown", "absent"], target)
    assert doc["t_s"] == list(range(10))
    assert sum(doc["arrivals"]["target"]) == pytest.approx(400.0, rel=1e-6)
    arr = doc["arrivals"]
    assert [s + d for s, d in zip(arr["started"], arr["dropped"], strict=True)] == arr["scheduled"]
    assert sum(arr["scheduled"]) == 400
    row = doc["series"]["e2e_takedown"]
    assert sum(row["count"]) == 400 and "absent" not in doc["series"]
    assert all(
        a <= b <= c for a, b, c in zip(row["p50_ms"], row["p95_ms"], row["p99_ms"], strict=True)
    )


def test_target_per_second_follows_the_shape_and_adds_fixed_arrivals() -> None:
    ramp = Ramp(start=0.0, end=1.0, ramp=1.0)  # 0 to 10/s over the 4 s: 20 expected
    per_s = target_per_second(10.0, ramp, 4.0, [0.5, 0.7, 3.2])
    assert sum(per_s) == pytest.approx(20.0 + 3, rel=1e-3)
    assert per_s[0] < per_s[1] < per_s[2] < per_s[3]
