"""Honest sellers: wrongful removals that stand become strikes, blocks and bans cost
sales, counter-notices are upheld or restore, driven step by step on a real model."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.agents.legit_seller import LegitSellers
from sim.model import Model
from sim.rng import Streams
from sim.scenario import from_dict


def model(ladder: list[str], events: bool = True, **legit: Any) -> Model:
    """Ten sellers of two listings each; a listing sells 2.4 units a day (240 views at
    conversion 0.01), so a day's loss is Poisson(2.4) per listing."""
    sc = from_dict(
        {
            "scenario": {"name": "legit", "horizon_days": 10.0, "warmup_days": 1.0},
            "market": {
                "brands": 4,
                "views_per_listing_day": 240.0,
                "genuine_conversion": 0.01,
                "listing_popularity_sigma": 0.0,
                "genuine_price_usd": 50.0,
            },
            "legit_sellers": {"count": 10, "listings_per_seller": 2, **legit},
            "counterfeiters": {"count": 1, "arrivals_per_day": 0.0},
            "platform": {"strikes": {"ladder": ladder, "min_gap_days": 0.0}},
        }
    )
    return Model(sc, Streams(1), events=events)


def remove_uncontested(legit: LegitSellers, gid: int, t_h: float) -> None:
    ids = legit.take_down(np.array([gid]), t_h, "proactive")
    legit.config = legit.config.model_copy(update={"counter_notice_prob": 0.0})
    assert legit.file_counters(ids, t_h) == []


def test_uncontested_wrongful_removals_climb_the_ladder_to_a_ban() -> None:
    """Seller 3's two listings are removed wrongly and nobody contests: warned at 30 h,
    blocked at 40 h (its other listing, live, loses 7 days of sales, cut at the horizon),
    then a third removal at 50 h (after its restoration) bans it: the live listing comes
    down for good and loses its sales to the horizon."""
    m = model(["warn", "block_7d", "ban"])
    legit, cat = m.legit, m.catalog
    a, b = 6, 7  # seller 3's listings
    remove_uncontested(legit, a, 30.0)
    assert m.agg.counts["legit_seller_strikes"] == 1
    assert legit.accounts.strikes[3] == 1 and legit.accounts.blocked_until_h[3] == 0.0
    legit.restore(np.array([a]), 35.0)
    assert cat.live[a]
    lost_before_block = m.agg.harm.legit_lost_usd
    remove_uncontested(legit, a, 40.0)
    assert legit.accounts.blocked_until_h[3] == 40.0 + 7 * 24
    # the block costs listing b 7 days (168 h) of sales: Poisson(16.8) units of $50
    block_loss = m.agg.harm.legit_lost_usd - lost_before_block
    assert block_loss > 0 and block_loss % 50.0 == 0.0
    legit.restore(np.array([a]), 45.0)
    remove_uncontested(legit, b, 50.0)
    assert m.agg.counts["legit_sellers_banned"] == 1
    assert not legit.accounts.active[3]
    assert not cat.live[a] and legit.banned_down[a] and not legit.banned_down[b]
    # banned: nothing of its comes back, and it takes no more strikes
    assert len(legit.restore(np.array([a, b]), 60.0)) == 0
    strikes = m.agg.counts["legit_seller_strikes"]
    legit.config = legit.config.model_copy(update={"counter_notice_prob": 0.0})
    legit.file_counters(np.array([b]), 70.0)
    assert m.agg.counts["legit_seller_strikes"] == strikes == 3
    assert m.events is not None
    ev = m.events.table()
    honest = ~ev["fake"]
    assert ev["channel"][honest & (ev["kind"] == "struck")].tolist() == ["warn", "block_7d", "ban"]
    assert ev["account_id"][honest & (ev["kind"] == "banned")].tolist() == [3]
    lost = honest & (ev["kind"] == "sale_lost")
    assert ev["price_usd"][lost].sum() == m.agg.harm.legit_lost_usd
    assert set(ev["channel"][lost]) <= {"removed", "block", "ban"}
    assert "ban" in set(ev["channel"][lost])


def test_counter_notices_are_upheld_with_a_strike_or_restore() -> None:
    """Two removals at 30 h, both contested: one counter-notice rejected at 40 h (the
    removal is upheld: a strike), the other accepted at 42 h (restored after 12 h)."""
    m = model(["warn"], counter_notice_prob=1.0)
    legit = m.legit
    ids = legit.take_down(np.array([0, 4]), 30.0, "notice")
    filed = legit.file_counters(ids, 30.0)
    assert [gid for _, gid in filed] == [0, 4]
    assert m.agg.counts["legit_seller_strikes"] == 0  # contested: nothing stands yet
    legit.counter_decided(filed[0][0], False, 40.0)
    legit.counter_decided(filed[1][0], True, 42.0)
    c = m.agg.counts
    assert (c["counter_notices_upheld"], c["counter_notices_restored"]) == (1, 1)
    assert c["legit_seller_strikes"] == 1 and legit.accounts.strikes[0] == 1
    assert not m.catalog.live[0] and m.catalog.live[4]
    assert m.agg.harm.restore_h == [12.0]
    metrics = m.agg.harm.metrics()
    assert metrics["counter_notice_restore_h_p50"] == 12.0
    assert m.events is not None
    ev = m.events.table()
    decided = ev["kind"] == "counter_decided"
    assert ev["channel"][decided].tolist() == ["upheld", "restored"]
    assert ev["listing_id"][decided].tolist() == [0, 4]


def test_losses_before_the_warmup_are_left_out() -> None:
    """A removal at 10 h (inside the 24 h warm-up) restored at 30 h: neither days down
    nor lost sales count; the same removal at 30 h restored at 50 h counts both."""
    m = model(["warn"])
    legit = m.legit
    legit.take_down(np.array([2]), 10.0, "proactive")
    legit.restore(np.array([2]), 30.0)
    assert m.agg.harm.legit_lost_usd == 0.0 and m.agg.wrongful_days == 0.0
    legit.take_down(np.array([2]), 30.0, "proactive")
    legit.restore(np.array([2]), 50.0)
    assert m.agg.wrongful_days == 20.0 / 24.0
    assert m.agg.harm.legit_lost_usd > 0.0
