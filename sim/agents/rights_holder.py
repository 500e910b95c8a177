"""Rights holders: monitoring sweeps, notices cut from what they find, and the rolling
track record that decides good-faith status.

All brands whose sweep falls in the same hour are served by one vectorised pass over
the live store; the hits are sorted by brand and cut into notices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.arrays import run_bounds
from sim.market import Brands, GenuineCatalog
from sim.scenario import GoodFaith
from sim.scenario import RightsHolders as RightsHoldersConfig
from sim.store import ListingStore
from sim.types import BoolArray, FloatArray, IntArray

MIN_DECIDED_FOR_RECORD = GoodFaith().min_decided  # the default: fewer decided, no verdict
INVALID_NOTICE_MAX_LISTINGS = 3  # an invalid notice names 1..3 genuine listings
MIN_PRECISION = 0.01  # a brand's own precision is floored here: at most ~99 misses a notice


@dataclass(frozen=True)
class SweepHits:
    """What one grouped sweep found: rows of confirmed leads and rows of found fakes."""

    lead_rows: IntArray
    found_rows: IntArray


@dataclass(frozen=True)
class Draft:
    """A notice about to be filed: its brand, listing ids and whether it is valid."""

    brand: int
    ids: IntArray
    valid: bool
    notifier: int = -1  # who files it: -1 for the brand itself, else a bad-faith notifier

    @property
    def filer(self) -> int:
        """The notifier's id: the brand's own id, or a bad-faith notifier's (after them)."""
        return self.brand if self.notifier < 0 else self.notifier


