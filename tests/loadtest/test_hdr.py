"""HDR recorders: exact merging across workers and percentiles within 3 significant digits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.hdr import HIGHEST_US, Recorder, Series, counts_index, merge, new_histogram, to_us
from tests.hypo import examples


def _worker(seed: int, n: int) -> Recorder:
    rng = np.random.default_rng(seed)
    rec = Recorder()
    for x in rng.lognormal(-3.0, 1.0, n).tolist():
        rec.record("e2e_takedown", x)
    rec.record("POST /v1/notices", 0.05, ok=False)
    return rec


def test_merged_counts_equal_the_sum_of_workers_through_json() -> None:
    workers = [_worker(s, n) for s, n in ((1, 1000), (2, 2345), (3, 7))]
    wire = [json.loads(json.dumps(w.encode())) for w in workers]
    merged = merge(wire)
    assert merged.counts()["e2e_takedown"] == 1000 + 2345 + 7
    assert merged.get("POST /v1/notices").failures == 3
    # bucket by bucket: the merged histogram equals one recorder fed every sample
    whole = Recorder()
    for s, n in ((1, 1000), (2, 2345), (3, 7)):
        for x in np.random.default_rng(s).lognormal(-3.0, 1.0, n).tolist():
            whole.record("e2e_takedown", x)
    for q in (50, 90, 99, 99.9):
        a = merged.get("e2e_takedown").percentile_s(q)
        assert a == whole.get("e2e_takedown").percentile_s(q)


def test_percentiles_match_numpy_within_histogram_precision() -> None:
    rng = np.random.default_rng(7)
    xs = rng.exponential(0.2, 50_000)
    rec = Recorder()
    for x in xs.tolist():
        rec.record("m", x)
    for q in (50, 95, 99):
        # 3 significant digits: bucket width <= 0.1% of the value, plus 1 us rounding
        assert rec.get("m").percentile_s(q) == pytest.approx(np.percentile(xs, q), rel=2e-3)


def test_empty_series_has_no_statistics_and_values_are_clamped() -> None:
    rec = Recorder()
    assert rec.get("x").percentile_s(99) is None
    assert rec.get("x").mean_s() is None
    assert to_us(1e9) == HIGHEST_US
    assert to_us(0.0) == 1


@settings(max_examples=examples(30), deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=300))
def test_fast_percentiles_and_mean_equal_the_libraries_own(values_us: list[int]) -> None:
    s = Series()
    for v in values_us:
        s.hist.record_value(v)
    for q in (0.0, 1.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0):
        assert s.percentile_s(q) == s.hist.get_value_at_percentile(q) / 1e6, q
    assert s.mean_s() == pytest.approx(s.hist.get_mean_value() / 1e6, rel=1e-12)


def test_after_a_warm_up_a_second_recorder_holds_only_the_later_samples() -> None:
    rec = Recorder()
    rec.warm_up(3600.0)  # an hour from now: nothing recorded in this test is after it
    rec.record("a", 0.1)
    assert rec.steady is not None and rec.steady.counts() == {}
    rec.warm_up(0.0)  # from now on
    rec.record("a", 0.2, ok=False)
    rec.record_censored("a", 5.0)
    assert rec.counts() == {"a": 3}
    steady = rec.steady.get("a")
    assert (steady.count, steady.failures, steady.censored) == (2, 1, 1)
    again = merge([rec.encode()]).get("a")  # censored counts travel with the histograms
    assert (again.count, again.failures, again.censored) == (3, 1, 1)


@settings(max_examples=examples(300))
@given(st.lists(st.integers(1, HIGHEST_US), min_size=1, max_size=40))
def test_the_fast_recording_path_is_hdrhistogram_s_own(values: list[int]) -> None:
    """``counts_index`` and ``Series.add`` leave a histogram exactly as ``record_value``
    does: every bucket, the total, min and max, and so its encoding."""
    ours, theirs = Series(), new_histogram()
    for v in values:
        assert counts_index(v) == theirs.get_counts_array_index(v)
        ours.add(v, counts_index(v))
        theirs.record_value(v)
    h = ours.hist
    assert (h.total_count, h.min_value, h.max_value) == (
        theirs.total_count, theirs.min_value, theirs.max_value
    )  # fmt: skip
    assert bytes(h.counts) == bytes(theirs.counts)
    assert h.encode() == theirs.encode()


def test_the_index_at_every_bucket_edge() -> None:
    """Both sides of every power of two, where the bucket changes."""
    theirs = new_histogram()
    edges = [1 << k for k in range(HIGHEST_US.bit_length())]
    for v in sorted({max(1, min(e + d, HIGHEST_US)) for e in edges for d in (-1, 0, 1)}):
        assert counts_index(v) == theirs.get_counts_array_index(v), v
