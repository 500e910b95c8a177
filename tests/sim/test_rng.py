"""Named random streams: stable per name, independent across names, seeded at run time."""

from __future__ import annotations

import numpy as np
import pytest

from sim.rng import Streams, draw_seed, keyed_uniforms


def test_same_seed_and_name_give_the_same_sequence() -> None:
    a = Streams(7).get("counterfeiters").random(5)
    b = Streams(7).get("counterfeiters").random(5)
    assert np.array_equal(a, b)


def test_asking_again_restarts_the_stream() -> None:
    streams = Streams(7)
    assert np.array_equal(streams.get("x").random(3), streams.get("x").random(3))


def test_names_and_seeds_give_different_sequences() -> None:
    base = Streams(7).get("counterfeiters").random(5)
    assert not np.array_equal(base, Streams(7).get("brands").random(5))
    assert not np.array_equal(base, Streams(8).get("counterfeiters").random(5))


def test_a_new_stream_does_not_shift_an_old_one() -> None:
    """Streams are keyed by name, not by the order they are asked for."""
    first = Streams(3)
    first.get("new_mechanism").random(100)
    assert np.array_equal(first.get("market").random(4), Streams(3).get("market").random(4))


def test_known_values_stay_put() -> None:
    """A golden draw: changing how streams are derived would silently change every run."""
    draws = Streams(2024).get("market").integers(0, 1_000_000, 3)
    assert draws.tolist() == [847265, 68441, 182993]


def test_streams_look_independent() -> None:
    """Correlation of 100 000 uniforms from two names: |r| < 5/sqrt(n) = 0.016."""
    a = Streams(1).get("a").random(100_000)
    b = Streams(1).get("b").random(100_000)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(100_000)


def test_negative_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="seed must be >= 0"):
        Streams(-1)


def test_draw_seed_is_fresh_and_fits_63_bits() -> None:
    seeds = {draw_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(0 <= s < 2**63 for s in seeds)
    assert repr(Streams(5)) == "Streams(seed=5)"


def test_keyed_uniforms_depend_on_key_row_and_counter_only() -> None:
    rows = np.arange(50_000, dtype=np.int64)
    u = keyed_uniforms(11, rows, 5)
    assert ((u >= 0.0) & (u < 1.0)).all()
    # a row's draw is the same whatever other rows are drawn with it
    assert keyed_uniforms(11, rows[::7], 5).tolist() == u[::7].tolist()
    assert not np.array_equal(keyed_uniforms(11, rows, 6), u)
    assert not np.array_equal(keyed_uniforms(12, rows, 5), u)
    # one counter per row: each row's draw is its scalar-counter draw
    counters = rows % 9
    mixed = keyed_uniforms(11, rows, counters)
    for k in range(9):
        assert mixed[counters == k].tolist() == keyed_uniforms(11, rows[counters == k], k).tolist()
    # uniform: each decile within 0.01 of 0.1 (binomial sd 0.0013 over 50k draws)
    assert np.abs(np.histogram(u, bins=10, range=(0, 1))[0] / len(u) - 0.1).max() < 0.01
