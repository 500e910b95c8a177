"""Rights holders: notices cut from sweep hits, and the good-faith track record."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.agents.rights_holder import MIN_DECIDED_FOR_RECORD, RightsHolders, TrackRecord
from sim.market import Brands, GenuineCatalog
from sim.scenario import GoodFaith
from sim.scenario import RightsHolders as RightsHoldersConfig


def holders(**config: float) -> RightsHolders:
    brands = Brands(np.ones(3), np.zeros(3, dtype=np.int8), np.array([0, 5, 23]))
    rh = RightsHoldersConfig(sweep_interval_h=24.0, **config)  # type: ignore[arg-type]
    return RightsHolders(rh, brands, days=10, rng=np.random.default_rng(0))


def test_sweeps_fall_on_each_brand_phase() -> None:
    rh = holders()
    assert rh.sweeping(0).tolist() == [True, False, False]
    assert rh.sweeping(29).tolist() == [False, True, False]
    assert rh.sweeping(47).tolist() == [False, False, True]


def test_drafts_group_by_brand_and_respect_the_cap() -> None:
    rh = holders(max_listings_per_notice=2)
    brand = np.array([1, 0, 1, 1, 0])
    ids = np.array([10, 11, 12, 13, 14])
    drafts = rh.drafts(brand, ids)
    assert [(d.brand, d.ids.tolist(), d.valid) for d in drafts] == [
        (0, [11, 14], True),
        (1, [10, 12], True),
        (1, [13], True),
    ]


def test_mistaken_notices_match_precision() -> None:
    """Misses per valid notice are geometric with mean (1-p)/p = 0.25 for p = 0.8; over
    20k notices the mean is within 0.02 (sd of the mean ~0.004)."""
    rh = holders(notice_precision=0.8)
    valid = rh.drafts(np.zeros(20_000, dtype=np.int64), np.arange(20_000))
    rh.config = rh.config.model_copy(update={"max_listings_per_notice": 1})
    valid = rh.drafts(np.zeros(20_000, dtype=np.int64), np.arange(20_000))
    misses = len(rh.invalid_brands(valid)) / len(valid)
    assert abs(misses - 0.25) < 0.02


def test_mistaken_notices_name_live_genuine_listings_of_the_brand() -> None:
    rh = holders(max_listings_per_notice=300)
    catalog = GenuineCatalog.build(np.array([0, 1, 1, 1, 2]), np.arange(5))
    catalog.live[2] = False
    catalog.noticed[3] = True
    for _ in range(20):
        assert rh.pick_genuine(catalog, 1).tolist() == [1]
    assert len(rh.pick_genuine(GenuineCatalog.build(np.array([0]), np.array([0])), 2)) == 0


def test_track_record_loses_and_regains_status() -> None:
    rules = GoodFaith(min_success_rate=0.9, max_counter_notice_rate=0.1, lockout_days=2.0)
    rec = TrackRecord(brands=2, days=10, window_days=3.0)
    rec.trusted[:] = True
    members = np.array([0, 1])
    for _ in range(MIN_DECIDED_FOR_RECORD):
        for what in ("filed", "decided"):
            rec.add(what, 0, 1.0)  # brand 0: nothing approved
            rec.add(what, 1, 1.0)
        rec.add("approved", 1, 1.0)  # brand 1: all approved
    rec.review(members, day=0, now_h=24.0, rules=rules)
    assert rec.trusted.tolist() == [False, True]
    assert rec.locked_until_h[0] == 24.0 + 48.0
    # a good record on day 3 ...
    for _ in range(MIN_DECIDED_FOR_RECORD):
        rec.add("filed", 0, 80.0)
        rec.add("decided", 0, 80.0)
        rec.add("approved", 0, 80.0)
    rec.review(members, day=1, now_h=48.0, rules=rules)
    assert not rec.trusted[0]
    # the old failures leave the 3-day window; the lock-out is over
    rec.review(members, day=4, now_h=120.0, rules=rules)
    assert rec.trusted[0]


def test_too_few_decisions_give_no_verdict() -> None:
    rules = GoodFaith()
    rec = TrackRecord(brands=1, days=5, window_days=90.0)
    rec.trusted[0] = True
    rec.add("filed", 0, 0.0)
    rec.add("decided", 0, 0.0)
    rec.review(np.array([0]), day=0, now_h=24.0, rules=rules)
    assert rec.trusted[0]


def test_track_record_counts_every_noted_cell() -> None:
    """Notes added in batches, one by one and read in between all count, once each;
    times past the last day go to the last day."""
    rng = np.random.default_rng(2)
    rec = TrackRecord(brands=5, days=4, window_days=2.0)
    expected = np.zeros((5, 5))
    for step in range(6):
        brands = rng.integers(0, 5, 20).tolist()
        t_h = float(rng.uniform(0, 150))
        rec.add_many("filed", brands, t_h)
        for b in brands[:7]:
            rec.add("filed", b, t_h)
        np.add.at(expected[:, min(int(t_h // 24), 4)], brands + brands[:7], 1)
        if step % 2:
            assert np.array_equal(rec.counts("filed"), expected)
    assert np.array_equal(rec.counts("filed"), expected)
    assert rec.counts("decided").sum() == 0


@pytest.mark.parametrize("eligible_share", [0.98, 0.05])
def test_mistaken_notices_choose_uniformly_among_eligible_listings(eligible_share: float) -> None:
    """A brand of 2 000 genuine listings, most eligible (the candidates' path) or few
    (the path through every listing). Over 30 000 picks: how many each names follows
    min(eligible, uniform 1..3) (chi-square), only eligible listings are named, and
    each eligible one equally often (chi-square over the eligible listings; both at
    p > 0.001, so a correct choice fails one in a thousand seeds)."""
    rng = np.random.default_rng(6)
    n = 2_000
    catalog = GenuineCatalog.build(np.zeros(n, dtype=np.int64), np.arange(n))
    catalog.live[:] = rng.random(n) < eligible_share
    catalog.noticed[rng.choice(n, 10, replace=False)] = True
    ok = catalog.live & ~catalog.noticed
    rh = holders(max_listings_per_notice=300)
    picks = [rh.pick_genuine(catalog, 0) for _ in range(30_000)]
    sizes = np.bincount([len(p) for p in picks], minlength=4)[1:]
    assert stats.chisquare(sizes).pvalue > 0.001  # 1, 2, 3 equally likely
    named = np.concatenate(picks)
    assert ok[named].all()
    assert all(len(np.unique(p)) == len(p) for p in picks[:2000])
    counts = np.bincount(named, minlength=n)[ok]
    assert stats.chisquare(counts).pvalue > 0.001


def test_track_record_notes_stay_bounded_when_never_read() -> None:
    """A run without good-faith members never reads the counts: the notes are added in
    once they pass the bound, and every one still counts."""
    rec = TrackRecord(brands=3, days=2, window_days=1.0)
    brands = [0, 1, 2, 1] * 1000
    for hour in range(40):
        rec.add_many("filed", brands, float(hour))
        rec.add("decided", 2, float(hour))
        assert all(len(n) <= TrackRecord.MAX_NOTED + len(brands) for n in rec._noted.values())
    filed = rec.counts("filed")
    assert filed[:, 0].tolist() == [24_000, 48_000, 24_000]
    assert filed[:, 1].tolist() == [16_000, 32_000, 16_000]
    assert rec.counts("decided").sum() == 40
