"""Replay of a simulated notice trace: the simulator's bursty arrivals drive the service.

A trace is the simulator's ``notices.csv`` (or ``.parquet``) with columns t_h,
brand_id, listings, valid, channel, decided_at_h, removed_at_h. Row i is filed
``(t_h[i] - t_h[0]) * 3600 / speedup`` seconds after the start, by the rights holder
standing in for its brand; rows are dealt to workers in proportion to their
rights-holder users.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from loadtest.arrivals import Schedule
from sim.errors import UserError

REQUIRED = ("t_h", "brand_id", "listings", "valid")
TRUE = {"1", "true", "yes", "t"}
FALSE = {"0", "false", "no", "f", ""}


class TraceError(UserError, ValueError):
    """A trace could not be read; the message names the file, line and column."""


@dataclass(frozen=True)
class Trace:
    """Notice rows in time order: filing time, brand, listing count, whether valid."""

    t_h: NDArray[np.float64]
    brand_id: NDArray[np.int64]
    listings: NDArray[np.int64]
    valid: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.t_h)


@dataclass(frozen=True)
class ReplayNotice:
    """What a replayed arrival files: a notice for ``brand_id`` naming ``listings``."""

    row: int
    brand_id: int
    listings: int
    valid: bool


def _parse_bool(text: str, where: str) -> bool:
    low = text.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise TraceError(f"{where}: valid: bad value {text!r}: expected true/false or 1/0")


def _rows_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise TraceError(f"{path}:1: missing column(s) {', '.join(missing)}")
        return list(reader)


def _rows_parquet(path: Path) -> list[dict[str, str]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise TraceError(f"{path}: missing column(s) {', '.join(missing)}")
    cols = {c: table.column(c).to_pylist() for c in REQUIRED}
    return [{c: str(cols[c][i]) for c in REQUIRED} for i in range(table.num_rows)]


def load_trace(path: str | Path) -> Trace:
    """Read and check a notice trace; rows are sorted by filing time."""
    path = Path(path)
    try:
        rows = _rows_parquet(path) if path.suffix == ".parquet" else _rows_csv(path)
    except FileNotFoundError:
        raise TraceError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError(f"{path}: cannot read: {exc}") from None
    t_h, brand, listings, valid = [], [], [], []
    for i, row in enumerate(rows, start=2):
        where = f"{path}:{i}"
        try:
            t = float(row["t_h"])
            b = int(row["brand_id"])
            n = int(float(row["listings"]))
        except (TypeError, ValueError):
            raise TraceError(f"{where}: t_h, brand_id and listings must be numbers") from None
        if not math.isfinite(t) or t < 0 or n < 1:
            raise TraceError(f"{where}: t_h must be >= 0 and listings >= 1")
        t_h.append(t)
        brand.append(b)
        listings.append(n)
        valid.append(_parse_bool(str(row["valid"]), where))
    order = np.argsort(np.asarray(t_h, dtype=float), kind="stable")
    return Trace(
        np.asarray(t_h, dtype=float)[order],
        np.asarray(brand, dtype=np.int64)[order],
        np.asarray(listings, dtype=np.int64)[order],
        np.asarray(valid, dtype=bool)[order],
    )


def offsets_s(trace: Trace, speedup: float) -> NDArray[np.float64]:
    """Seconds after the start at which each row is filed."""
    if len(trace) == 0:
        return np.empty(0)
    return (trace.t_h - trace.t_h[0]) * 3600.0 / speedup


def per_minute_counts(t_h: NDArray[np.float64], t0_h: float, minutes: int) -> NDArray[np.int64]:
    """Notices per simulated minute since ``t0_h``, over ``minutes`` minutes."""
    idx = np.floor((np.asarray(t_h, dtype=float) - t0_h) * 60.0).astype(np.int64)
    idx = idx[(idx >= 0) & (idx < minutes)]
    return np.bincount(idx, minlength=minutes).astype(np.int64)


def replay_schedule(
    trace: Trace,
    speedup: float,
    duration_s: float,
    worker_index: int = 0,
    owners: Sequence[int] = (0,),
) -> Schedule:
    """This worker's share of the trace, within the run's duration, as rights-holder arrivals.

    ``owners`` lists, per rights-holder user of the whole run, the worker it lives on;
    row i goes to ``owners[i % len(owners)]``, so each worker files in proportion to
    the users it has to file with.
    """
    times = offsets_s(trace, speedup)
    owner = np.asarray(owners, dtype=np.int64)[np.arange(len(times)) % len(owners)]
    rows = np.flatnonzero((times < duration_s) & (owner == worker_index))
    payloads = tuple(
        ReplayNotice(int(i), int(trace.brand_id[i]), int(trace.listings[i]), bool(trace.valid[i]))
        for i in rows
    )
    return Schedule(times[rows], ("rights_holder",) * len(rows), payloads)
