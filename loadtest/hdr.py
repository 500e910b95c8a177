"""HDR histograms of latencies per metric name, encoded for the wire and merged exactly.

Each worker records into a ``Recorder``; at the end of a run it sends ``encode()`` to
the master, which ``merge``s them: merged counts equal the sum of the workers' counts,
bucket by bucket, so percentiles of the whole run are exact to the histogram's
3 significant digits.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram
from numpy.typing import NDArray

LOWEST_US = 1
HIGHEST_US = 3_600 * 1_000_000  # one hour: longer latencies are clamped to it
SIG_DIGITS = 3
PERCENTILES = (50.0, 90.0, 95.0, 99.0, 99.9)


def new_histogram() -> HdrHistogram:
    """An empty histogram of microseconds, 1 us to 1 h, 3 significant digits."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIG_DIGITS)


def to_us(seconds: float) -> int:
    """Seconds as whole microseconds, clamped to the histogram's range."""
    return min(max(round(seconds * 1e6), LOWEST_US), HIGHEST_US)


_SHAPE = new_histogram()
_UNIT = _SHAPE.unit_magnitude
_HALF_MAGNITUDE = _SHAPE.sub_bucket_half_count_magnitude
_HALF = _SHAPE.sub_bucket_half_count
_MASK = _SHAPE.sub_bucket_mask
_TOP = _UNIT + _HALF_MAGNITUDE + 1


def counts_index(value_us: int) -> int:
    """The histogram's bucket index of ``value_us`` (``HdrHistogram``'s own arithmetic,
    with ``int.bit_length`` for its count of leading zeros: a few operations instead
    of several method calls per sample)."""
    bucket = (value_us | _MASK).bit_length() - _TOP
    return ((bucket + 1) << _HALF_MAGNITUDE) + (value_us >> (bucket + _UNIT)) - _HALF


@dataclass
class Series:
    """One metric: latency histogram plus failure and censored counts (both in the histogram).

    A censored sample is a lower bound, not an observation: a notice still up when its
    follow-up window closed (recorded at its elapsed time), or an arrival dropped for
    want of a user (recorded at the time until a user was free). It stays in the
    histogram so percentiles cannot improve by losing the slow cases.
    """

    hist: HdrHistogram = field(default_factory=new_histogram)
    failures: int = 0
    censored: int = 0

    def add(self, value_us: int, index: int) -> None:
        """One sample of ``value_us`` in bucket ``index`` (``counts_index(value_us)``):
        what ``HdrHistogram.record_value`` does, without its calls."""
        h = self.hist
        h.counts[index] += 1
        h.total_count += 1
        if value_us < h.min_value:
            h.min_value = value_us
        if value_us > h.max_value:
            h.max_value = value_us

    @property
    def count(self) -> int:
        """Samples recorded, successes and failures."""
        return int(self.hist.get_total_count())

    def _counts(self) -> NDArray[np.uint64]:
        return np.ctypeslib.as_array(self.hist.counts)[: self.hist.counts_len]

    def percentile_s(self, q: float) -> float | None:
        """The ``q``-th percentile in seconds, None when empty.

        The same value as ``HdrHistogram.get_value_at_percentile`` (the highest value
        equivalent to the bucket where the cumulative count reaches q%), found with one
        numpy pass instead of a Python loop over every bucket.
        """
        if self.count == 0:
            return None
        h = self.hist
        target = h.get_target_count_at_percentile(q)
        index = int(np.searchsorted(np.cumsum(self._counts()), target))
        value = h.get_value_from_index(index)
        value = h.get_highest_equivalent_value(value) if q else h.get_lowest_equivalent_value(value)
        return float(value) / 1e6

    def mean_s(self) -> float | None:
        """Mean in seconds (each bucket at its median equivalent value), None when empty."""
        if self.count == 0:
            return None
        h, counts = self.hist, self._counts()
        total = sum(
            int(counts[i]) * h._hdr_median_equiv_value(h.get_value_from_index(int(i)))
            for i in np.flatnonzero(counts)
        )
        return float(total) / self.count / 1e6

    def max_s(self) -> float | None:
        """Largest value in seconds (bucket-resolution), None when empty."""
        return float(self.hist.get_max_value()) / 1e6 if self.count else None

    def min_s(self) -> float | None:
        """Smallest value in seconds (bucket-resolution), None when empty."""
        return float(self.hist.get_min_value()) / 1e6 if self.count else None


