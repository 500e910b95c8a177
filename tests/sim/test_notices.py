"""The notice lifecycle, driven step by step on a real (not yet simulated) model: filing,
decisions and their consequences, each step handed the notice it acts on."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.agents.account_manager import Decision, ReviewItem
from sim.agents.rights_holder import Draft
from sim.model import Model
from sim.rng import Streams
from sim.scenario import from_dict


def model(programme: str, events: bool = False, **legit: Any) -> Model:
    """Four brands, all in ``programme``; brands file only valid notices."""
    sc = from_dict(
        {
            "scenario": {"name": "notices", "horizon_days": 10.0, "warmup_days": 0.0},
            "market": {"brands": 4},
            "legit_sellers": {"count": 10, "listings_per_seller": 2, **legit},
            "counterfeiters": {"count": 1, "arrivals_per_day": 0.0},
            "rights_holders": {"programme_mix": {programme: 1.0}, "notice_precision": 1.0},
        }
    )
    return Model(sc, Streams(1), events=events)


def fakes(m: Model, brand: int, k: int) -> np.ndarray:
    """``k`` live fakes of ``brand`` posted at hour 0, up for 100 hours; their rows."""
    ids = m.store.append(
        {
            "brand": np.full(k, brand, dtype=np.int32),
            "account": np.zeros(k, dtype=np.int32),
            "obfuscated": np.zeros(k, dtype=bool),
            "created_h": np.zeros(k),
            "expires_h": np.full(k, 100.0),
            "first_sale_h": np.full(k, np.inf),
            "price_usd": np.full(k, 10.0),
            "sweep_slot": np.zeros(k, dtype=np.int16),
        }
    )
    return m.store.rows_of(ids)


def decide(m: Model, nid: int, approved: bool, t_h: float) -> None:
    notice = m.lifecycle.open[nid]
    item = ReviewItem(nid, notice.brand, notice.valid, 0.0)
    m.lifecycle.decided(item, Decision(approved, t_h, t_h, False))


def test_an_approved_review_first_notice_takes_its_fakes_down_at_approval() -> None:
    """Filed at 5.0 and queued at the brand's desk; approved at 9.5: the removal waits
    for the next tick, then happens at 9.5."""
    m = model("standard")
    rows = fakes(m, 2, 3)
    m.lifecycle.file_found(rows, 5.0)
    notice = m.lifecycle.open[0]
    assert (notice.brand, notice.valid, notice.remove_first) == (2, True, False)
    assert m.store.col("noticed")[rows].all() and m.store.alive_mask()[rows].all()
    assert m.desks.for_brand(2).queue_length == 1
    decide(m, 0, True, 9.5)
    assert m.lifecycle.open == {}
    assert m.lifecycle.pending == [(9.5, 0, notice)]
    assert m.store.alive_mask()[rows].all()
    m.lifecycle.apply_pending()
    assert not m.store.alive_mask()[rows].any()
    log = m.notices.table()
    assert log["channel"].tolist() == ["notice_and_takedown"]
    assert (log["decided_at_h"][0], log["removed_at_h"][0]) == (9.5, 9.5)
    assert log["listings_removed"].tolist() == [3]
    assert m.agg.counts["fake_removed_notice"] == 3


def test_a_rejected_review_first_notice_releases_its_fakes() -> None:
    m = model("standard")
    rows = fakes(m, 1, 2)
    m.lifecycle.file_found(rows, 5.0)
    decide(m, 0, False, 8.0)
    m.lifecycle.apply_pending()
    assert m.lifecycle.pending == []
    assert m.store.alive_mask()[rows].all()
    assert not m.store.col("noticed")[rows].any()
    assert np.isnan(m.notices.table()["removed_at_h"][0])


def test_a_remove_first_notice_takes_its_fakes_down_on_filing() -> None:
    """Joint force: down at filing, held until the review; approved, they stay down
    and are no longer held."""
    m = model("joint_force")
    rows = fakes(m, 3, 2)
    m.lifecycle.file_found(rows, 4.0)
    assert not m.store.alive_mask()[rows].any()
    assert m.store.col("held")[rows].all() and m.store.held == 2
    assert m.desks.for_brand(3) is not m.desks.pool
    assert m.desks.for_brand(3).queue_length == 1
    decide(m, 0, True, 6.0)
    m.lifecycle.apply_pending()
    assert not m.store.alive_mask()[rows].any() and not m.store.col("held")[rows].any()
    assert m.agg.counts["fake_listings_restored"] == 0
    log = m.notices.table()
    assert (log["removed_at_h"][0], log["decided_at_h"][0]) == (4.0, 6.0)


def test_a_wrongly_rejected_remove_first_notice_puts_its_fakes_back_up() -> None:
    """Down at 4.0, rejected at 6.0: at the next tick the fakes live again from 6.0,
    no longer under notice, until their sellers end them; their first sale moves on by
    the 2 hours they were down; the removal still counts, and so does the restoration."""
    m = model("joint_force")
    rows = fakes(m, 3, 2)
    m.store.cols["first_sale_h"][rows] = [10.0, 2.0]  # one sold before the notice
    ids = m.store.col("id")[rows].copy()
    m.lifecycle.file_found(rows, 4.0)
    decide(m, 0, False, 6.0)
    assert not m.store.alive_mask()[rows].any()  # the store changes only at ticks
    m.lifecycle.apply_pending()
    back = m.store.rows_of(ids)
    assert back.tolist() == rows.tolist()
    assert not m.store.col("noticed")[back].any() and m.store.held == 0
    assert m.store.col("live_from_h")[back].tolist() == [6.0, 6.0]
    assert m.store.col("expires_h")[back].tolist() == [100.0, 100.0]
    assert m.store.col("first_sale_h")[back].tolist() == [12.0, 2.0]
    c = m.agg.counts
    assert (c["fake_removed_notice"], c["fake_listings_restored"]) == (2, 2)
    assert m.daily.cols["fakes_restored"][0] == 2
    m.removals.remove_rows(back, 30.0, "proactive")
    assert m.agg.exposure_days == 2 * (4.0 + 24.0) / 24.0  # not while down


def test_held_fakes_survive_compaction_and_ended_ones_stay_down() -> None:
    """Held rows are kept through compaction; a fake its seller would have ended
    while it was down is not put back."""
    m = model("joint_force")
    rows = fakes(m, 3, 2)
    m.store.cols["expires_h"][rows[1]] = 5.0
    others = fakes(m, 2, 3)
    m.lifecycle.file_found(rows, 4.0)
    m.store.kill(others)
    m.store.maybe_compact()
    assert m.store.n == 2 and m.store.held == 2
    decide(m, 0, False, 6.0)
    m.lifecycle.apply_pending()
    assert m.store.alive_mask().tolist() == [True, False]
    assert m.agg.counts["fake_listings_restored"] == 1
    assert (len(m.store), m.store.dead, m.store.held) == (1, 1, 0)  # a plain dead row


def test_a_mistaken_remove_first_notice_is_undone_when_rejected() -> None:
    m = model("joint_force")
    brand = int(m.catalog.brand[0])
    ids = np.flatnonzero(m.catalog.brand == brand)[:2]
    m.lifecycle.file(Draft(brand, ids, False), 3.0)
    assert not m.catalog.live[ids].any() and m.catalog.noticed[ids].all()
    assert m.lifecycle.open[0].genuine_down.tolist() == ids.tolist()
    decide(m, 0, False, 7.0)
    assert m.catalog.live[ids].all() and not m.catalog.noticed[ids].any()
    assert m.agg.counts["restorations"] == 2
    assert m.agg.wrongful_days == 2 * 4.0 / 24.0


def test_a_mistaken_review_first_notice_approved_is_contested_at_the_brands_desk() -> None:
    """Approved wrongly: the genuine listings come down at the decision, are released,
    and every one is counter-notified (probability 1) against the brand's record."""
    m = model("standard", counter_notice_prob=1.0)
    brand = int(m.catalog.brand[0])
    ids = np.flatnonzero(m.catalog.brand == brand)[:2]
    m.lifecycle.file(Draft(brand, ids, False), 3.0)
    assert m.catalog.live[ids].all()
    decide(m, 0, True, 7.0)
    assert not m.catalog.live[ids].any() and not m.catalog.noticed[ids].any()
    assert m.catalog.removed_h[ids].tolist() == [7.0, 7.0]
    assert m.agg.counts["counter_notices"] == 2
    assert m.desks.pool.queue_length == 1 + 2  # the notice (not yet taken) and 2 counters
    assert m.notices.table()["removed_at_h"].tolist() == [7.0]


