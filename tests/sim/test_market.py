"""Brands: popularity, programmes and drawing brands by weight."""

from __future__ import annotations

import numpy as np
import pytest

from sim.market import assign_programmes, pick_brands, zipf_weights


def test_zipf_weights_have_mean_one_and_decrease() -> None:
    w = zipf_weights(5, 1.0)
    assert w.mean() == pytest.approx(1.0)
    assert np.all(np.diff(w) < 0)
    assert w[0] / w[1] == pytest.approx(2.0)
    assert np.allclose(zipf_weights(4, 0.0), 1.0)


def test_pick_brands_follows_the_weights() -> None:
    """200k draws; each share within 0.005 (binomial sd below 0.0012)."""
    w = np.array([0.5, 0.3, 0.2])
    picks = pick_brands(np.cumsum(w), np.random.default_rng(1), 200_000)
    assert np.abs(np.bincount(picks, minlength=3) / 200_000 - w).max() < 0.005


def test_assign_programmes_gives_every_programme_its_share() -> None:
    codes = assign_programmes(
        12, {"standard": 0.34, "good_faith": 0.33, "joint_force": 0.33}, np.random.default_rng(0)
    )
    assert sorted(np.bincount(codes, minlength=3).tolist()) == [4, 4, 4]
    one = assign_programmes(3, {"joint_force": 1.0}, np.random.default_rng(0))
    assert one.tolist() == [2, 2, 2]
