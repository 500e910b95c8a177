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
