"""Reads a load-test results folder (one holding ``loadtest.json``) for its report.

The report reads only the folder's files: ``loadtest.json`` (summaries, gate
verdicts, the per-second ``timeline`` and the merged HDR ``histograms``) and, when
present, ``workers.json``. The histograms are decoded with ``hdrh``, the library that
encoded them, so the percentile spectrum is the run's own to 3 significant digits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from reports.load import ReportError

LOADTEST_FILE = "loadtest.json"
E2E = "e2e_takedown"
PROGRAMMES = ("joint_force", "good_faith", "standard")
# the percentile spectrum's points: dense towards the tail, as HdrHistogram plots it
SPECTRUM_Q = (
    0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 97.5, 99.0, 99.5, 99.75, 99.9, 99.95, 99.99, 100.0,
)  # fmt: skip


def is_loadtest(folder: Path) -> bool:
    """Whether ``folder`` is a load-test results folder."""
    return (Path(folder) / LOADTEST_FILE).is_file()


@dataclass(frozen=True)
class Spectrum:
    """One series' latency at each percentile of ``SPECTRUM_Q`` (seconds), and its count."""

    name: str
    count: int
    values_s: tuple[float, ...]


@dataclass(frozen=True)
class LoadtestData:
    """What a load-test report shows, read from its folder."""

    folder: Path
    doc: dict[str, Any]
    spectra: dict[str, Spectrum]
    workers: dict[str, Any] = field(default_factory=dict)

    @property
    def timeline(self) -> dict[str, Any]:
        """The per-second table (empty lists when the run wrote none)."""
        return self.doc.get("timeline") or {"t_s": [], "arrivals": {}, "series": {}}

    @property
    def passed(self) -> bool:
        """Every gate held."""
        return bool(self.doc.get("passed", False))

    def programmes(self) -> list[str]:
        """Programmes with e2e samples, in a fixed order."""
        found = self.doc.get(E2E, {}).get("by_program", {})
        return [p for p in PROGRAMMES if found.get(p, {}).get("count")]

    def request_names(self) -> list[str]:
        """Request names with samples, by count (most first)."""
        requests = self.doc.get("requests", {})
        return sorted(requests, key=lambda n: (-int(requests[n].get("count", 0)), n))


def spectrum(name: str, encoded: str) -> Spectrum:
    """Decode one HDR histogram (microseconds) and read it at every ``SPECTRUM_Q``."""
    hist = HdrHistogram.decode(encoded)
    count = int(hist.get_total_count())
    values = hist.get_percentile_to_value_dict(list(SPECTRUM_Q)) if count else {}
    return Spectrum(name, count, tuple(values.get(q, 0) / 1e6 for q in SPECTRUM_Q))


def load_loadtest(folder: Path) -> LoadtestData:
    """Read ``folder``; ReportError (one line) when it is not a readable load-test folder."""
    folder = Path(folder)
    path = folder / LOADTEST_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(
            f"{folder}: no {LOADTEST_FILE} (not a load-test results folder)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReportError(f"{path}: not readable as JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("arrivals"), dict):
        raise ReportError(f"{path}: not a load test's results (no 'arrivals' table)")
    spectra: dict[str, Spectrum] = {}
    for name, encoded in sorted((doc.get("histograms") or {}).items()):
        try:
            spectra[name] = spectrum(name, encoded)
        except (ValueError, TypeError, IndexError) as exc:
            raise ReportError(f"{path}: histograms.{name}: not an HDR histogram: {exc}") from None
    workers_path = folder / "workers.json"
    workers = json.loads(workers_path.read_text(encoding="utf-8")) if workers_path.is_file() else {}
    return LoadtestData(folder, doc, spectra, workers)
