"""Load shapes: multipliers at known times and their means."""

from __future__ import annotations

import numpy as np
import pytest

from loadtest.shapes import Constant, Ramp, Spike, Step, mean_multiplier


def test_shapes_at_known_times() -> None:
    t = np.array([0.0, 25.0, 50.0, 75.0, 99.0])
    assert Ramp(start=0.0, end=1.0, ramp=0.5).multiplier(t, 100.0).tolist() == [
        0.0,
        0.5,
        1.0,
        1.0,
        1.0,
    ]
    assert Step(steps=4).multiplier(t, 100.0).tolist() == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert Spike(peak=3.0, at=0.5, width=0.1).multiplier(t, 100.0).tolist() == [1, 1, 3, 1, 1]
    assert Constant().multiplier(t, 100.0).tolist() == [1.0] * 5


@pytest.mark.parametrize(
    ("shape", "mean"),
    [
        (Constant(), 1.0),
        (Ramp(start=0.0, end=1.0, ramp=0.5), 0.75),
        (Step(steps=4), 0.625),
        (Spike(peak=3.0, at=0.5, width=0.1), 1.2),
    ],
)
def test_mean_multiplier(shape: Constant | Ramp | Step | Spike, mean: float) -> None:
    # a 20 001-point trapezoid over step edges errs by at most one grid cell (5e-5 of the run)
    assert mean_multiplier(shape, 100.0) == pytest.approx(mean, abs=5e-4)