def test_the_event_log_tells_a_fakes_story() -> None:
    """Noticed and taken down at 4.0 by a remove-first notice, wrongly rejected at 6.0
    and put back up, sold at 7.5 (its first sale and the unit), then removed by a sweep
    at 30.0: the log holds each step, with the notice's id where a notice acted."""
    m = model("joint_force", events=True)
    rows = fakes(m, 3, 1)
    m.store.cols["first_sale_h"][rows] = 5.5  # 7.5 once moved on by the 2 hours down
    lid = int(m.store.col("id")[rows[0]])
    m.lifecycle.file_found(rows, 4.0)
    decide(m, 0, False, 6.0)
    m.lifecycle.apply_pending()
    m.removals.remove_rows(m.store.rows_of(np.array([lid])), 30.0, "proactive")
    assert m.events is not None
    ev = m.events.table()
    story = [
        (t, k, c, n)
        for t, k, c, n, i in zip(
            ev["t_h"].tolist(),
            ev["kind"].tolist(),
            ev["channel"].tolist(),
            ev["notice_id"].tolist(),
            ev["listing_id"].tolist(),
            strict=True,
        )
        if i in (lid, -1)
    ]
    assert story == [
        (4.0, "noticed", "joint_force", 0),
        (4.0, "removed", "notice", -1),
        (4.0, "struck", "warn", -1),
        (6.0, "decided", "rejected", 0),
        (6.0, "restored", "notice", 0),
        (7.5, "first_sale", "sale", -1),
        (7.5, "sold", "deceived", -1),  # its only unit: a listing of popularity 0 here
        (30.0, "removed", "proactive", -1),
    ]
