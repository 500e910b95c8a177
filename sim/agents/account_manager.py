"""The account managers' review desk: a team of ``c`` managers working one FIFO queue.

Rules, each chosen so the desk can be checked against queueing theory and Ciw:

- **Servers.** ``servers`` managers run as ``servers`` SimPy processes pulling from one
  FIFO deque; items are plain records, so a million items a year cost a million queue
  entries, never a million processes. (A deque with wake-up events for idle managers
  gives the same schedule as a ``simpy.Store`` with half the events: 1.4-1.7 times
  faster.) ``servers == 0`` means no review capacity: items wait forever and
  ``queue_length`` grows.
- **Order.** First come, first served, by the time an item (re-)entered the queue.
- **Hours.** Managers start a review only on shift: ``config.working_hours`` = (start,
  end) hour of day, on ``config.working_days`` (0 = Monday; simulated hour 0 is Monday
  00:00), or around the clock when ``config.always_on``. A review in progress when the
  shift ends is finished (overtime); no new one starts until the next shift. This is
  Ciw's non-pre-emptive schedule (``preemption=False``), which the tests compare with.
- **Review time.** One draw of ``config.review_time_h`` per review.
- **Mistakes.** An item whose ``valid`` is False is approved with probability
  ``approve_invalid_prob``; a valid one is rejected with ``reject_valid_prob``.
- **Two-way messages.** At the end of a first review, with ``evidence_request_prob``
  the manager asks the brand for more evidence instead of deciding: the item leaves
  the desk for a draw of ``evidence_delay_h``, then joins the back of the queue and is
  reviewed once more (a second full review) with both error rates halved; a second
  review never asks again. ``Decision.evidence_requested`` records it.

Bookkeeping: ``waits_h`` holds the queue wait of every review started (a re-review's
wait counts from its return to the queue); ``busy_hours`` sums the review time of
finished reviews; ``available_hours(until_h)`` is manager-hours on shift in
``[0, until_h]``. Overtime counts as busy but not as available, so utilisation
``busy_hours / available_hours`` can exceed 1 by the overtime share.

All randomness comes from the one ``rng`` passed in, drawn in event order, so a desk
is deterministic for a given generator state.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import simpy

from sim.metrics import ReviewTotals
from sim.review_classes import ORDINARY, ClassQueues
from sim.rng import Streams
from sim.scenario import AccountManagers
from sim.types import IntArray

HOURS_PER_DAY = 24.0
DAYS_PER_WEEK = 7


@dataclass(slots=True)
class ReviewItem:
    """Something a manager must decide: a notice, a counter-notice or a lead."""

    item_id: int
    brand_id: int
    valid: bool
    submitted_h: float
    kind: str = "notice"
    priority: int = ORDINARY  # its class in a queue with priority classes (0 goes first)


class Decision(NamedTuple):
    """The outcome of a review (a named tuple: a million a year, each built once).

    ``started_h`` is when a manager first picked the item up (so ``started_h -
    submitted_h`` is its first queue wait); ``decided_h`` is when it was approved or
    rejected, after any evidence request and re-review.
    """

    approved: bool
    decided_h: float
    started_h: float
    evidence_requested: bool


class ShiftCalendar:
    """When managers are on shift: daily hours on given weekdays, or always."""

    def __init__(self, config: AccountManagers) -> None:
        self.always_on = config.always_on
        self.start_h, self.end_h = (float(h) for h in config.working_hours)
        self.days = frozenset(config.working_days)

    def next_start(self, t_h: float) -> float:
        """``t_h`` itself when on shift, else the start of the next shift."""
        if self.always_on:
            return t_h
        day = math.floor(t_h / HOURS_PER_DAY)
        for d in range(day, day + DAYS_PER_WEEK + 1):
            if d % DAYS_PER_WEEK in self.days:
                begin_h = d * HOURS_PER_DAY + self.start_h
                if t_h < d * HOURS_PER_DAY + self.end_h:
                    return max(t_h, begin_h)
        raise AssertionError("unreachable: a validated calendar has a working day")

    def hours_on_shift(self, until_h: float) -> float:
        """Hours on shift in ``[0, until_h]`` for one manager."""
        if until_h <= 0:
            return 0.0
        if self.always_on:
            return until_h
        shift_h = self.end_h - self.start_h
        full_weeks = math.floor(until_h / (HOURS_PER_DAY * DAYS_PER_WEEK))
        total = full_weeks * len(self.days) * shift_h
        first_day = full_weeks * DAYS_PER_WEEK
        for d in range(first_day, first_day + DAYS_PER_WEEK):
            if d % DAYS_PER_WEEK in self.days:
                begin_h = d * HOURS_PER_DAY + self.start_h
                end_h = d * HOURS_PER_DAY + self.end_h
                total += max(0.0, min(until_h, end_h) - begin_h)
        return total


@dataclass(slots=True)
class _Ticket:
    """An item on the desk with its review history."""

    item: ReviewItem
    entered_h: float
    first_started_h: float = math.nan
    evidence_requested: bool = False


def _ticket_class(ticket: _Ticket) -> int:
    return ticket.item.priority


class ReviewDesk:
    """c account managers working one FIFO queue within working hours.

    See the module docstring for the rules. ``on_decided(item, decision)`` is called at
    the simulated time of each decision.
    """

    def __init__(
        self,
        env: simpy.Environment,
        config: AccountManagers,
        servers: int,
        rng: np.random.Generator,
        on_decided: Callable[[ReviewItem, Decision], None],
        name: str = "pool",
        classes: bool = False,
    ) -> None:
        """``classes``: serve items by priority class (``sim.review_classes``), not in one
        first-come, first-served queue."""
        if servers < 0:
            raise ValueError(f"servers must be >= 0, got {servers}")
        self.env = env
        self.config = config
        self.servers = servers
        self.name = name
        self.calendar = ShiftCalendar(config)
        self.busy_hours = 0.0
        self.waits_h: list[float] = []
        self.wait_class: list[int] = []  # the class of each wait in ``waits_h``
        self.decided = 0
        self._rng = rng
        self._on_decided = on_decided
        self._queue: deque[_Ticket] | ClassQueues[_Ticket] = (
            ClassQueues(_ticket_class) if classes else deque()
        )
        self._idle: deque[simpy.Event] = deque()  # wake-up calls of idle managers
        self._queued = 0
        self._in_review = 0
        for _ in range(servers):
            env.process(self._serve())

    # ------------------------------------------------------------------ public

    def submit(self, item: ReviewItem) -> None:
        """Put an item at the back of the queue, now."""
        self._enqueue(_Ticket(item, self.env.now))

    @property
    def queue_length(self) -> int:
        """Items waiting for a manager (not counting those in review or out for evidence)."""
        return self._queued

    @property
    def in_review(self) -> int:
        """Items a manager is reviewing right now."""
        return self._in_review

    def available_hours(self, until_h: float) -> float:
        """Manager-hours on shift in ``[0, until_h]`` (the denominator of utilisation)."""
        return self.servers * self.calendar.hours_on_shift(until_h)

    def __repr__(self) -> str:
        return (
            f"ReviewDesk(name={self.name!r}, servers={self.servers}, "
            f"queue_length={self._queued}, decided={self.decided})"
        )

    # ------------------------------------------------------------------ internals

    def _enqueue(self, ticket: _Ticket) -> None:
        ticket.entered_h = self.env.now
        self._queued += 1
        self._queue.append(ticket)
        if self._idle:
            self._idle.popleft().succeed()

    def _serve(self) -> Generator[simpy.Event, Any, None]:
        """One manager: take the oldest item, wait for the shift if off, review it.

        An idle manager sleeps on a wake-up event; a busy one takes the next item
        straight from the queue without an event (this halves the events per item).
        """
        env = self.env
        while True:
            if not self._queue:
                wake = env.event()
                self._idle.append(wake)
                yield wake
                if not self._queue:  # another manager took it first
                    continue
            ticket = self._queue.popleft()
            start_h = self.calendar.next_start(env.now)
            if start_h > env.now:
                yield env.timeout(start_h - env.now)
            review_h = self._begin(ticket)
            yield env.timeout(review_h)
            self._finish(ticket, review_h)

    def _begin(self, ticket: _Ticket) -> float:
        now = self.env.now
        self._queued -= 1
        self._in_review += 1
        self.waits_h.append(now - ticket.entered_h)
        self.wait_class.append(ticket.item.priority)
        if math.isnan(ticket.first_started_h):
            ticket.first_started_h = now
        return float(self.config.review_time_h.sample(self._rng))

    def _finish(self, ticket: _Ticket, review_h: float) -> None:
        self._in_review -= 1
        self.busy_hours += review_h
        cfg = self.config
        if not ticket.evidence_requested and self._rng.random() < cfg.evidence_request_prob:
            ticket.evidence_requested = True
            delay_h = float(cfg.evidence_delay_h.sample(self._rng))
            back = self.env.timeout(delay_h)
            back.callbacks.append(lambda _event: self._enqueue(ticket))
            return
        self._decide(ticket)

    def _decide(self, ticket: _Ticket) -> None:
        cfg = self.config
        scale = 0.5 if ticket.evidence_requested else 1.0
        u = self._rng.random()
        if ticket.item.valid:
            approved = u >= cfg.reject_valid_prob * scale
        else:
            approved = u < cfg.approve_invalid_prob * scale
        decision = Decision(
            approved=bool(approved),
            decided_h=self.env.now,
            started_h=ticket.first_started_h,
            evidence_requested=ticket.evidence_requested,
        )
        self.decided += 1
        self._on_decided(ticket.item, decision)


@dataclass(frozen=True, slots=True)
class DeskSnapshot:
    """The desks' bookkeeping at one moment (the end of the warm-up), to measure from."""

    busy_h: float = 0.0
    waits: Mapping[str, int] = field(default_factory=dict)  # reviews started, per desk
    busy_by_desk: Mapping[str, float] = field(default_factory=dict)


