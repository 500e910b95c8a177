"""The live-fake store: permanent ids, lazy compaction and its column indexes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.store import ListingStore
from tests.hypo import examples


def batch(brand: list[int], created_h: float = 0.0) -> dict[str, np.ndarray]:
    k = len(brand)
    return {
        "brand": np.asarray(brand, dtype=np.int32),
        "account": np.zeros(k, dtype=np.int32),
        "obfuscated": np.zeros(k, dtype=bool),
        "created_h": np.full(k, created_h),
        "expires_h": np.full(k, 100.0),
        "first_sale_h": np.full(k, np.inf),
        "price_usd": np.full(k, 10.0),
    }


def test_ids_are_permanent_and_increasing_across_compaction() -> None:
    store = ListingStore(capacity=2)
    ids = store.append(batch([0, 1, 2, 3, 4]))
    assert ids.tolist() == [0, 1, 2, 3, 4]
    skipped = store.reserve_ids(2)  # caught at upload: ids, no rows
    assert skipped.tolist() == [5, 6]
    more = store.append(batch([5, 6]))
    assert more.tolist() == [7, 8]
    store.kill(store.rows_of(np.array([0, 1, 2, 4])))
    store.maybe_compact()
    assert store.n == 3 and len(store) == 3
    assert store.col("id").tolist() == [3, 7, 8]
    assert store.col("brand").tolist() == [3, 5, 6]
    assert store.rows_of(np.array([3, 8])).tolist() == [0, 2]


def test_rows_of_skips_dead_and_unknown_ids() -> None:
    store = ListingStore()
    store.append(batch([0, 0, 0]))
    store.kill(np.array([1]))
    assert store.rows_of(np.array([0, 1, 2, 99])).tolist() == [0, 2]
    assert len(store) == 2


def test_compaction_waits_until_half_is_dead() -> None:
    store = ListingStore()
    store.append(batch([0, 0, 0, 0]))
    store.kill(np.array([0, 1]))
    store.maybe_compact()
    assert store.n == 4  # half dead: not yet
    store.kill(np.array([2]))
    store.maybe_compact()
    assert store.n == 1 and store.col("id").tolist() == [3]


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=30))
def test_store_keeps_id_order_under_any_appends_and_kills(ops: list[tuple[int, int]]) -> None:
    store = ListingStore(capacity=1)
    live: set[int] = set()
    rng = np.random.default_rng(0)
    for add, kill in ops:
        live |= set(store.append(batch([0] * add)).tolist())
        victims = rng.choice(sorted(live), size=min(kill, len(live)), replace=False)
        store.kill(store.rows_of(np.sort(victims.astype(np.int64))))
        live -= set(victims.tolist())
        store.maybe_compact()
        ids = store.col("id")[store.alive_mask()]
        assert ids.tolist() == sorted(live)
        assert np.all(np.diff(store.col("id")) > 0)


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 30),
            st.integers(0, 30),
            st.lists(st.integers(0, 9), max_size=4, unique=True),
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 40),
)
def test_indexed_lookups_equal_a_pass_over_the_store(
    ops: list[tuple[int, int, list[int]]], tail_rows: int
) -> None:
    """The account and sweep-slot indexes (merged tails, compactions, dead rows) find exactly
    the live rows a full pass would, in row order; ``tail_rows`` small forces merges,
    and lookups of many rows take the mask path, of few the sort path."""
    store = ListingStore(capacity=1)
    for index in store.indexes.values():
        index.MIN_TAIL = tail_rows
    rng = np.random.default_rng(1)
    for add, kill, banned in ops:
        b = batch([0] * add)
        b["account"] = rng.integers(0, 10, add).astype(np.int32)
        b["sweep_slot"] = rng.integers(0, 10, add).astype(np.int16)
        store.append(b)
        live = np.flatnonzero(store.alive_mask())
        store.kill(np.sort(rng.choice(live, size=min(kill, len(live)), replace=False)))
        store.maybe_compact()
        for column in ("account", "sweep_slot"):
            wanted = np.asarray(sorted(banned), dtype=np.int64)
            expect = np.flatnonzero(store.alive_mask() & np.isin(store.col(column), wanted))
            assert store.rows_where(column, wanted).tolist() == expect.tolist()
            for value in wanted.tolist():  # one value: row order without a sort
                one = np.flatnonzero(store.alive_mask() & (store.col(column) == value))
                assert store.rows_where(column, np.array([value])).tolist() == one.tolist()


def test_expiring_finds_live_rows_due_and_never_dead_ones() -> None:
    store = ListingStore()
    b = batch([0, 1, 2, 3])
    b["expires_h"] = np.array([5.0, 10.0, 15.0, 20.0])
    store.append(b)
    store.kill(np.array([1]))
    assert store.expiring(12.0).tolist() == [0]
    assert store.expiring(25.0).tolist() == [0, 2, 3]
    store.maybe_compact()  # 1 dead of 4: no compaction yet
    store.kill(np.array([0, 3]))
    store.maybe_compact()
    assert store.expiring(25.0).tolist() == [0]  # the row of id 2, moved to the front
    assert store.col("id")[store.expiring(25.0)].tolist() == [2]


def test_locate_marks_missing_and_dead_ids() -> None:
    store = ListingStore()
    rows, live = store.locate(np.array([0, 1]))
    assert not live.any()  # empty store
    store.append(batch([0, 0, 0]))
    store.kill(np.array([1]))
    rows, live = store.locate(np.array([0, 1, 2, 7]))
    assert live.tolist() == [True, False, True, False]
    assert rows[live].tolist() == [0, 2]
