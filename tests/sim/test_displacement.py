"""Displacement: the enforced share per brand over a week, and the weights it gives."""

from __future__ import annotations

import numpy as np
import pytest

from sim.displacement import Displacement


def pressed(strength: float = 1.0) -> Displacement:
    """Two equally popular brands, 10 fakes each posted every day for 10 days; brand 0
    had 5 of them removed by its own action on day 8."""
    d = Displacement(strength, np.ones(2), days=10)
    for day in range(10):
        d.posted(np.repeat([0, 1], 10), day * 24.0 + 3.0)
    d.enforced(np.zeros(5, dtype=np.int64), 8 * 24.0 + 1.0)
    return d


def test_rate_is_the_enforced_share_of_the_last_seven_days() -> None:
    d = pressed()
    assert d.pressure.rate(8).tolist() == [5 / 70, 0.0]
    assert d.pressure.rate(1).tolist() == [0.0, 0.0]
    assert d.pressure.rate(2).tolist() == [0.0, 0.0]
    assert d.pressure.posted[:, :3].sum(axis=1).tolist() == [30.0, 30.0]


def test_late_counts_fall_on_the_last_day() -> None:
    d = pressed()
    d.posted(np.array([1]), 500.0)
    assert d.pressure.posted[1, 9] == 11.0


def test_weights_fall_exponentially_with_the_rate_over_its_mean() -> None:
    """rate (1/14, 0), mean 1/28: weights exp(-2 * strength) and 1."""
    cum = pressed(1.5).brand_cum(8)
    assert cum is not None
    assert cum.tolist() == pytest.approx([np.exp(-3.0), np.exp(-3.0) + 1.0])


def test_without_enforcement_the_weights_stay() -> None:
    assert pressed().brand_cum(3) is None


def test_strength_zero_counts_nothing() -> None:
    d = Displacement(0.0, np.ones(3), days=10)
    d.posted(np.array([0, 1]), 5.0)
    d.enforced(np.array([0]), 5.0)
    assert not d.on
    assert d.pressure.posted.shape == d.pressure.enforced.shape == (0, 0)
