"""Priority classes in a review queue: first come, first served within a class, and a
free manager always takes the oldest item of the most urgent class waiting
(non-preemptive: a review in progress is never interrupted)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

PRIORITY, ORDINARY = 0, 1
CLASS_NAMES = ("priority", "ordinary")
"""Class 0 goes first: the notices of the programmes in ``review_priority.first``."""


class ClassQueues(Generic[T]):
    """A deque per class behind the deque methods a review desk uses."""

    def __init__(self, class_of: Callable[[T], int], classes: int = len(CLASS_NAMES)) -> None:
        self._class_of = class_of
        self._queues: tuple[deque[T], ...] = tuple(deque() for _ in range(classes))
        self._n = 0

    def append(self, item: T) -> None:
        """Put ``item`` at the back of its class's queue."""
        self._queues[self._class_of(item)].append(item)
        self._n += 1

    def popleft(self) -> T:
        """The oldest item of the most urgent class waiting."""
        for queue in self._queues:
            if queue:
                self._n -= 1
                return queue.popleft()
        raise IndexError("pop from empty ClassQueues")

    def __len__(self) -> int:
        return self._n

    def __bool__(self) -> bool:
        return self._n > 0
