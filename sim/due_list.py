"""A calendar of future items held as array batches, released hour by hour.

The counterfeiters queue their next posts, relists and comebacks here: each item is a
due time plus a few integer columns, placed once and released once.
"""

from __future__ import annotations

import numpy as np

from sim.arrays import run_bounds

Items = tuple[np.ndarray, ...]  # (due time, then one array per column)


def _join(parts: list[Items], width: int) -> Items:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return (np.empty(0), *(np.empty(0, dtype=np.int64) for _ in range(width - 1)))
    return tuple(np.concatenate(cols) for cols in zip(*parts, strict=True))


class DueList:
    """Future items (a due time and ``width - 1`` more columns), released hour by hour.

    A calendar with a horizon: items due within ``WINDOW_H`` hours of the next hour to
    release sit in buckets by hour (placed with one radix sort of small hour offsets
    per push), later ones wait unsorted in ``far``. Each time the clock reaches the
    horizon, it moves ``WINDOW_H`` hours on and the far items it now covers are placed.
    So an item is placed once and released once, and the far backlog is read once per
    window, never once per hour.
    """

    WINDOW_H = 24

    def __init__(self, width: int = 3) -> None:
        self.width = width
        self.low = 0  # the first hour not yet released
        self.bound = 0  # items due in hours before it are in buckets
        self.buckets: dict[int, list[Items]] = {}
        self.far: list[Items] = []
        self.staged: list[Items] = []  # pushed since the last release

    def __len__(self) -> int:
        parts = [*(p for ps in self.buckets.values() for p in ps), *self.far, *self.staged]
        return sum(len(p[0]) for p in parts)

    def push(self, due_h: np.ndarray, *cols: np.ndarray) -> None:
        """Queue items due at ``due_h`` (one array per further column in ``cols``);
        they are sorted into place together at the next release."""
        if len(due_h):
            self.staged.append((due_h, *cols))

    def _sort_in(self, items: Items) -> None:
        """Items into their hours' buckets if due before ``bound`` (overdue ones into the
        first hour not yet released), else into ``far``: one radix sort of their hour
        offsets, with every far item at offset ``bound - low + 1``, so that each bucket
        and ``far`` receive one slice, in the order pushed."""
        far = self.bound - self.low + 1
        small = far < 2**15  # always, unless a caller skips hours
        hour = np.floor(items[0])
        offset = np.where(hour < self.bound, hour - self.low, far).clip(0, None)
        offset = offset.astype(np.int16 if small else np.int64)
        order = np.argsort(offset, kind="stable")  # a radix sort: small integers
        offset = offset[order]
        items = tuple(c[order] for c in items)
        starts, ends = run_bounds(offset)
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            part = tuple(c[lo:hi] for c in items)
            at = int(offset[lo])
            if at == far:
                self.far.append(part)
            else:
                self.buckets.setdefault(self.low + at, []).append(part)

    def pop_before(self, t_h: float) -> Items:
        """Every item due before ``t_h`` (a whole hour), hour by hour, in the order they
        were placed within an hour."""
        last = int(np.ceil(t_h)) - 1  # the last hour to release
        if self.staged:
            self._sort_in(_join(self.staged, self.width))
            self.staged = []
        if last >= self.bound:
            self.bound = last + 1 + self.WINDOW_H
            if self.far:
                far = _join(self.far, self.width)
                self.far = []
                self._sort_in(far)
        parts: list[Items] = []
        hours: list[int] | range = range(self.low, last + 1)
        if len(hours) > len(self.buckets):  # a caller that skips hours
            hours = sorted(h for h in self.buckets if h <= last)
        for hour in hours:
            parts.extend(self.buckets.pop(hour, ()))
        self.low = max(self.low, last + 1)
        return _join(parts, self.width)

    def pop_late(self, t_h: float) -> Items:
        """Items due before ``t_h`` that were pushed after their hour was released (they
        wait in the first hour not yet released); the others stay where they are."""
        if self.staged:
            self._sort_in(_join(self.staged, self.width))
            self.staged = []
        parts = self.buckets.get(self.low)
        if not parts:
            return _join([], self.width)
        items = _join(parts, self.width)
        late = items[0] < t_h
        if not late.any():
            return _join([], self.width)
        if late.all():
            del self.buckets[self.low]
        else:
            self.buckets[self.low] = [tuple(c[~late] for c in items)]
        return tuple(c[late] for c in items)
