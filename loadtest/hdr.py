"""HDR histograms of latencies per metric name, encoded for the wire and merged exactly.

Each worker records into a ``Recorder``; at the end of a run it sends ``encode()`` to
the master, which ``merge``s them: merged counts equal the sum of the workers' counts,
bucket by bucket, so percentiles of the whole run are exact to the histogram's
3 significant digits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

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

    @property
    def count(self) -> int:
        """Samples recorded, successes and failures."""
        return int(self.hist.get_total_count())

    def percentile_s(self, q: float) -> float | None:
        """The ``q``-th percentile in seconds, None when empty."""
        if self.count == 0:
            return None
        return float(self.hist.get_value_at_percentile(q)) / 1e6

    def mean_s(self) -> float | None:
        """Mean in seconds, None when empty."""
        return float(self.hist.get_mean_value()) / 1e6 if self.count else None

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

    def get(self, name: str) -> Series:
        """The series ``name``, created empty on first use."""
        if name not in self.series:
            self.series[name] = Series()
        return self.series[name]

    def record(self, name: str, seconds: float, ok: bool = True) -> None:
        """One sample of ``name`` taking ``seconds``; ``ok=False`` also counts a failure."""
        series = self.get(name)
        series.hist.record_value(to_us(seconds))
        if not ok:
            series.failures += 1

    def record_censored(self, name: str, seconds: float) -> None:
        """A lower bound of ``name``: at least ``seconds``, the true value never seen."""
        series = self.get(name)
        series.hist.record_value(to_us(seconds))
        series.censored += 1

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