class Recorder:
    """Latency series by metric name, for one worker (or the merged whole)."""

    def __init__(self) -> None:
        self.series: dict[str, Series] = {}
        self.steady: Recorder | None = None  # also records here once warm-up is over
        self.steady_from = 0.0  # perf_counter seconds
        self.timeline: Any = None  # a loadtest.timeline.Timeline, also fed each sample

    def warm_up(self, seconds: float) -> None:
        """Keep a second recorder, ``steady``, of what is recorded after ``seconds`` from now."""
        self.steady = Recorder()
        self.steady_from = time.perf_counter() + seconds

    def get(self, name: str) -> Series:
        """The series ``name``, created empty on first use."""
        if name not in self.series:
            self.series[name] = Series()
        return self.series[name]

    def record(self, name: str, seconds: float, ok: bool = True) -> None:
        """One sample of ``name`` taking ``seconds``; ``ok=False`` also counts a failure."""
        self.record_each((name,), seconds, ok)

    def record_each(self, names: tuple[str, ...], seconds: float, ok: bool = True) -> None:
        """The same sample in each series of ``names`` (a request and its scopes)."""
        value = min(max(round(seconds * 1e6), LOWEST_US), HIGHEST_US)
        index = counts_index(value)
        timeline = self.timeline
        sec = timeline.sample_second(seconds) if timeline is not None else 0
        for name in names:
            series = self.series.get(name)
            if series is None:
                series = self.get(name)
            series.add(value, index)
            if not ok:
                series.failures += 1
            if timeline is not None:
                timeline.add_in(sec, name, index, ok, False)
        if self.steady is not None and time.perf_counter() >= self.steady_from:
            self.steady.record_each(names, seconds, ok)

    def record_censored(self, name: str, seconds: float) -> None:
        """A lower bound of ``name``: at least ``seconds``, the true value never seen."""
        series = self.get(name)
        value = to_us(seconds)
        series.hist.record_value(value)
        series.censored += 1
        if self.timeline is not None:
            self.timeline.add(name, series.hist.get_counts_array_index(value), seconds, True, True)
        if self.steady is not None and time.perf_counter() >= self.steady_from:
            self.steady.record_censored(name, seconds)

    def counts(self) -> dict[str, int]:
        """Samples per name (what a worker reports alongside its encoded histograms)."""
        return {name: s.count for name, s in sorted(self.series.items())}

    def encode(self) -> dict[str, Any]:
        """A JSON- and msgpack-safe snapshot: name -> {hist (base64 text), failures}."""
        return {
            name: {
                "hist": s.hist.encode().decode("ascii"),
                "failures": s.failures,
                "censored": s.censored,
            }
            for name, s in sorted(self.series.items())
        }

    def add_encoded(self, encoded: Mapping[str, Mapping[str, Any]]) -> None:
        """Add another recorder's ``encode()`` to this one, bucket by bucket."""
        for name, item in encoded.items():
            series = self.get(name)
            series.hist.add(HdrHistogram.decode(item["hist"]))
            series.failures += int(item["failures"])
            series.censored += int(item.get("censored", 0))


def merge(snapshots: Iterable[Mapping[str, Mapping[str, Any]]]) -> Recorder:
    """One recorder holding the exact sum of the given ``encode()`` snapshots."""
    merged = Recorder()
    for snap in snapshots:
        merged.add_encoded(snap)
    return merged
