"""Removals: by channel, with the seller's own ending first, and bans that sweep an
account's listings."""

from __future__ import annotations

import numpy as np

from sim.model import Model
from sim.rng import Streams
from sim.scenario import from_dict


def model(**platform: object) -> Model:
    sc = from_dict(
        {
            "scenario": {"name": "removals", "horizon_days": 10.0, "warmup_days": 0.0},
            "market": {"brands": 2},
            "legit_sellers": {"count": 2, "listings_per_seller": 1},
            "counterfeiters": {"count": 3, "arrivals_per_day": 0.0, "relist_prob": 0.0},
            "platform": platform,
        }
    )
    return Model(sc, Streams(2))


def post(m: Model, account: list[int], expires_h: list[float]) -> np.ndarray:
    k = len(account)
    ids = m.store.append(
        {
            "brand": np.zeros(k, dtype=np.int32),
            "account": np.asarray(account, dtype=np.int32),
            "obfuscated": np.zeros(k, dtype=bool),
            "created_h": np.zeros(k),
            "expires_h": np.asarray(expires_h),
            "first_sale_h": np.full(k, np.inf),
            "price_usd": np.full(k, 10.0),
            "sweep_slot": np.zeros(k, dtype=np.int16),
        }
    )
    return m.store.rows_of(ids)


def test_a_listing_its_seller_had_ended_goes_as_seller_at_its_end() -> None:
    m = model()
    rows = post(m, [0, 1, 2], [5.0, 50.0, 50.0])
    here = m.removals.remove_rows(rows, 8.0, "proactive")
    assert here.tolist() == [False, True, True]
    assert not m.store.alive_mask()[rows].any()
    c = m.agg.counts
    assert (c["fake_removed_seller"], c["fake_removed_proactive"]) == (1.0, 2.0)
    assert m.agg.exposure_days == (5.0 + 8.0 + 8.0) / 24.0


def test_a_ban_takes_down_every_live_listing_of_the_account() -> None:
    """A one-strike ladder: the first removal bans account 1, whose other two live
    listings go as "ban" at the strike's time; account 0's listing stays."""
    m = model(strikes={"ladder": ["ban"]})
    rows = post(m, [1, 0, 1, 1], [50.0] * 4)
    m.removals.remove_rows(rows[:1], 6.0, "proactive")
    assert m.store.alive_mask()[rows].tolist() == [False, True, False, False]
    assert m.agg.counts["fake_removed_ban"] == 2.0
    assert m.agg.counts["accounts_banned"] == 1.0
    assert not m.counterfeiters.accounts.active[1]


def test_a_block_hides_the_accounts_live_listings_for_its_length() -> None:
    """Ladder [block_7d]: a removal at 6.0 blocks account 1; its other live listing
    leaves the shop window until 6.0 + 168 (its exposure so far folded, its first sale
    moved on by the block), so no sweep sees it; account 0's stays on show."""
    m = model(strikes={"ladder": ["block_7d"], "min_gap_days": 0.0})
    rows = post(m, [1, 0, 1], [500.0] * 3)
    m.store.cols["first_sale_h"][rows] = [np.inf, np.inf, 20.0]
    m.removals.remove_rows(rows[:1], 6.0, "proactive")
    store = m.store
    assert store.alive_mask()[rows].tolist() == [False, True, True]
    assert store.col("live_from_h")[rows[1:]].tolist() == [0.0, 174.0]
    assert store.col("first_sale_h")[rows[2]] == 20.0 + 168.0
    assert store.visible_mask(100.0)[rows].tolist() == [False, True, False]
    assert store.visible_mask(174.0)[rows].tolist() == [False, True, True]
    assert m.daily.cols["fakes_hidden"][0] == 1
    assert m.agg.exposure_days == (6.0 + 6.0) / 24.0  # two listings up for 6 hours
    assert m.counterfeiters.accounts.blocked_until_h[1] == 174.0
    m.removals.remove_rows(rows[2:], 100.0, "proactive")  # removed while hidden
    assert m.agg.exposure_days == (6.0 + 6.0) / 24.0
