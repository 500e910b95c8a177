"""Per-second series of a run: arrivals against their target, and latency by second.

Each load-generating process keeps a ``Timeline`` beside its HDR recorder. A sample
is filed under the second its work was due (the arrival's intended start, the
notice's filing), so a stall shows where it hit, not where it ended. Per second and
metric it keeps the HDR bucket counts that sample landed in (sparse: only buckets
hit), with failures and censored samples; per second the arrivals scheduled, started
and dropped. The master adds the workers' timelines bucket by bucket, so the
per-second counts of the merged run equal the sum of the workers', and summed over
seconds they equal the whole run's histogram bucket by bucket. ``summarise`` turns
the merged timeline into the ``timeline`` table of ``loadtest.json``.

Seconds count from each process's own start of dispatching; workers start within a
moment of each other (after the master's plan), so seconds line up to that moment.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

from loadtest.arrivals import cumulative_rate
from loadtest.hdr import Series, new_histogram
from loadtest.shapes import Shape

ARRIVAL_KINDS = ("scheduled", "started", "dropped")
SHOWN_PERCENTILES = (50.0, 95.0, 99.0)


class Second:
    """One metric in one second: HDR bucket index -> count, failures, censored."""

    __slots__ = ("buckets", "censored", "failures")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.failures = 0
        self.censored = 0

    @property
    def count(self) -> int:
        """Samples in this second."""
        return sum(self.buckets.values())

    def add(self, index: int, n: int = 1) -> None:
        """``n`` samples in bucket ``index``."""
        self.buckets[index] = self.buckets.get(index, 0) + n


class Timeline:
    """Latency bucket counts and arrivals per second, for one process or the merged run."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.t0: float | None = None  # clock seconds at the start of dispatching
        self.series: dict[str, dict[int, Second]] = {}
        self.arrivals: dict[str, dict[int, int]] = {k: {} for k in ARRIVAL_KINDS}

    def start(self, t0: float) -> None:
        """Count seconds from ``t0`` (clock seconds)."""
        self.t0 = t0

    def second_of(self, started: float) -> int:
        """The second (from the start, at least 0) that clock time ``started`` falls in."""
        t0 = self.t0 if self.t0 is not None else started
        return max(math.floor(started - t0), 0)

    def add(self, name: str, index: int, seconds: float, ok: bool, censored: bool) -> None:
        """One sample of ``name`` in HDR bucket ``index`` that took ``seconds`` until now."""
        self.add_in(self.sample_second(seconds), name, index, ok, censored)

    def sample_second(self, seconds: float) -> int:
        """The second a sample that took ``seconds`` until now is filed under (its start)."""
        return self.second_of(self.clock() - seconds)

    def add_in(self, sec: int, name: str, index: int, ok: bool, censored: bool) -> None:
        """One sample of ``name`` in HDR bucket ``index``, filed under second ``sec``."""
        cells = self.series.get(name)
        if cells is None:
            cells = self.series[name] = {}
        cell = cells.get(sec)
        if cell is None:
            cell = cells[sec] = Second()
        buckets = cell.buckets
        buckets[index] = buckets.get(index, 0) + 1
        if not ok:
            cell.failures += 1
        if censored:
            cell.censored += 1

    def arrival(self, t_s: float, started: bool) -> None:
        """One scheduled arrival due ``t_s`` seconds from the start, started or dropped."""
        sec = max(math.floor(t_s), 0)
        for kind in ("scheduled", "started" if started else "dropped"):
            self.arrivals[kind][sec] = self.arrivals[kind].get(sec, 0) + 1

    def encode(self) -> dict[str, Any]:
        """A JSON- and msgpack-safe snapshot (lists only: JSON object keys are text)."""
        return {
            "series": {
                name: [
                    [
                        sec,
                        c.failures,
                        c.censored,
                        [x for kv in sorted(c.buckets.items()) for x in kv],
                    ]
                    for sec, c in sorted(cells.items())
                ]
                for name, cells in sorted(self.series.items())
            },
            "arrivals": {k: sorted(v.items()) for k, v in self.arrivals.items()},
        }

    def add_encoded(self, doc: Mapping[str, Any]) -> None:
        """Add another timeline's ``encode()`` to this one, bucket by bucket."""
        for name, rows in doc.get("series", {}).items():
            cells = self.series.setdefault(name, {})
            for sec, failures, censored, flat in rows:
                cell = cells.get(int(sec))
                if cell is None:
                    cell = cells[int(sec)] = Second()
                for index, n in zip(flat[0::2], flat[1::2], strict=True):
                    cell.add(int(index), int(n))
                cell.failures += int(failures)
                cell.censored += int(censored)
        for kind, pairs in doc.get("arrivals", {}).items():
            counts = self.arrivals.setdefault(kind, {})
            for sec, n in pairs:
                counts[int(sec)] = counts.get(int(sec), 0) + int(n)

    def seconds(self) -> int:
        """How many seconds the timeline spans (the last second with anything, plus one)."""
        last = [max(cells) for cells in self.series.values() if cells]
        last += [max(counts) for counts in self.arrivals.values() if counts]
        return max(last) + 1 if last else 0

    def totals(self, name: str) -> dict[int, int]:
        """Bucket index -> count of ``name`` summed over every second."""
        out: dict[int, int] = {}
        for cell in self.series.get(name, {}).values():
            for index, n in cell.buckets.items():
                out[index] = out.get(index, 0) + n
        return out


