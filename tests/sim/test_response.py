"""Counterfeiters that respond: exits, entry, returns after bans, learning and the
response metrics, each exact on a small case; then what they do to a run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.adaptation import Learning
from sim.agents.counterfeiter import Counterfeiters
from sim.demand import Demand
from sim.metrics import DailySeries, Window
from sim.model import run
from sim.response import Market as ResponseMarket
from sim.response import Response, top_share
from sim.rng import Streams
from sim.scenario import Counterfeiters as CounterfeitersConfig
from sim.scenario import Market as MarketConfig
from sim.scenario import load_scenario
from sim.scenario_response import Adaptation
from sim.store import ListingStore


def response(pass_rate: float = 0.5, **entry_exit: object) -> Response:
    cfg = CounterfeitersConfig.model_validate(
        {
            "count": 3,
            "listings_per_day": 0.0,
            "arrivals_per_day": 0.0,
            "economics": {"on": True, "account_setup_usd": 30.0},
            "entry_exit": {"on": True, **entry_exit},
        }
    )
    window = Window(0.0, 240.0)
    demand = Demand(MarketConfig(), Streams(0))
    market = ResponseMarket(demand, np.ones(2), np.zeros(2, dtype=np.int64))
    return Response(cfg, pass_rate, (0.8, 0.4), market, window, DailySeries(10))


class NoRemovals:
    def __init__(self) -> None:
        self.withdrawn: list[list[int]] = []

    def withdraw(self, accounts: np.ndarray, t_h: float) -> None:
        self.withdrawn.append(accounts.tolist())


def test_top_share_is_the_top_three_percent_of_posting_operators() -> None:
    counts = np.array([0.0] * 50 + [1.0] * 99 + [101.0])  # 100 posted: the top 3 hold 103
    assert top_share(counts, 0.03) == pytest.approx(103 / 200)
    assert top_share(np.array([0.0, 5.0]), 0.03) == 1.0  # at least one operator
    assert math.isnan(top_share(np.zeros(3), 0.03))


def test_a_banned_operator_returns_only_if_a_new_account_pays() -> None:
    """A new account costs 30 / 0.5 = 60; over 180 days that needs 1/3 USD a day."""
    r = response(0.5)
    assert r.ledger is not None
    r.ledger.cover(3)
    r.ledger.trailing_usd_per_day[:3] = [0.3, 1 / 3, 2.0]
    assert r.may_return(np.array([0, 1, 2])).tolist() == [False, True, True]
    assert not response(0.0).may_return(np.array([0])).any()


def test_operators_below_the_bar_for_the_patience_leave_and_entry_follows_profit() -> None:
    r = response(exit_patience_days=3, entry_reference_usd_per_day=2.0)
    crowd = Counterfeiters(r.config, MarketConfig(), 1.0, np.random.default_rng(0), r)
    assert r.ledger is not None
    store, removals = ListingStore(), NoRemovals()
    gone = []
    for day in range(4):
        r.ledger.today_usd[:3] = [-1.0, 5.0, -1.0 if day < 2 else 50.0]
        r.close_day(day, store, crowd, removals)  # type: ignore[arg-type]
        gone.append(np.flatnonzero(~crowd.accounts.active[:3]).tolist())
    # operator 0 is below 0 from day 0 on and leaves after the third; 2 recovers in time
    assert gone == [[], [], [0], [0]]
    assert removals.withdrawn == [[0]]
    assert r.exits == 1
    mean = float(r.ledger.trailing_usd_per_day[1:3].mean())
    assert crowd.arrival_factor == pytest.approx(min(max(mean / 2.0, 0.2), 3.0))


def test_the_entry_factor_is_kept_within_its_bounds() -> None:
    r = response(entry_elasticity=2.0, entry_min_multiplier=0.5, entry_max_multiplier=2.0)
    assert r._entry_factor(1.0, 1.0) == 1.0
    assert r._entry_factor(1.2, 1.0) == pytest.approx(1.4)
    assert r._entry_factor(-5.0, 1.0) == 0.5 and r._entry_factor(9.0, 1.0) == 2.0
    assert r._entry_factor(1.0, -1.0) == 2.0 and r._entry_factor(-1.0, -1.0) == 0.5


def test_learning_rises_on_removal_days_and_decays_otherwise() -> None:
    learn = Learning(Adaptation(on=True, learn_rate=0.5, max_obfuscation=0.9, decay_days=2.0), 0.3)
    learn.removed(np.array([1, 1]))
    assert learn.shares(np.array([0, 1])).tolist() == [0.3, 0.3]
    learn.close_day()
    assert learn.shares(np.array([0, 1])).tolist() == pytest.approx([0.3, 0.6])
    learn.close_day()
    assert learn.shares(np.array([1]))[0] == pytest.approx(0.3 + 0.3 * math.exp(-0.5))


def gft(*sets: str) -> dict[str, np.ndarray]:
    return run(load_scenario("gft_2015", ["scenario.horizon_days=90", *sets]), 11).daily


def test_with_learning_the_recall_against_survivors_falls_and_without_it_stays_flat() -> None:
    """Daily mean upload recall against active operators: flat at the scenario's without
    learning; with it, the last month's mean is below the first day's (operators that
    survive removals obfuscate more; newcomers start at the base, so it levels off) by
    over ten times the day-to-day noise of that mean (sd about 0.002). learn_rate 0.2, as
    in the deterrence scenario."""
    off = gft()["upload_recall_mean"]
    assert np.ptp(off) == 0.0
    learn = ["counterfeiters.adaptation.on=true", "counterfeiters.adaptation.learn_rate=0.2"]
    on = gft(*learn)["upload_recall_mean"]
    assert on[0] <= off[0] and on[-30:].mean() < on[0] - 0.025
    assert on[-30:].mean() < off[0] - 0.03
