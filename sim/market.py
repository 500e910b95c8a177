"""The marketplace: brands (popularity, programme, sweep phase) and the genuine catalogue.

Nothing here draws random numbers except ``build_brands``, which is handed its
generator, and ``pick_brands``, which draws from the one it is given. The live fakes
are in ``sim.store``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.arrays import GuideTable
from sim.scenario import PROGRAMMES, Programme, Scenario
from sim.types import BoolArray, FloatArray, IntArray


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
