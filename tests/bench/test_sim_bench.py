"""Benchmark: fake listings simulated per second by the hybrid model on a large scenario,
beside a plain SimPy model of the same dynamics with one process per listing.

Both run in the same invocation on the same machine. The dynamics are the common core:
counterfeiters post at a Poisson rate to brands by popularity, a share is obfuscated,
the upload classifier removes some at once, the rest live until a daily platform sweep
finds them, the brand's daily sweep finds them (removed on notice, as under Joint-Force),
or the seller ends them; removed fakes are relisted with a probability after a delay.
Strikes, bans and leads are switched off in the hybrid run so that both do the same work.
The comparator runs a shorter horizon of the same market (its cost per fake only grows
with the horizon, as live processes pile up), so the ratio is if anything flattered in
its favour.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy

from sim.model import run
from sim.scenario import Scenario, load_scenario

pytestmark = pytest.mark.bench

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "joint_force_2017.toml"
ACCOUNTS = 2000
LISTINGS_PER_DAY = 50.0
HYBRID_DAYS = 30.0
PLAIN_DAYS = 2.0
GOAL_RATIO = 10.0


def large_scenario(days: float) -> Scenario:
    """About 100k fakes a day: Joint-Force removal on notice, no strikes, bans or leads."""
    return load_scenario(
        BASE,
        [
            f"scenario.horizon_days={days}",
            "scenario.warmup_days=0",
            "market.brands=500",
            "legit_sellers.count=2000",
            f"counterfeiters.count={ACCOUNTS}",
            "counterfeiters.arrivals_per_day=0",
            f"counterfeiters.listings_per_day={LISTINGS_PER_DAY}",
            "rights_holders.programme_mix={joint_force = 1.0}",
            "account_managers.dedicated_per_enrolled_brand=0",
            "account_managers.pool_size=50",
            "platform.lead_share=0",
            "platform.upload_false_positive_rate=0",
            'platform.strikes.ladder=["warn"]',
        ],
    )


class PlainModel:
    """The same dynamics in plain SimPy: a process per counterfeiter and per listing."""

    def __init__(self, sc: Scenario, seed: int) -> None:
        self.sc = sc
        self.env = simpy.Environment()
        self.rng = np.random.default_rng(seed)
        n = sc.market.brands
        pop = 1.0 / np.arange(1, n + 1) ** sc.market.popularity_zipf_s
        self.brand_cum = np.cumsum(pop / pop.sum())
        interval = sc.rights_holders.sweep_interval_h
        self.phase = self.rng.integers(0, int(interval), n)
        self.removed: Counter[str] = Counter()
        self.created = 0

    def counterfeiter(self, rate_h: float) -> Generator[simpy.Event, Any, None]:
        while True:
            yield self.env.timeout(self.rng.exponential(1.0 / rate_h))
            self.env.process(self.listing())

    def relist(self, delay_h: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(delay_h)
        yield from self.listing()

    def listing(self) -> Generator[simpy.Event, Any, None]:
        sc, env, rng = self.sc, self.env, self.rng
        self.created += 1
        brand = min(int(np.searchsorted(self.brand_cum, rng.random())), len(self.brand_cum) - 1)
        obf = rng.random() < sc.counterfeiters.obfuscation_share
        p = sc.platform
        if rng.random() < (p.upload_recall_obfuscated if obf else p.upload_recall):
            self.removed["proactive"] += 1
            self.maybe_relist()
            return
        expires = env.now + float(sc.counterfeiters.listing_lifetime_days.sample(rng)) * 24.0
        rh = sc.rights_holders
        every_h = rh.sweep_interval_h
        sweep_p = p.sweep_recall * (p.upload_recall_obfuscated / p.upload_recall if obf else 1.0)
        while True:
            platform_at = (math.floor(env.now / p.sweep_interval_h) + 1) * p.sweep_interval_h
            k = math.floor((env.now - self.phase[brand]) / every_h) + 1
            brand_at = self.phase[brand] + k * every_h
            t = min(platform_at, brand_at, expires)
            yield env.timeout(t - env.now)
            if t == expires:
                self.removed["seller"] += 1
                return
            if t == platform_at and rng.random() < sweep_p:
                self.removed["proactive"] += 1
                self.maybe_relist()
                return
            detect = rh.detection_prob_obfuscated if obf else rh.detection_prob
            if t == brand_at and rng.random() < detect:
                self.removed["notice"] += 1
                self.maybe_relist()
                return

    def maybe_relist(self) -> None:
        c = self.sc.counterfeiters
        if self.rng.random() < c.relist_prob:
            self.env.process(self.relist(float(c.relist_delay_h.sample(self.rng))))

    def run(self) -> None:
        rates = self.sc.counterfeiters.listings_per_day.sample(
            self.rng, self.sc.counterfeiters.count
        )
        for rate in np.asarray(rates, dtype=float):
            if rate > 0:
                self.env.process(self.counterfeiter(rate / 24.0))
        self.env.run(until=self.sc.scenario.horizon_days * 24.0)


def test_hybrid_vs_plain_simpy_per_listing() -> None:
    plain = PlainModel(large_scenario(PLAIN_DAYS), 1)
    start = time.perf_counter()
    plain.run()
    plain_s = time.perf_counter() - start
    plain_rate = plain.created / plain_s

    start = time.perf_counter()
    result = run(large_scenario(HYBRID_DAYS), 1)
    hybrid_s = time.perf_counter() - start
    m = result.metrics
    hybrid_rate = m["fake_listings_created"] / hybrid_s
    ratio = hybrid_rate / plain_rate
    print(
        f"\nhybrid: {m['fake_listings_created']:,.0f} fakes in {hybrid_s:.1f} s "
        f"= {hybrid_rate:,.0f} fakes/s\n"
        f"plain SimPy, a process per listing: {plain.created:,} fakes in {plain_s:.1f} s "
        f"= {plain_rate:,.0f} fakes/s\nratio: {ratio:.1f}x (goal >= {GOAL_RATIO:.0f}x)"
    )
    # same dynamics: over the same horizon, the shares of fakes removed by each channel
    # agree (each share is a binomial mean over ~200k fakes, sd < 0.002; 0.02 allows for
    # the hybrid's hour-grained posting times)
    short = run(large_scenario(PLAIN_DAYS), 2).metrics
    for channel in ("proactive", "notice", "seller"):
        hybrid_share = short[f"fake_removed_{channel}"] / short["fake_listings_created"]
        plain_share = plain.removed[channel] / plain.created
        assert abs(hybrid_share - plain_share) < 0.02, channel
    assert ratio >= GOAL_RATIO
