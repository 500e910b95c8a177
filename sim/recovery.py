"""How far and how fast activity comes back after a policy change, read off a run's
daily series (for the deterrence scenario and its report)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.types import FloatArray


@dataclass(frozen=True, slots=True)
class Recovery:
    """Activity (a daily count, as a trailing ``smooth_days`` mean) before a change on
    ``change_day``, at its lowest after it, and at the end; ``days_to_half``: days from
    the change until it first won back half of what it lost (None: never)."""

    before: float
    trough: float
    trough_day: int
    end: float
    days_to_half: int | None

    @property
    def recovered_share(self) -> float:
        """How much of the drop had come back by the end (0: none, 1: all)."""
        drop = self.before - self.trough
        return (self.end - self.trough) / drop if drop > 0 else float("nan")


def recovery(daily: FloatArray, change_day: int, smooth_days: int = 14) -> Recovery:
    """Recovery of ``daily`` (one value a day) after ``change_day``: ``before`` is the
    mean of the ``smooth_days`` before the change, the rest are trailing means."""
    x = np.asarray(daily, dtype=np.float64)
    kernel = np.ones(smooth_days) / smooth_days
    smooth = np.convolve(x, kernel, mode="full")[: len(x)]  # mean of the days up to each
    before = float(x[change_day - smooth_days : change_day].mean())
    after = smooth[change_day + smooth_days - 1 :]  # windows wholly after the change
    low = int(np.argmin(after))
    trough = float(after[low])
    half = trough + 0.5 * (before - trough)
    back = np.flatnonzero(after[low:] >= half)
    days = None if len(back) == 0 else int(low + back[0] + smooth_days - 1)
    return Recovery(before, trough, change_day + smooth_days - 1 + low, float(after[-1]), days)
