"""The due list: future items released hour by hour, each once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.due_list import DueList
from tests.hypo import examples


def test_due_list_releases_items_in_their_hour() -> None:
    due = DueList()
    due.push(np.array([5.5, 1.2, 1.9, 30.0]), np.array([0, 1, 2, 3]), np.array([9, 9, 9, 9]))
    due.push(np.array([1.0]), np.array([4]), np.array([8]))
    assert len(due) == 5
    t, acc, _ = due.pop_before(1.0)
    assert len(t) == 0
    t, acc, brand = due.pop_before(2.0)
    assert acc.tolist() == [1, 2, 4] and t.tolist() == [1.2, 1.9, 1.0]
    assert brand.tolist() == [9, 9, 8]
    t, acc, _ = due.pop_before(10.0)
    assert acc.tolist() == [0]
    assert len(due) == 1


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.lists(st.floats(-3.0, 60.0, allow_nan=False), max_size=30),
        min_size=1,
        max_size=40,
    )
)
def test_due_list_pops_each_item_once_in_the_hour_it_falls_due(
    pushes: list[list[float]],
) -> None:
    """Hour h pushes items due from h - 3 on (overdue ones as the model's relists of
    fakes caught at upload, pushed after their hour was released) and pops those due
    before h + 1: exactly the pending items due before h + 1, each once, whether they
    were overdue, near, far or pushed since the last split (40 hours of pushes)."""
    due = DueList()
    pending: list[tuple[float, int]] = []
    serial = 0
    for hour, offsets in enumerate(pushes):
        t = np.array([hour + x for x in offsets])
        ids = np.arange(serial, serial + len(t), dtype=np.int64)
        serial += len(t)
        due.push(t, ids, ids * 2)
        pending += list(zip(t.tolist(), ids.tolist(), strict=True))
        got_t, got_id, got_brand = due.pop_before(hour + 1.0)
        expect = sorted(p for p in pending if p[0] < hour + 1.0)
        pending = [p for p in pending if p[0] >= hour + 1.0]
        assert sorted(zip(got_t.tolist(), got_id.tolist(), strict=True)) == expect
        assert got_brand.tolist() == (got_id * 2).tolist()
        assert len(due) == len(pending)
