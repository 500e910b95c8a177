"""The service's clock: every handler asks its context for the time, never ``time.time()``.

Production uses the system clock; tests hand the app a ``ManualClock`` and advance it,
so lease expiry, suspensions, rate-limit refill and key-cache refresh are tested
without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]  # epoch seconds


def system_clock() -> float:
    """Wall-clock epoch seconds."""
    return time.time()


class ManualClock:
    """A clock that moves only when told to (thread-safe)."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (never back); returns the new time."""
        if seconds < 0:
            raise ValueError("seconds: a clock does not run backwards")
        with self._lock:
            self._now += seconds
            return self._now
