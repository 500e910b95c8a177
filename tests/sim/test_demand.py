"""Demand: heavy-tailed popularity weights and sales drawn as counts (``sim.demand``).

The statistical checks use fixed seeds and large samples; each states its tolerance in
standard errors of the estimate, so a model change, not chance, is what can fail them.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.demand import Demand
from sim.rng import Streams
from sim.scenario import Market


def demand(**market: float) -> Demand:
    return Demand(Market(**market), Streams(7))


def test_popularity_is_lognormal_with_mean_one_and_a_heavy_tail() -> None:
    """sigma 1: mean 1 (standard error sqrt(e - 1) / sqrt(n) = 0.003, bound 0.015); the
    top tenth of listings holds 1 - Phi(1.2816 - 1) = 38.9% of the weight (bound 1%)."""
    w = demand(listing_popularity_sigma=1.0).popularity(200_000)
    assert w.mean() == pytest.approx(1.0, abs=0.015)
    top = np.sort(w)[-20_000:].sum() / w.sum()
    assert top == pytest.approx(0.389, abs=0.01)
    assert (w > 0).all()
    assert demand(listing_popularity_sigma=0.0).popularity(5).tolist() == [1.0] * 5


def test_popularity_draws_are_the_seeds() -> None:
    a = demand(listing_popularity_sigma=2.0).popularity(10)
    b = demand(listing_popularity_sigma=2.0).popularity(10)
    assert a.tolist() == b.tolist()


def test_units_sold_are_a_poisson_process_count() -> None:
    """24 views a day at conversion 0.5: 0.5 units an hour, so 24 hours on show sell a
    Poisson(12) count, whether the first sale (exponential, drawn apart) falls inside
    or not. Mean over 100,000 listings: standard error 0.011, bound 0.06; the share
    with no sale is exp(-12), under 1e-5."""
    d = demand(
        views_per_listing_day=24.0,
        fake_conversion=0.5,
        fake_price_discount=0.5,
        deceived_buyer_share=0.25,
        listing_popularity_sigma=0.0,
    )
    n = 100_000
    pop = np.ones(n)
    start, stop = np.full(n, 10.0), np.full(n, 34.0)
    first = 10.0 + np.random.default_rng(3).exponential(1.0, n) / d.sales_rate_per_h(pop)
    sold = d.fake_sales(pop, start, stop, first, np.full(n, 40.0))
    assert sold.units.dtype.kind == "i"
    assert sold.units.mean() == pytest.approx(12.0, abs=0.06)
    assert np.count_nonzero(sold.units == 0) <= 2
    assert (sold.units >= (first < stop)).all()  # a first sale inside is one of them
    assert sold.paid_usd.tolist() == [20.0] * n
    # a quarter of the units go to deceived buyers (standard error 0.0009, bound 0.005)
    assert sold.deceived.sum() / sold.units.sum() == pytest.approx(0.25, abs=0.005)
    assert (sold.deceived <= sold.units).all()


def test_nothing_sells_before_the_first_sale_or_off_show() -> None:
    d = demand(views_per_listing_day=24.0, fake_conversion=1.0, listing_popularity_sigma=0.0)
    pop = np.ones(3)
    start, stop = np.array([0.0, 0.0, 5.0]), np.array([10.0, 10.0, 5.0])
    first = np.array([10.0, np.inf, 1.0])  # at the end; never; before an empty stretch
    sold = d.fake_sales(pop, start, stop, first, np.ones(3))
    assert sold.units.tolist() == [0, 0, 0]


def test_sale_times_keep_the_first_sale_and_stay_inside() -> None:
    d = demand(views_per_listing_day=240.0, fake_conversion=1.0, listing_popularity_sigma=0.0)
    start, stop, first = np.array([0.0, 50.0]), np.array([5.0, 60.0]), np.array([2.0, 1.0])
    sold = d.fake_sales(np.ones(2), start, stop, first, np.ones(2))
    pos, t, deceived = d.sale_times(sold, start, stop, first)
    assert np.bincount(pos, minlength=2).tolist() == sold.units.tolist()
    assert t[0] == 2.0  # the first listing's first unit is its first sale
    assert (t[pos == 0] >= 2.0).all() and (t[pos == 0] < 5.0).all()
    assert (t[pos == 1] >= 50.0).all() and (t[pos == 1] < 60.0).all()
    assert np.count_nonzero(deceived) == sold.deceived.sum()


def test_lost_genuine_units_follow_their_own_conversion() -> None:
    """100,000 listings down 48 hours at 24 views a day and conversion 0.1: Poisson(4.8)
    each (standard error of the mean 0.007, bound 0.04)."""
    d = demand(views_per_listing_day=24.0, genuine_conversion=0.1, listing_popularity_sigma=0.0)
    lost = d.lost_units(np.ones(100_000), np.full(100_000, 48.0))
    assert lost.mean() == pytest.approx(4.8, abs=0.04)
    assert d.lost_units(np.ones(2), np.array([0.0, -5.0])).tolist() == [0, 0]
