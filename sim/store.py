"""The live counterfeit listings: a columnar store (struct of growable numpy arrays).

Rows keep their permanent, increasing listing ids in order, so a notice's listings are
found with ``searchsorted``; removed rows are only flagged dead and squeezed out now and
then, which keeps that order. Indexes by account and by sweep slot find an account's rows
(for bans) and those of the brands sweeping in an hour without a pass over the store.

Two states sit beside live and dead. A live row is *hidden* while ``live_from_h`` is
ahead of the clock (its account is blocked): shoppers, sweeps and brands do not see it.
A dead row is *held* while the remove-first notice that took it down awaits review: it
survives compaction, so that a rejection can put it back in its place (``revive``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sim.arrays import ColumnIndex
from sim.types import BoolArray, IntArray

# column name -> dtype of the live-fake store
FAKE_COLUMNS: dict[str, type] = {
    "id": np.int64,
    "brand": np.int32,
    "account": np.int32,
    "obfuscated": np.bool_,
    "created_h": np.float64,
    "live_from_h": np.float64,  # on show from this time on (later while hidden by a block)
    "expires_h": np.float64,
    "first_sale_h": np.float64,
    "price_usd": np.float64,
    "popularity": np.float64,  # its views' weight (mean 1 over listings), see sim.demand
    "sweep_slot": np.int16,  # the hour of its brand's sweep cycle (the brand's phase)
    "noticed": np.bool_,
    "lead": np.bool_,
    "alive": np.bool_,
    "held": np.bool_,  # dead, but kept for a possible restoration
}


# bans find an account's rows; an hour's brand sweeps find the rows of every brand whose
# sweep falls in that hour of the cycle: one slot, so one slice of the index
INDEXED_COLUMNS = ("account", "sweep_slot")


class ListingStore:
    """Live counterfeit listings as columns, in id order, growable, with lazy compaction."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.dead = 0  # dead rows, held ones included
        self.held = 0
        self.next_id = 0
        self.cols: dict[str, np.ndarray] = {
            name: np.zeros(capacity, dtype=dt) for name, dt in FAKE_COLUMNS.items()
        }
        self.indexes = {name: ColumnIndex() for name in INDEXED_COLUMNS}

    def __len__(self) -> int:
        """Number of live rows."""
        return self.n - self.dead

    def col(self, name: str) -> np.ndarray:
        """A view of one column over the used rows (dead rows included)."""
        return self.cols[name][: self.n]

    def alive_mask(self) -> BoolArray:
        return self.cols["alive"][: self.n]

    def visible_mask(self, now_h: float) -> BoolArray:
        """Live rows on show at ``now_h`` (not hidden by a block)."""
        return self.alive_mask() & (self.col("live_from_h") <= now_h)

    def append(self, batch: dict[str, np.ndarray]) -> IntArray:
        """Add listings (columns other than id/noticed/lead/alive/held; ``live_from_h``
        defaults to ``created_h``); returns their new ids."""
        k = len(batch["brand"])
        ids = np.arange(self.next_id, self.next_id + k, dtype=np.int64)
        self.next_id += k
        if k == 0:
            return ids
        self._reserve(self.n + k)
        sl = slice(self.n, self.n + k)
        for name, values in batch.items():
            self.cols[name][sl] = values
        self.cols["id"][sl] = ids
        if "live_from_h" not in batch:
            self.cols["live_from_h"][sl] = batch["created_h"]
        self.cols["held"][sl] = False
        self.cols["noticed"][sl] = False
        self.cols["lead"][sl] = False
        self.cols["alive"][sl] = True
        self.n += k
        for name, index in self.indexes.items():
            index.appended(self.cols[name][sl])
        return ids

    def reserve_ids(self, k: int) -> IntArray:
        """Permanent ids for listings that never get a row (caught at upload)."""
        ids = np.arange(self.next_id, self.next_id + k, dtype=np.int64)
        self.next_id += k
        return ids

    def rows_of(self, ids: IntArray) -> IntArray:
        """Row indices of the live listings among ``ids`` (ids must be sorted)."""
        rows, live = self.locate(ids)
        return rows[live]

    def locate(self, ids: IntArray) -> tuple[IntArray, BoolArray]:
        """For each of ``ids`` (sorted): its row, and whether that row is a live listing
        with this id (rows of missing ids are meaningless)."""
        id_col = self.col("id")
        rows = np.minimum(np.searchsorted(id_col, ids), max(self.n - 1, 0))
        if self.n == 0:
            return rows, np.zeros(len(ids), dtype=bool)
        live = (id_col[rows] == ids) & self.cols["alive"][rows]
        return rows, live

    def rows_where(self, column: str, values: IntArray) -> IntArray:
        """Live rows whose ``column`` (an indexed one) is one of ``values`` (sorted,
        unique), in row order: what a pass over the store would find, at the cost of
        those rows and the index's unmerged tail."""
        rows = self.indexes[column].lookup(self.cols[column][: self.n], values)
        alive = self.cols["alive"]
        if len(values) == 1:  # already in row order (see ColumnIndex.lookup)
            return rows[alive[rows]]
        if len(rows) * 32 > self.n:  # many rows: a mask pass is cheaper than a sort
            mask = np.zeros(self.n, dtype=bool)
            mask[rows] = True
            return np.flatnonzero(mask & alive[: self.n])
        rows = np.sort(rows)
        return rows[alive[rows]]

    def take(self, rows: IntArray, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """Copies of the columns ``names`` (default: every column) at ``rows``."""
        names = self.cols if names is None else names
        return {name: self.cols[name][rows] for name in names}

    def kill(self, rows: IntArray, hold: bool = False) -> None:
        """Flag rows dead; they are squeezed out at the next compaction, unless ``hold``
        keeps them until ``release`` or ``revive``. A dead row's ``expires_h`` becomes
        +inf, so that ``expiring`` needs no look at ``alive``."""
        self.cols["alive"][rows] = False
        self.cols["expires_h"][rows] = np.inf
        self.dead += len(rows)
        if hold:
            self.cols["held"][rows] = True
            self.held += len(rows)

    def locate_held(self, ids: IntArray) -> tuple[IntArray, BoolArray]:
        """For each of ``ids`` (sorted): its row, and whether that row is held with this
        id (as ``locate`` does for live rows)."""
        rows = np.minimum(np.searchsorted(self.col("id"), ids), max(self.n - 1, 0))
        if self.n == 0:
            return rows, np.zeros(len(ids), dtype=bool)
        return rows, (self.cols["id"][rows] == ids) & self.cols["held"][rows]

    def release(self, rows: IntArray) -> None:
        """Held rows become plain dead rows (the take-down stands)."""
        self.cols["held"][rows] = False
        self.held -= len(rows)

    def revive(self, rows: IntArray, expires_h: np.ndarray, live_from_h: np.ndarray) -> None:
        """Held rows live again, ending at ``expires_h``, on show from ``live_from_h``."""
        self.release(rows)
        self.cols["alive"][rows] = True
        self.cols["expires_h"][rows] = expires_h
        self.cols["live_from_h"][rows] = live_from_h
        self.dead -= len(rows)

    def expiring(self, now_h: float) -> IntArray:
        """Live rows whose seller ends them by ``now_h`` (one comparison per row)."""
        return np.flatnonzero(self.col("expires_h") <= now_h)

    def maybe_compact(self) -> None:
        """Drop dead rows (held ones stay) once they are over half the store (order,
        hence ids, kept)."""
        if (self.dead - self.held) * 2 <= self.n or self.n == 0:
            return
        keep = np.flatnonzero(self.alive_mask() | self.col("held"))
        for arr in self.cols.values():
            arr[: len(keep)] = arr[keep]
        new_row = np.full(self.n, -1, dtype=np.int64)
        new_row[keep] = np.arange(len(keep))
        for index in self.indexes.values():
            index.follow(new_row, keep)
        self.n = len(keep)
        self.dead = self.held

    def _reserve(self, size: int) -> None:
        cap = len(self.cols["id"])
        if size <= cap:
            return
        new_cap = max(size, cap * 2)
        for name, arr in self.cols.items():
            grown = np.zeros(new_cap, dtype=arr.dtype)
            grown[: self.n] = arr[: self.n]
            self.cols[name] = grown
