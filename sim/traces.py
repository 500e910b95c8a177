"""Per-row traces of one run: the notice trace (one row per notice, filled in as notices
are decided and acted on) and the optional per-listing event log.
"""

from __future__ import annotations

import numpy as np

from sim.types import FloatArray, IntArray


class NoticeLog:
    """The notice trace, one row per notice (growable numpy columns), filled in as notices
    are decided and acted on. The notice id is its row."""

    CHANNELS = ("notice_and_takedown", "good_faith", "joint_force")

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.cols: dict[str, np.ndarray] = {
            "t_h": np.zeros(capacity),
            "brand_id": np.zeros(capacity, dtype=np.int64),
            "listings": np.zeros(capacity, dtype=np.int64),
            "valid": np.zeros(capacity, dtype=bool),
            "channel": np.zeros(capacity, dtype=np.int8),
            "decided_at_h": np.full(capacity, np.nan),
            "removed_at_h": np.full(capacity, np.nan),
            "listings_removed": np.zeros(capacity, dtype=np.int64),
        }

    def __len__(self) -> int:
        return self.n

    def file(self, t_h: float, brand: int, listings: int, valid: bool, channel: str) -> int:
        """Record a filed notice; returns its id (its row)."""
        return self.file_many(t_h, [brand], [listings], valid, [channel])[0]

    def file_many(
        self, t_h: float, brands: list[int], listings: list[int], valid: bool, channels: list[str]
    ) -> range:
        """Record notices filed together at ``t_h``; returns their ids (rows)."""
        k = len(brands)
        while self.n + k > len(self.cols["t_h"]):
            self._grow()
        rows = slice(self.n, self.n + k)
        c = self.cols
        c["t_h"][rows], c["brand_id"][rows], c["listings"][rows] = t_h, brands, listings
        c["valid"][rows] = valid
        c["channel"][rows] = [self.CHANNELS.index(name) for name in channels]
        self.n += k
        return range(rows.start, rows.stop)

    def decided(self, notice_id: int, t_h: float) -> None:
        self.cols["decided_at_h"][notice_id] = t_h

    def removed(self, notice_id: int, t_h: float, count: int) -> None:
        """``count`` of the notice's listings were removed at ``t_h`` (first time kept)."""
        self.removed_many([notice_id], np.array([t_h]), np.array([count]))

    def removed_many(self, notice_ids: list[int], t_h: np.ndarray, counts: np.ndarray) -> None:
        """``removed`` for several distinct notices at once."""
        got = counts > 0
        if not got.any():
            return
        rows = np.asarray(notice_ids, dtype=np.int64)[got]
        at = self.cols["removed_at_h"]
        at[rows] = np.where(np.isnan(at[rows]), t_h[got], at[rows])
        self.cols["listings_removed"][rows] += counts[got]

    def _grow(self) -> None:
        for name, arr in self.cols.items():
            fill = np.nan if arr.dtype.kind == "f" and name != "t_h" else 0
            grown = np.full(2 * len(arr), fill, dtype=arr.dtype)
            grown[: self.n] = arr[: self.n]
            self.cols[name] = grown

    def table(self) -> dict[str, np.ndarray]:
        out = {name: arr[: self.n].copy() for name, arr in self.cols.items()}
        out["channel"] = np.asarray(self.CHANNELS, dtype=object)[out["channel"]]
        return out


class EventLog:
    """Optional per-listing event log: removals and restorations (kept as array chunks)."""

    COLUMNS = ("t_h", "kind", "listing_id", "brand_id", "fake", "channel")

    def __init__(self) -> None:
        self.chunks: list[dict[str, np.ndarray]] = []

    def add(
        self,
        kind: str,
        t_h: FloatArray | float,
        ids: IntArray,
        brand: IntArray,
        fake: bool,
        channel: str,
    ) -> None:
        k = len(ids)
        if k == 0:
            return
        self.chunks.append(
            {
                "t_h": np.broadcast_to(np.asarray(t_h, dtype=np.float64), (k,)).copy(),
                "kind": np.full(k, kind, dtype=object),
                "listing_id": np.asarray(ids, dtype=np.int64),
                "brand_id": np.asarray(brand, dtype=np.int64),
                "fake": np.full(k, fake),
                "channel": np.full(k, channel, dtype=object),
            }
        )

    def table(self) -> dict[str, np.ndarray]:
        if not self.chunks:
            empty: dict[str, np.ndarray] = {
                "t_h": np.empty(0),
                "kind": np.empty(0, dtype=object),
                "listing_id": np.empty(0, dtype=np.int64),
                "brand_id": np.empty(0, dtype=np.int64),
                "fake": np.empty(0, dtype=bool),
                "channel": np.empty(0, dtype=object),
            }
            return empty
        out = {c: np.concatenate([ch[c] for ch in self.chunks]) for c in self.COLUMNS}
        order = np.argsort(out["t_h"], kind="stable")
        return {c: v[order] for c, v in out.items()}
