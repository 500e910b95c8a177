"""The marketplace state: brands, the genuine catalogue and the live counterfeit listings.

Live fakes sit in a columnar store (struct of growable numpy arrays). Rows keep their
permanent, increasing listing ids in order, so a notice's listings are found with
``searchsorted``; removed rows are only flagged dead and squeezed out now and then,
which keeps that order. Indexes by account and by sweep slot find an account's rows
(for bans) and those of the brands sweeping in an hour without a pass over the store. Nothing
here draws random numbers except ``build_brands``, which is handed its generator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.scenario import PROGRAMMES, Programme, Scenario

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# column name -> dtype of the live-fake store
FAKE_COLUMNS: dict[str, type] = {
    "id": np.int64,
    "brand": np.int32,
    "account": np.int32,
    "obfuscated": np.bool_,
    "created_h": np.float64,
    "expires_h": np.float64,
    "first_sale_h": np.float64,
    "price_usd": np.float64,
    "sweep_slot": np.int16,  # the hour of its brand's sweep cycle (the brand's phase)
    "noticed": np.bool_,
    "lead": np.bool_,
    "alive": np.bool_,
}


# bans find an account's rows; an hour's brand sweeps find the rows of every brand whose
# sweep falls in that hour of the cycle: one slot, so one slice of the index
INDEXED_COLUMNS = ("account", "sweep_slot")


class ByteMask:
    """Membership among small non-negative integers through one reused byte per value:
    mark the members, read the mask at the items, unmark. A test costs the items and
    the members, never a pass over the range of values (an ``isin`` sorts, a fresh
    mask fills the range)."""

    def __init__(self) -> None:
        self.mask = np.zeros(1, dtype=bool)

    def cover(self, top: int) -> None:
        """Make room for values below ``top`` (the items of every later ``isin``)."""
        if top > len(self.mask):
            self.mask = np.zeros(2 * top, dtype=bool)

    def isin(self, items: np.ndarray, members: np.ndarray) -> BoolArray:
        """Which ``items`` (covered) are among ``members``; members beyond the cover are
        no item's value."""
        members = members[members < len(self.mask)]
        self.mask[members] = True
        hit = self.mask[items]
        self.mask[members] = False
        return hit


def _merge_sorted(a: IntArray, b: IntArray) -> IntArray:
    """Two sorted key arrays as one: the stable sort (timsort) finds the two runs and
    merges them in linear time."""
    if len(b) == 0:
        return a
    return np.sort(np.concatenate([a, b]), kind="stable")


