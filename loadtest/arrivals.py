"""Open-model arrivals: work arrives at intended times whether or not the server keeps up.

``arrival_times`` turns a target rate and a shape into intended start times (Poisson or
evenly spaced), computed up front with numpy. A ``Dispatcher`` greenlet hands each
arrival, at its intended time, to an idle user of its role (``Slots``); when none is
idle the arrival is dropped and counted, never delayed, so the offered rate does not
fall when the server slows. The pool of users may grow on demand up to a bound, and
a dropped arrival is kept for a censored latency. Users measure latency from
``Arrival.intended`` (no coordinated omission).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from loadtest.shapes import Shape

GRID_S = 0.005  # resolution of the integrated rate; far below any inter-arrival gap we drive


def cumulative_rate(
    rate_per_s: float, shape: Shape, duration_s: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Grid times and the expected number of arrivals by each, Lambda(t)."""
    n = max(2, int(np.ceil(duration_s / GRID_S)) + 1)
    t = np.linspace(0.0, duration_s, n)
    lam = rate_per_s * shape.multiplier(t, duration_s)
    steps = np.diff(t) * (lam[1:] + lam[:-1]) / 2.0
    return t, np.concatenate(([0.0], np.cumsum(steps)))


def arrival_times(
    rate_per_s: float,
    shape: Shape,
    duration_s: float,
    process: Literal["poisson", "constant"],
    rng: np.random.Generator,
    phase: float = 0.5,
) -> NDArray[np.float64]:
    """Intended arrival times in seconds from the start, by inverting Lambda(t).

    ``constant`` puts the k-th arrival where Lambda = k + phase (phase in [0, 1) lets
    several workers interleave); ``poisson`` where Lambda equals a sum of unit
    exponentials (a non-homogeneous Poisson process).
    """
    if rate_per_s <= 0 or duration_s <= 0:
        return np.empty(0)
    t, big_lam = cumulative_rate(rate_per_s, shape, duration_s)
    total = float(big_lam[-1])
    if process == "constant":
        targets = np.arange(phase, total, 1.0)
    else:
        n = int(total + 10 * np.sqrt(total) + 20)
        targets = np.cumsum(rng.exponential(1.0, n))
        targets = targets[targets < total]
    # Lambda is flat where the rate is zero; interp on it would be ill-posed, so drop ties
    keep = np.concatenate(([True], np.diff(big_lam) > 0))
    return np.interp(targets, big_lam[keep], t[keep])


@dataclass(frozen=True)
class Schedule:
    """Intended times (s from start), their roles, and an optional payload per arrival."""

    times_s: NDArray[np.float64]
    roles: tuple[str, ...]
    payloads: tuple[Any, ...] = ()

    def __len__(self) -> int:
        return len(self.times_s)


def merge_schedules(parts: dict[str, NDArray[np.float64]]) -> Schedule:
    """One schedule of all roles in time order (ties keep role name order)."""
    names = sorted(parts)
    times = np.concatenate([parts[n] for n in names]) if names else np.empty(0)
    roles = [n for n in names for _ in range(len(parts[n]))]
    order = np.argsort(times, kind="stable")
    return Schedule(times[order], tuple(roles[i] for i in order))


@dataclass
class Arrival:
    """One unit of work: its role, intended start (perf_counter seconds) and payload."""

    role: str
    intended: float
    payload: Any = None


class Slots:
    """Idle users of one role waiting for work, a pool that may grow, and dropped arrivals.

    An offer goes to an idle user; when none is idle and ``room`` allows, ``grow`` adds
    a user that takes the arrival (as k6 adds VUs up to ``maxVUs``); beyond that the
    arrival is dropped. Dropped arrivals wait in ``dropped`` until the next moment a
    user of the role is free, when ``on_free`` receives them (the harness records each
    as a censored latency: at least that late).
    """

    def __init__(self) -> None:
        from gevent.queue import Queue

        self._queue: Queue = Queue()
        self._idle = 0
        self.room = 0
        self.grown = 0
        self.grow: Callable[[], None] | None = None
        self.on_free: Callable[[list[Arrival]], None] | None = None
        self.dropped: list[Arrival] = []
        self.closed = False

    @property
    def free(self) -> int:
        """Users waiting that have no arrival handed to them yet."""
        return self._idle - self._queue.qsize()

    def take(self) -> Arrival | None:
        """Block until an arrival is handed over (called by a user greenlet); None once
        the slots are closed (the run is stopping: the user has nothing more to do)."""
        if self.closed:
            import gevent

            gevent.sleep(0.1)  # a user looping on a closed slot does not spin
            return None
        if self.dropped:
            dropped, self.dropped = self.dropped, []
            if self.on_free is not None:
                self.on_free(dropped)
        self._idle += 1
        try:
            return self._queue.get()
        finally:
            self._idle -= 1

    def close(self) -> None:
        """Wake every waiting user with None, and refuse further offers."""
        self.closed = True
        for _ in range(max(self._idle - self._queue.qsize(), 0)):
            self._queue.put_nowait(None)

    def offer(self, arrival: Arrival) -> bool:
        """Hand ``arrival`` to a free (or new) user; False (dropped) when none can take it."""
        if self.closed:
            return False
        if self.free <= 0:
            if self.grow is None or self.grown >= self.room:
                self.dropped.append(arrival)
                return False
            self.grown += 1
            self.grow()
        self._queue.put_nowait(arrival)
        return True


@dataclass
class Tally:
    """What the dispatcher did: arrivals scheduled, started and dropped per role."""

    scheduled: dict[str, int] = field(default_factory=dict)
    started: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    first_s: float | None = None
    last_s: float | None = None

    def add(self, role: str, started: bool) -> None:
        """Count one arrival that was handed over (``started``) or dropped."""
        self.scheduled[role] = self.scheduled.get(role, 0) + 1
        bucket = self.started if started else self.dropped
        bucket[role] = bucket.get(role, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts (per role and totals)."""
        return {
            "scheduled": dict(sorted(self.scheduled.items())),
            "started": dict(sorted(self.started.items())),
            "dropped": dict(sorted(self.dropped.items())),
        }


class Dispatcher:
    """Walks a schedule in real time and offers each arrival to its role's slots."""

    def __init__(
        self,
        schedule: Schedule,
        slots: dict[str, Slots],
        clock: Callable[[], float] = time.perf_counter,
        on_offer: Callable[[float, bool], None] | None = None,
    ) -> None:
        self.schedule = schedule
        self.on_offer = on_offer  # (due s from start, started): the per-second timeline
        self.slots = slots
        self.clock = clock
        self.tally = Tally()
        self.t0: float | None = None

    def run(self, t0: float | None = None) -> Tally:
        """Dispatch every arrival (blocking the calling greenlet until the last one)."""
        import gevent

        self.t0 = self.clock() if t0 is None else t0
        payloads: Sequence[Any] = self.schedule.payloads or [None] * len(self.schedule)
        for t_s, role, payload in zip(
            self.schedule.times_s.tolist(), self.schedule.roles, payloads, strict=True
        ):
            intended = self.t0 + t_s
            delay = intended - self.clock()
            if delay > 0:
                gevent.sleep(delay)
            if self.tally.first_s is None:
                self.tally.first_s = t_s
            self.tally.last_s = t_s
            started = self.slots[role].offer(Arrival(role, intended, payload))
            self.tally.add(role, started)
            if self.on_offer is not None:
                self.on_offer(t_s, started)
        return self.tally