class ReviewDesks:
    """A run's review desks: the shared pool and a dedicated desk per brand that has one.

    Built in a fixed order (the pool, then the dedicated desks by brand), as each
    desk's managers are SimPy processes, whose creation order breaks ties in time."""

    def __init__(
        self,
        env: simpy.Environment,
        config: AccountManagers,
        dedicated_brands: IntArray,
        streams: Streams,
        on_decided: Callable[[ReviewItem, Decision], None],
        classes: bool = False,
    ) -> None:
        self.pool = ReviewDesk(
            env, config, config.pool_size, streams.get("am.pool"), on_decided, classes=classes
        )
        self.dedicated: dict[int, ReviewDesk] = {}
        if config.dedicated_per_enrolled_brand > 0:
            for b in dedicated_brands.tolist():
                rng = streams.get(f"am.brand.{b}")
                self.dedicated[b] = ReviewDesk(
                    env,
                    config,
                    config.dedicated_per_enrolled_brand,
                    rng,
                    on_decided,
                    f"brand-{b}",
                    classes,
                )
        self.all = (self.pool, *(self.dedicated[b] for b in sorted(self.dedicated)))

    def for_brand(self, brand: int) -> ReviewDesk:
        """The desk that reviews this brand's notices."""
        return self.dedicated.get(brand, self.pool)

    @property
    def queue_length(self) -> int:
        return sum(d.queue_length for d in self.all)

    def snapshot(self) -> DeskSnapshot:
        return DeskSnapshot(
            sum(d.busy_hours for d in self.all),
            {d.name: len(d.waits_h) for d in self.all},
            {d.name: d.busy_hours for d in self.all},
        )

    def totals(self, since: DeskSnapshot, since_h: float, until_h: float) -> ReviewTotals:
        """The desks' work from the snapshot ``since``, taken at ``since_h``, to ``until_h``."""
        desks = self.all
        waits = [np.asarray(d.waits_h[since.waits.get(d.name, 0) :]) for d in desks]
        classes = [np.asarray(d.wait_class[since.waits.get(d.name, 0) :]) for d in desks]
        busy = [d.busy_hours - since.busy_by_desk.get(d.name, 0.0) for d in desks]
        on_shift = [d.available_hours(until_h) - d.available_hours(since_h) for d in desks]
        return ReviewTotals(
            busy_h=sum(d.busy_hours for d in desks) - since.busy_h,
            available_h=sum(on_shift),
            waits_h=np.concatenate([np.empty(0), *waits]),
            wait_class=np.concatenate([np.empty(0, dtype=np.int64), *classes]).astype(np.int64),
            busy_by_desk_h=np.asarray(busy, dtype=np.float64),
            on_shift_by_desk_h=np.asarray(on_shift, dtype=np.float64),
        )