def merge_timelines(docs: Iterable[Mapping[str, Any] | None]) -> Timeline:
    """One timeline holding the exact sum of the given ``encode()`` snapshots."""
    merged = Timeline()
    for doc in docs:
        if doc:
            merged.add_encoded(doc)
    return merged


def cell_series(cell: Second) -> Series:
    """One second of one metric as an HDR ``Series`` (for checks against the whole run's)."""
    series = Series(new_histogram(), cell.failures, cell.censored)
    hist = series.hist
    for index, n in cell.buckets.items():
        hist.record_value(hist.get_value_from_index(index), n)
    return series


def percentile_s(cell: Second, q: float, template: HdrHistogram) -> float | None:
    """The ``q``-th percentile of one second in seconds, as ``Series.percentile_s``
    would give it, read from the sparse buckets (``template``: any histogram of the
    recorders' layout, for the bucket values)."""
    if not cell.buckets:
        return None
    indexes = sorted(cell.buckets)
    cumulative = np.cumsum([cell.buckets[i] for i in indexes])
    target = max(int(min(q, 100.0) * int(cumulative[-1]) / 100 + 0.5), 1)
    index = indexes[int(np.searchsorted(cumulative, target))]
    value = template.get_value_from_index(index)
    if q:
        value = template.get_highest_equivalent_value(value)
    else:
        value = template.get_lowest_equivalent_value(value)
    return float(value) / 1e6


def target_per_second(
    rate_per_s: float, shape: Shape, duration_s: float, extra_s: Sequence[float] = ()
) -> list[float]:
    """Expected arrivals in each second of the run: the profile's rate under its shape,
    plus arrivals at fixed times (a replayed trace's offsets)."""
    t, big_lam = cumulative_rate(rate_per_s, shape, duration_s)
    edges = np.arange(0.0, math.ceil(duration_s) + 1.0)
    per_s = np.diff(np.interp(np.minimum(edges, duration_s), t, big_lam))
    if len(extra_s):
        per_s += np.histogram(np.asarray(extra_s), bins=edges)[0]
    return [round(float(x), 3) for x in per_s]


def _ms(value_s: float | None) -> float | None:
    return None if value_s is None else round(value_s * 1000.0, 3)


def summarise(timeline: Timeline, names: Iterable[str], target: Sequence[float]) -> dict[str, Any]:
    """The ``timeline`` table: per second, arrivals against target and, per metric,
    count, failures, censored and p50/p95/p99 in ms (None in a second with no sample)."""
    n = max(timeline.seconds(), len(target))
    out: dict[str, Any] = {"t_s": list(range(n))}
    arrivals = {
        k: [timeline.arrivals.get(k, {}).get(s, 0) for s in range(n)] for k in ARRIVAL_KINDS
    }
    out["arrivals"] = {"target": [*target, *[0.0] * (n - len(target))], **arrivals}
    series: dict[str, Any] = {}
    template = new_histogram()
    for name in names:
        cells = timeline.series.get(name)
        if not cells:
            continue
        row: dict[str, list[Any]] = {
            k: [] for k in ("count", "failures", "censored", "p50_ms", "p95_ms", "p99_ms")
        }
        for sec in range(n):
            cell = cells.get(sec, Second())
            row["count"].append(cell.count)
            row["failures"].append(cell.failures)
            row["censored"].append(cell.censored)
            for q in SHOWN_PERCENTILES:
                row[f"p{q:g}_ms"].append(_ms(percentile_s(cell, q, template)))
        series[name] = row
    out["series"] = series
    return out