class RightsHolders:
    """Every brand's monitoring, notices and track record."""

    def __init__(
        self,
        config: RightsHoldersConfig,
        brands: Brands,
        days: int,
        rng: np.random.Generator,
        *,
        notifiers: int = 0,
        precision: FloatArray | None = None,
    ) -> None:
        """``notifiers``: how many notifiers the track record follows (at least the brands,
        which come first); ``precision``: each brand's own notice precision (None: every
        brand has ``config.notice_precision``)."""
        self.config = config
        self.brands = brands
        self.precision = precision
        # detection and mistaken notices draw from separate child streams
        self._rng_find, self._rng_miss = rng.spawn(2)
        self.interval_h = max(1, round(config.sweep_interval_h))
        # the hour of the sweep cycle in which each brand sweeps (its listings' store slot)
        self.slot_of_brand = (brands.sweep_phase_h % self.interval_h).astype(np.int16)
        self.record = TrackRecord(
            max(brands.count, notifiers), days, config.track_record_window_days
        )
        self._by_brand: tuple[GenuineCatalog, IntArray, IntArray] | None = None

    def sweeping(self, hour: int) -> BoolArray:
        """Brands whose monitoring sweep falls in this hour."""
        return (hour - self.brands.sweep_phase_h) % self.interval_h == 0

    def sweep(self, store: ListingStore, hour: int, lead_p: float) -> SweepHits:
        """One sweep for all brands sweeping in ``hour``: their live rows are the store's
        rows of this hour's sweep slot (in row order, as a pass over the store would
        find them), less those hidden by a block. The store holds no listing that its
        seller has ended by ``hour`` (the model expires listings before any sweep)."""
        slot = np.array([hour % self.interval_h], dtype=np.int64)
        rows = store.rows_where("sweep_slot", slot)
        rows = rows[~store.cols["noticed"][rows] & (store.cols["live_from_h"][rows] <= hour)]
        lead = store.col("lead")[rows]
        lead_rows = rows[lead]
        confirmed = self._rng_find.random(len(lead_rows)) < lead_p
        store.cols["lead"][lead_rows] = False
        rest = rows[~lead] if len(lead_rows) else rows
        rest = np.concatenate([rest, lead_rows[~confirmed]])
        obf = store.col("obfuscated")[rest]
        p = np.where(obf, self.config.detection_prob_obfuscated, self.config.detection_prob)
        found = np.sort(rest[self._rng_find.random(len(rest)) < p])
        return SweepHits(lead_rows[confirmed], found)

    def drafts(self, brand_of_row: IntArray, ids: IntArray) -> list[Draft]:
        """Valid notices: found listings grouped by brand, at most max_listings each."""
        order = np.lexsort((ids, brand_of_row))
        b, i = brand_of_row[order], ids[order]
        starts, ends = run_bounds(b)
        out: list[Draft] = []
        cap = self.config.max_listings_per_notice
        for brand, lo, hi in zip(b[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
            for start in range(lo, hi, cap):
                # sorted by id already: the sort above is by brand, then id (views of
                # one array, which the sweep's notices keep alive together)
                out.append(Draft(brand, i[start : min(start + cap, hi)], True))
        return out

    def invalid_brands(self, valid: list[Draft]) -> list[int]:
        """Brands of the notices that miss (hit genuine listings), one entry per notice.

        Per valid notice a geometric number of misses, so the valid share is the precision.
        """
        if self.precision is not None:
            return self._misses_by_brand(valid)
        p = self.config.notice_precision
        if p >= 1.0 or not valid:
            return []
        extra = self._rng_miss.negative_binomial(1, p, len(valid))
        return np.repeat([d.brand for d in valid], extra).tolist()

    def _misses_by_brand(self, valid: list[Draft]) -> list[int]:
        """``invalid_brands`` with each brand's own precision (at least MIN_PRECISION)."""
        assert self.precision is not None
        if not valid:
            return []
        brands = np.array([d.brand for d in valid], dtype=np.int64)
        p = np.maximum(self.precision[brands], MIN_PRECISION)
        extra = self._rng_miss.negative_binomial(1, p)
        return np.repeat(brands, extra).tolist()

    def pick_genuine(self, catalog: GenuineCatalog, brand: int) -> IntArray:
        """The genuine listings a mistaken notice of ``brand`` names: ``want`` (1 to 3)
        of its live listings not under notice, a uniform choice among them (or all, if
        fewer).

        A big brand has tens of thousands of listings, nearly all eligible, so the
        choice is first tried on a few candidates: the distinct values of ``4 * want``
        uniform draws, in order of first appearance, are listings in uniformly random
        order, and so are the eligible ones among them; the first ``want`` of those are
        a uniform choice. Only when the candidates hold too few does the choice go
        through every listing of the brand (fresh draws, so the law is the same).
        """
        own = self.genuine_of(catalog, brand)
        rng = self._rng_miss
        most = min(INVALID_NOTICE_MAX_LISTINGS, self.config.max_listings_per_notice)
        want = int(rng.integers(1, most + 1))
        if len(own) == 0:
            return own
        draws = rng.integers(0, len(own), 4 * want)
        _, first = np.unique(draws, return_index=True)
        candidates = own[draws[np.sort(first)]]
        eligible = candidates[catalog.live[candidates] & ~catalog.noticed[candidates]]
        if len(eligible) >= want:
            return np.sort(eligible[:want])
        pool = own[catalog.live[own] & ~catalog.noticed[own]]
        k = min(len(pool), want)
        return np.sort(rng.choice(pool, size=k, replace=False))

    def genuine_of(self, catalog: GenuineCatalog, brand: int) -> IntArray:
        """The genuine listings of ``brand``, in id order (the catalogue's brands never
        change, so the index is built once: a lookup instead of a pass per notice)."""
        if self._by_brand is None or self._by_brand[0] is not catalog:
            order = np.argsort(catalog.brand, kind="stable")
            cuts = np.searchsorted(catalog.brand[order], np.arange(self.brands.count + 1))
            self._by_brand = (catalog, order, cuts)
        _, order, cuts = self._by_brand
        return order[cuts[brand] : cuts[brand + 1]]


class TrackRecord:
    """Rolling per-brand counts over a window of days: notices filed and decided, approvals,
    counter-notices; and the good-faith status they decide.

    Counts come a few at a time, millions a year, and are read once a day: ``add``
    only notes the (brand, day) cell, and the notes are added into the arrays when the
    counts are read.
    """

    KINDS = ("filed", "decided", "approved", "counter")
    MAX_NOTED = 1 << 16

    def __init__(self, brands: int, days: int, window_days: float) -> None:
        self.window = max(1, round(window_days))
        self.days = days + 1
        self._counts = {kind: np.zeros((brands, self.days)) for kind in self.KINDS}
        self._noted: dict[str, list[int]] = {kind: [] for kind in self.KINDS}
        self.trusted = np.zeros(brands, dtype=bool)
        self.locked_until_h = np.zeros(brands)
        self.self_service = np.zeros(brands, dtype=bool)  # Project Zero (sim.programmes)

    def add(self, what: str, brand: int, t_h: float) -> None:
        """One more ``what`` (a kind) for ``brand`` at ``t_h``."""
        self._noted[what].append(brand * self.days + min(int(t_h // 24), self.days - 1))

    def add_many(self, what: str, brands: list[int], t_h: float) -> None:
        """One more ``what`` for each of ``brands`` (repeats count), all at ``t_h``.

        Notes are also added in here once they pile up, so that a run whose counts are
        never read (no good-faith members) keeps no more than ``MAX_NOTED`` of a kind.
        """
        noted = self._noted[what]
        day = min(int(t_h // 24), self.days - 1)
        noted.extend(b * self.days + day for b in brands)
        if len(noted) > self.MAX_NOTED:
            for kind in self.KINDS:
                self.counts(kind)

    def counts(self, what: str) -> np.ndarray:
        """Per brand and day: how many ``what`` so far."""
        noted = self._noted[what]
        if noted:
            np.add.at(self._counts[what].reshape(-1), noted, 1.0)
            noted.clear()
        return self._counts[what]

    def _window_sum(self, what: str, day: int) -> np.ndarray:
        return self.window_sum(what, day, self.window)

    def window_sum(self, what: str, day: int, window: int) -> np.ndarray:
        """Per notifier: how many ``what`` in the ``window`` days ending with ``day``."""
        return self.counts(what)[:, max(0, day - window + 1) : day + 1].sum(axis=1)

    def review(self, members: IntArray, day: int, now_h: float, rules: GoodFaith) -> None:
        """Daily: members lose good-faith status below the bar (and are locked out), or
        regain it once their record qualifies and the lock-out is over."""
        decided = self._window_sum("decided", day)[members]
        approved = self._window_sum("approved", day)[members]
        filed = self._window_sum("filed", day)[members]
        counter = self._window_sum("counter", day)[members]
        judged = decided >= rules.min_decided
        success = np.divide(approved, decided, out=np.ones_like(decided), where=decided > 0)
        cn_rate = np.divide(counter, filed, out=np.zeros_like(filed), where=filed > 0)
        good = (success >= rules.min_success_rate) & (cn_rate <= rules.max_counter_notice_rate)
        trusted = self.trusted[members]
        lose = trusted & judged & ~good
        gain = ~trusted & judged & good & (self.locked_until_h[members] <= now_h)
        self.trusted[members[lose]] = False
        self.locked_until_h[members[lose]] = now_h + rules.lockout_days * 24.0
        self.trusted[members[gain]] = True
