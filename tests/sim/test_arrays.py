"""General array helpers: byte masks, runs of equal neighbours, the guide table."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.arrays import ByteMask, GuideTable, run_bounds
from sim.market import pick_brands, zipf_weights
from tests.hypo import examples


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 1e-9, 0.01, 0.3, 1.0, 7.0, 1e6]), min_size=1, max_size=60),
    st.integers(0, 2**32),
)
def test_guide_table_gives_the_indices_of_the_binary_search(
    weights: list[float], seed: int
) -> None:
    """Same index as searchsorted for every draw, with zero and tiny weights (runs of
    equal sums), one huge weight, and draws forced onto the sums themselves."""
    cum = np.cumsum(weights)
    rng = np.random.default_rng(seed)
    u = np.concatenate([rng.random(500) * cum[-1], cum[cum < cum[-1]], [0.0]])
    expect = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    assert GuideTable(cum).index(u).tolist() == expect.tolist()
    same = pick_brands(cum, np.random.default_rng(seed), 300, GuideTable(cum))
    assert same.tolist() == pick_brands(cum, np.random.default_rng(seed), 300).tolist()


def test_guide_table_on_the_full_brand_weights() -> None:
    cum = np.cumsum(zipf_weights(3000, 1.0))
    u = np.random.default_rng(5).random(200_000) * cum[-1]
    expect = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    assert GuideTable(cum).index(u).tolist() == expect.tolist()


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 50), max_size=20), min_size=1, max_size=5),
    st.lists(st.integers(0, 80), max_size=10),
)
def test_byte_mask_agrees_with_isin_and_leaves_no_marks(
    batches: list[list[int]], members: list[int]
) -> None:
    """Members past the cover (up to 80 against items below 51) count for nothing, and
    each test unmarks what it marked, so the next one starts clean."""
    mask = ByteMask()
    mask.cover(51)
    wanted = np.asarray(members, dtype=np.int64)
    for items in batches:
        got = np.asarray(items, dtype=np.int64)
        assert mask.isin(got, wanted).tolist() == np.isin(got, wanted).tolist()
        assert not mask.mask.any()


def test_run_bounds_cut_equal_neighbours() -> None:
    starts, ends = run_bounds(np.array([3, 3, 5, 7, 7, 7]))
    assert starts.tolist() == [0, 2, 3] and ends.tolist() == [2, 3, 6]
    starts, ends = run_bounds(np.array([4]))
    assert starts.tolist() == [0] and ends.tolist() == [1]
    starts, ends = run_bounds(np.array([], dtype=np.int64))
    assert starts.tolist() == [] and ends.tolist() == []