class ColumnIndex:
    """The rows of a store grouped by the value of one integer column (values >= 0).

    Rows ``[0, indexed)`` sit in two sorted arrays of keys ``value << 32 | row`` (a
    log-structured pair): a value's rows are one slice of each, found with
    ``searchsorted``. Rows appended since are the tail, which a lookup scans through a
    byte mask of the wanted values. Once the tail passes ``MIN_TAIL`` rows it is sorted
    into the small run, and once the small run passes a quarter of the big one it is
    merged in: each row is sorted once and merged a few times, and no lookup scans more
    than ``MIN_TAIL`` tail rows (a byte gather: scanning 32k rows costs less than
    sorting and merging them four times as often). Dead rows stay until compaction
    drops them.
    """

    MIN_TAIL = 1 << 15
    ROW_BITS = 32
    ROW_MASK = (1 << ROW_BITS) - 1

    def __init__(self) -> None:
        self.indexed = 0
        self.keys = np.empty(0, dtype=np.int64)  # the big run
        self.small = np.empty(0, dtype=np.int64)  # the small run
        self._wanted = ByteMask()  # the values looked up, for the tail scan

    def appended(self, values: np.ndarray) -> None:
        """New rows were appended with these values: keep the mask wide enough."""
        self._wanted.cover(int(values.max()) + 1)

    def lookup(self, column: np.ndarray, values: IntArray) -> IntArray:
        """Rows (dead ones included) whose value in ``column`` (the store's used rows)
        is one of ``values`` (sorted, unique). In no particular order, except for one
        value: then in row order, as each run holds a value's rows in row order and
        every row of the big run comes before those of the small run and the tail."""
        n = len(column)
        if n - self.indexed > self.MIN_TAIL:
            self._absorb_tail(column)
        values = np.asarray(values, dtype=np.int64)
        parts = [self._rows_in(self.keys, values), self._rows_in(self.small, values)]
        tail = column[self.indexed :]
        if len(values) and len(tail):
            parts.append(np.flatnonzero(self._wanted.isin(tail, values)) + self.indexed)
        return np.concatenate(parts)

    def _rows_in(self, keys: IntArray, values: IntArray) -> IntArray:
        """The rows of ``values`` in one sorted run of keys."""
        if len(keys) == 0:
            return np.empty(0, dtype=np.int64)
        if len(values) == 1:  # one slice (a sweep slot): no gather
            v = int(values[0])
            lo, hi = np.searchsorted(keys, [v << self.ROW_BITS, (v + 1) << self.ROW_BITS])
            return keys[lo:hi] & self.ROW_MASK
        lo = np.searchsorted(keys, values << self.ROW_BITS)
        counts = np.searchsorted(keys, (values + 1) << self.ROW_BITS) - lo
        # the positions lo[i] .. lo[i] + counts[i] - 1 of every value, flattened
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
        return keys[starts + np.arange(len(starts))] & self.ROW_MASK

    def _absorb_tail(self, column: np.ndarray) -> None:
        tail = column[self.indexed :].astype(np.int64)
        new = np.sort((tail << self.ROW_BITS) | np.arange(self.indexed, len(column)))
        self.small = _merge_sorted(self.small, new)
        self.indexed = len(column)
        if len(self.small) > len(self.keys) // 4:
            self._fold_small()

    def _fold_small(self) -> None:
        self.keys = _merge_sorted(self.keys, self.small)
        self.small = np.empty(0, dtype=np.int64)

    def follow(self, new_row: IntArray, keep: IntArray) -> None:
        """Compaction moved row ``r`` to ``new_row[r]`` (-1: dropped); ``keep`` lists
        the kept rows in order. Rows keep their order, so the keys stay sorted."""
        self._fold_small()
        moved = new_row[self.keys & self.ROW_MASK]
        kept = moved >= 0
        self.keys = (self.keys[kept] & ~self.ROW_MASK) | moved[kept]
        self.indexed = int(np.searchsorted(keep, self.indexed))


class ListingStore:
    """Live counterfeit listings as columns, in id order, growable, with lazy compaction."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.dead = 0
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

    def append(self, batch: dict[str, np.ndarray]) -> IntArray:
        """Add listings (columns other than id/noticed/lead/alive); returns their new ids."""
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

    def kill(self, rows: IntArray) -> None:
        """Flag rows dead; they are squeezed out at the next compaction. A dead row's
        ``expires_h`` becomes +inf, so that ``expiring`` needs no look at ``alive``."""
        self.cols["alive"][rows] = False
        self.cols["expires_h"][rows] = np.inf
        self.dead += len(rows)

    def expiring(self, now_h: float) -> IntArray:
        """Live rows whose seller ends them by ``now_h`` (one comparison per row)."""
        return np.flatnonzero(self.col("expires_h") <= now_h)

    def maybe_compact(self) -> None:
        """Drop dead rows once they are over half the store (order, hence ids, kept)."""
        if self.dead * 2 <= self.n or self.n == 0:
            return
        keep = np.flatnonzero(self.alive_mask())
        for arr in self.cols.values():
            arr[: len(keep)] = arr[keep]
        new_row = np.full(self.n, -1, dtype=np.int64)
        new_row[keep] = np.arange(len(keep))
        for index in self.indexes.values():
            index.follow(new_row, keep)
        self.n = len(keep)
        self.dead = 0

    def _reserve(self, size: int) -> None:
        cap = len(self.cols["id"])
        if size <= cap:
            return
        new_cap = max(size, cap * 2)
        for name, arr in self.cols.items():
            grown = np.zeros(new_cap, dtype=arr.dtype)
            grown[: self.n] = arr[: self.n]
            self.cols[name] = grown


@dataclass
class Brands:
    """Brands: popularity (mean 1), programme and the hour offset of their monitoring sweep."""

    popularity: FloatArray
    programme: NDArray[np.int8]
    sweep_phase_h: IntArray

    @property
    def count(self) -> int:
        return len(self.popularity)

    def of_programme(self, name: str) -> IntArray:
        return np.flatnonzero(self.programme == PROGRAMMES.index(name))


def zipf_weights(n: int, s: float) -> FloatArray:
    """Popularity of ranks 1..n under Zipf's law with exponent s, normalised to mean 1."""
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    return w * (n / w.sum())


