"""HDR recorders: exact merging across workers and percentiles within 3 significant digits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from loadtest.hdr import HIGHEST_US, Recorder, merge, to_us


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
