"""The counterfeiters' books: exact bookings, and agreement with the run's sales value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.demand import Demand
from sim.economics import Ledger
from sim.model import run
from sim.rng import Streams
from sim.scenario import Market, Scenario, ScenarioError, from_dict, load_scenario
from sim.scenario_response import Economics
from sim.store import ListingStore

# a listing of popularity 1 sells one an hour; a $40 one at a 75% discount takes $10 a sale
MARKET = Market(views_per_listing_day=24.0, fake_conversion=1.0, fake_price_discount=0.75)
DEMAND = Demand(MARKET, Streams(0))


def ledger(**config: float) -> Ledger:
    return Ledger(Economics(on=True, **config), DEMAND, days=3, horizon_h=60.0)


def test_costs_are_booked_when_incurred() -> None:
    led = ledger(account_setup_usd=30.0, stock_usd_per_listing=0.25, listing_fee_usd=0.05)
    led.opened(np.array([0, 2]), 5.0)
    led.posted(np.array([2, 2, 0]), 30.0)
    assert led.profit_usd[:3].tolist() == pytest.approx([-30.3, 0.0, -30.6])
    assert led.account_profit_usd[:3].tolist() == pytest.approx([-30.3, 0.0, -30.6])
    # set-up is sunk: only the listings count towards the day's operating profit
    assert led.today_usd[:3].tolist() == pytest.approx([-0.3, 0.0, -0.6])
    assert led.cost_by_day.tolist() == pytest.approx([60.0, 0.9, 0.0])


def test_takings_are_sales_times_the_fake_price_since_last_booked() -> None:
    """Popularity 2 sells 2 an hour, 1 one; each sale takes $10."""
    led = ledger()
    led.earned(listing(7, account=1, popularity=2.0, live_from_h=2.0), 5.0)
    assert led.profit_usd[1] == pytest.approx(3 * 2 * 10.0)
    assert led.income_by_day.tolist() == pytest.approx([60.0, 0.0, 0.0])
    # booked up to the day's end for ids under 8: only what came after counts for them,
    # all of it for a listing posted since (even one dated before the day's end)
    led.accrued_h, led.accrued_id = 24.0, 8
    led.earned(listing(7, account=1, popularity=1.0, live_from_h=2.0), 26.0)
    assert led.profit_usd[1] == pytest.approx(60.0 + 2 * 1 * 10.0)
    led.earned(listing(8, account=1, popularity=1.0, live_from_h=23.0), 26.0)
    assert led.profit_usd[1] == pytest.approx(60.0 + 20.0 + 3 * 1 * 10.0)
    assert led.income_by_day.tolist() == pytest.approx([60.0, 50.0, 0.0])
    led.earned(listing(9, account=1, popularity=1.0, live_from_h=58.0), 70.0)  # horizon 60
    assert led.income_by_day.tolist() == pytest.approx([60.0, 50.0, 20.0])


def listing(
    ident: int, account: int, popularity: float, live_from_h: float
) -> dict[str, np.ndarray]:
    """One $40 fake's columns."""
    return {
        "id": np.array([ident]),
        "account": np.array([account]),
        "brand": np.array([0]),
        "popularity": np.array([popularity]),
        "live_from_h": np.array([live_from_h]),
        "price_usd": np.array([40.0]),
    }


def test_the_day_books_live_fakes_and_folds_the_trailing_mean() -> None:
    store = ListingStore()
    store.append(
        {
            "brand": np.array([0]),
            "account": np.array([3]),
            "obfuscated": np.array([False]),
            "created_h": np.array([12.0]),
            "expires_h": np.array([100.0]),
            "first_sale_h": np.array([np.inf]),
            "price_usd": np.array([40.0]),
            "popularity": np.array([1.0]),
            "sweep_slot": np.array([0]),
        }
    )
    led = ledger(trailing_days=2.0)
    led.close_day(0, store)  # 12 hours on show, 1 sale an hour, $10 each
    alpha = 1.0 - math.exp(-0.5)
    assert led.profit_usd[3] == pytest.approx(120.0)
    assert led.trailing_usd_per_day[3] == pytest.approx(alpha * 120.0)
    assert led.today_usd[3] == 0.0 and (led.accrued_h, led.accrued_id) == (24.0, 1)
    led.close_day(1, store)
    assert led.profit_usd[3] == pytest.approx(120.0 + 240.0)
    expected = (1 - alpha) * alpha * 120.0 + alpha * 240.0
    assert led.trailing_usd_per_day[3] == pytest.approx(expected)


def smoke(*sets: str) -> Scenario:
    return load_scenario("smoke", ["scenario.warmup_days=0", *sets])


FREE = [
    f"counterfeiters.economics.{k}=0"
    for k in ("account_setup_usd", "stock_usd_per_listing", "listing_fee_usd")
]


def test_with_no_costs_the_profit_is_the_expected_takings_of_the_exposure() -> None:
    """Income is each fake's expected takings on show: with one price, popularity 1 for
    every listing, no warm-up to cut and no costs, the total is the fakes' listing-days
    times views x conversion x the price paid, to rounding."""
    odd = "scenario.horizon_days=20.5"  # a horizon inside a day: cut there too
    flat = ["market.listing_popularity_sigma=0", "market.genuine_price_usd=80.0"]
    sc = smoke("counterfeiters.economics.on=true", odd, *flat, *FREE)
    m = run(sc, 7).metrics
    mk = sc.market
    per_day = mk.views_per_listing_day * mk.fake_conversion * 80.0 * (1 - mk.fake_price_discount)
    assert m["fake_exposure_listing_days"] > 0
    expected = m["fake_exposure_listing_days"] * per_day
    assert m["counterfeiter_profit_usd"] == pytest.approx(expected, rel=1e-9)


def test_costs_lower_the_profit_by_exactly_what_was_spent() -> None:
    """Same seed with and without costs (keeping books draws nothing): the difference is
    a whole number of set-ups plus stock and fee for every fake posted."""
    free = run(smoke("counterfeiters.economics.on=true", *FREE), 7).metrics
    paid = run(smoke("counterfeiters.economics.on=true"), 7)
    cfg = paid.scenario.counterfeiters
    m = paid.metrics
    spent = free["counterfeiter_profit_usd"] - m["counterfeiter_profit_usd"]
    per_post = cfg.economics.stock_usd_per_listing + cfg.economics.listing_fee_usd
    setups = (spent - m["fake_listings_created"] * per_post) / cfg.economics.account_setup_usd
    # returns after bans pay again, so at least the newcomers' accounts were paid for
    assert setups == pytest.approx(round(setups), abs=1e-6)
    assert round(setups) >= m["counterfeiter_entries"]


def test_keeping_books_changes_no_draw() -> None:
    off = run(smoke(), 3).metrics
    on = run(smoke("counterfeiters.economics.on=true"), 3).metrics
    assert math.isnan(off["counterfeiter_profit_usd"])
    assert not math.isnan(on["counterfeiter_profit_usd"])
    same = [k for k in off if k != "counterfeiter_profit_usd"]
    assert [on[k] for k in same] == pytest.approx([off[k] for k in same], nan_ok=True)


def test_entry_multipliers_are_ordered() -> None:
    with pytest.raises(ScenarioError, match="entry_min_multiplier"):
        from_dict({"counterfeiters": {"entry_exit": {"entry_min_multiplier": 4.0}}})