def assign_programmes(
    n: int, mix: Mapping[Programme, float], rng: np.random.Generator
) -> NDArray[np.int8]:
    """Programme per brand: counts by largest remainder of the shares, then shuffled.

    Deterministic counts make a mix of 1/3 each give every programme a brand even with
    a handful of brands, which a draw per brand would not.
    """
    shares = np.array([mix.get(p, 0.0) for p in PROGRAMMES], dtype=np.float64)
    exact = shares / shares.sum() * n
    counts = np.floor(exact).astype(np.int64)
    left = n - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:left]] += 1
    codes = np.repeat(np.arange(len(PROGRAMMES), dtype=np.int8), counts)
    rng.shuffle(codes)
    return codes


def build_brands(scenario: Scenario, rng: np.random.Generator) -> Brands:
    """Brands of the scenario with programmes and sweep offsets drawn from ``rng``."""
    n = scenario.market.brands
    programme = assign_programmes(n, scenario.rights_holders.programme_mix, rng)
    interval = max(1, round(scenario.rights_holders.sweep_interval_h))
    phase = rng.integers(0, interval, n).astype(np.int64)
    return Brands(zipf_weights(n, scenario.market.popularity_zipf_s), programme, phase)


def run_bounds(values: np.ndarray) -> tuple[IntArray, IntArray]:
    """Where each run of equal neighbours in ``values`` starts and ends (exclusive).

    Written without ``np.r_``, whose index-trick machinery costs more than the work on
    the short arrays the hourly steps pass here."""
    change = np.empty(len(values), dtype=bool)
    change[:1] = True
    np.not_equal(values[1:], values[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1:] = len(values)
    return starts, ends


class GuideTable:
    """Inverts cumulative weights as ``searchsorted(cum, u, side="right")`` does, in a
    few vectorised steps instead of a binary search per draw: a table of where every
    ``cum[-1] / cells`` falls gives each uniform a start at most a couple of weights
    below its answer, and each step moves every draw still short of it up by one.
    (Hourly posting picks about 8,000 brands out of 3,000: 5x faster than the search,
    identical indices.)"""

    CELLS_PER_WEIGHT = 16

    def __init__(self, cum_weights: FloatArray) -> None:
        self.cum = cum_weights
        self.cells = self.CELLS_PER_WEIGHT * len(cum_weights)
        edges = cum_weights[-1] * (np.arange(self.cells + 1) / self.cells)
        self.start = np.searchsorted(cum_weights, edges, side="right")
        self.padded = np.append(cum_weights, np.inf)  # every walk stops by the end

    def index(self, u: FloatArray) -> IntArray:
        """For each ``u`` in ``[0, cum[-1])``: the first index whose weight sum exceeds it
        (clipped to the last index)."""
        n = len(self.cum)
        if not self.cum[-1] > 0:
            return np.full(len(u), n - 1, dtype=np.int64)
        cell = np.minimum((u * (self.cells / self.cum[-1])).astype(np.int64), self.cells - 1)
        # one cell early: rounding in ``cell`` must never start past the answer
        idx = self.start[np.maximum(cell - 1, 0)]
        while True:
            short = self.padded[idx] <= u
            if not short.any():
                break
            idx += short
        return np.minimum(idx, n - 1).astype(np.int64)


def pick_brands(
    cum_weights: FloatArray, rng: np.random.Generator, k: int, guide: GuideTable | None = None
) -> IntArray:
    """``k`` brand indices drawn with probabilities given by cumulative weights
    (``guide``, if given, is built from the same weights: same draws, found faster)."""
    u = rng.random(k) * cum_weights[-1]
    if guide is not None:
        return guide.index(u)
    idx = np.searchsorted(cum_weights, u, side="right")
    return np.minimum(idx, len(cum_weights) - 1).astype(np.int64)


@dataclass
class GenuineCatalog:
    """Genuine listings of legit sellers (ids 0..n-1, a fixed set that may be taken down)."""

    brand: IntArray
    seller: IntArray
    live: BoolArray
    noticed: BoolArray
    removed_h: FloatArray

    @classmethod
    def build(cls, brand: IntArray, seller: IntArray) -> GenuineCatalog:
        n = len(brand)
        return cls(
            brand,
            seller,
            np.ones(n, dtype=bool),
            np.zeros(n, dtype=bool),
            np.full(n, np.nan),
        )

    def __len__(self) -> int:
        return len(self.brand)
