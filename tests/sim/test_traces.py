"""The notice trace: rows filed singly and in batches, decisions and removals."""

from __future__ import annotations

import math

import numpy as np

from sim.traces import NoticeLog


def test_notice_log_keeps_the_first_removal_time() -> None:
    log = NoticeLog()
    nid = log.file(3.0, 1, 4, True, "joint_force")
    log.removed(nid, 3.0, 2)
    log.removed(nid, 9.0, 1)
    log.removed(nid, 10.0, 0)
    table = log.table()
    assert table["removed_at_h"].tolist() == [3.0]
    assert table["listings_removed"].tolist() == [3]
    assert math.isnan(table["decided_at_h"][0])


def test_notices_filed_together_are_logged_row_by_row() -> None:
    """Batches (one of them empty) and single notices, past the initial capacity (the
    columns grow more than once): ids run on, and every row holds what was filed,
    undecided and with nothing removed yet."""
    rng = np.random.default_rng(4)
    log = NoticeLog(capacity=4)
    expected: list[tuple[float, int, int, bool, str]] = []
    for t_h, k in ((0.0, 3), (5.0, 0), (7.0, 11), (30.0, 2)):
        brands = rng.integers(0, 9, k).tolist()
        listings = rng.integers(1, 300, k).tolist()
        channels = [NoticeLog.CHANNELS[b % 3] for b in brands]
        valid = k != 11
        ids = log.file_many(t_h, brands, listings, valid, channels)
        assert list(ids) == list(range(len(expected), len(expected) + k))
        expected += [
            (t_h, b, n, valid, c) for b, n, c in zip(brands, listings, channels, strict=True)
        ]
        assert log.file(t_h + 0.5, 1, 2, True, "joint_force") == len(expected)
        expected.append((t_h + 0.5, 1, 2, True, "joint_force"))
    table = log.table()
    assert len(log) == len(expected) == 20
    names = ("t_h", "brand_id", "listings", "valid", "channel")
    got = zip(*(table[c].tolist() for c in names), strict=True)
    assert list(got) == expected
    assert np.isnan(table["decided_at_h"]).all() and np.isnan(table["removed_at_h"]).all()
    assert not table["listings_removed"].any()


def test_removals_of_several_notices_at_once_match_one_by_one() -> None:
    """Distinct notices, some with nothing removed, some removed before (whose first
    removal time stays)."""
    one, many = NoticeLog(), NoticeLog()
    for log in (one, many):
        for i in range(6):
            log.file(float(i), i, 5, True, "good_faith")
        log.removed(0, 1.0, 2)
    nids = [4, 0, 2, 5]
    t_h = np.array([9.0, 8.0, 7.5, 6.0])
    counts = np.array([3, 1, 0, 2])
    for nid, t, count in zip(nids, t_h.tolist(), counts.tolist(), strict=True):
        one.removed(nid, t, count)
    many.removed_many(nids, t_h, counts)
    a, b = one.table(), many.table()
    assert np.array_equal(a["removed_at_h"], b["removed_at_h"], equal_nan=True)
    expected = [1.0, np.nan, np.nan, np.nan, 9.0, 6.0]  # notice 0 keeps its first time
    assert np.array_equal(b["removed_at_h"], expected, equal_nan=True)
    assert a["listings_removed"].tolist() == b["listings_removed"].tolist() == [3, 0, 0, 0, 3, 2]
