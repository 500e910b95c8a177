"""Counterfeiters: posting, relists released hour by hour, bans and comebacks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.counterfeiter import (
    Accounts,
    Counterfeiters,
    _DueList,
    keyed_uniforms,
    poisson_from_uniforms,
)
from sim.scenario import Counterfeiters as CounterfeitersConfig
from sim.scenario import Market


def crowd(**config: object) -> Counterfeiters:
    cfg = CounterfeitersConfig(**config)  # type: ignore[arg-type]
    return Counterfeiters(cfg, Market(), 1.0, np.random.default_rng(0))


def test_due_list_releases_items_in_their_hour() -> None:
    due = _DueList()
    due.push(np.array([5.5, 1.2, 1.9, 30.0]), np.array([0, 1, 2, 3]), np.array([9, 9, 9, 9]))
    due.push(np.array([1.0]), np.array([4]), np.array([8]))
    assert len(due) == 5
    t, acc, _ = due.pop_before(1.0)
    assert len(t) == 0
    t, acc, brand = due.pop_before(2.0)
    assert acc.tolist() == [1, 2, 4] and t.tolist() == [1.2, 1.9, 1.0]
    assert brand.tolist() == [9, 9, 8]
    t, acc, _ = due.pop_before(10.0)
    assert acc.tolist() == [0]
    assert len(due) == 1


def test_blocked_and_banned_accounts_do_not_post() -> None:
    c = crowd(count=3, listings_per_day=240.0, arrivals_per_day=0.0)
    c.accounts.blocked_until_h[1] = 5.0
    c.accounts.active[2] = False
    posted = c.post(0.0, np.cumsum(np.ones(4)))
    assert set(posted.account.tolist()) == {0}
    assert ((posted.created_h >= 0.0) & (posted.created_h < 1.0)).all()
    later = c.post(5.0, np.cumsum(np.ones(4)))
    assert set(later.account.tolist()) == {0, 1}


def test_relists_come_back_after_their_delay() -> None:
    c = crowd(count=1, listings_per_day=0.0, relist_prob=1.0, relist_delay_h=3.0)
    assert c.schedule_relists(np.array([0, 0]), np.array([2, 3]), np.array([1.5, 2.0]), 0.0) == 2
    assert len(c.post(3.0, np.ones(4).cumsum())) == 0
    back = c.post(4.0, np.ones(4).cumsum())
    assert back.relist.all() and back.brand.tolist() == [2]
    assert back.created_h.tolist() == [4.5]
    assert c.post(5.0, np.ones(4).cumsum()).created_h.tolist() == [5.0]


def test_banned_owners_return_when_they_pass_verification() -> None:
    c = crowd(count=2, exit_prob_after_ban=0.0, new_account_delay_h=10.0, arrivals_per_day=0.0)
    c.accounts.strikes[0] = 3
    c.banned(np.array([0]), np.array([5.0]), 0.0)
    assert c.accounts.active_count == 1
    c.arrivals(13.0)
    assert c.accounts.active_count == 1
    assert c.arrivals(15.0) == 1
    assert c.accounts.active_count == 2 and c.accounts.strikes[0] == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.lists(st.integers(0, 30), max_size=6),
            st.lists(st.integers(0, 30), max_size=6),
            st.booleans(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_active_rows_follow_every_open_ban_and_comeback(
    ops: list[tuple[int, list[int], list[int], bool]],
) -> None:
    """The kept list of active accounts equals a pass over the active flags, whether
    it is read after every change or only now and then."""
    acc = Accounts(capacity=2)
    for opened, off, on, read in ops:
        acc.open(np.full(opened, 0.1))
        acc.deactivate(np.array([i for i in off if i < acc.n], dtype=np.int64))
        acc.activate(np.array([i for i in on if i < acc.n], dtype=np.int64))
        if read:
            assert acc.active_rows().tolist() == np.flatnonzero(acc.active[: acc.n]).tolist()
    assert acc.active_rows().tolist() == np.flatnonzero(acc.active[: acc.n]).tolist()


def test_posting_counts_invert_the_poisson_cdf() -> None:
    """Each count is the Poisson quantile of its uniform: the smallest k with CDF(k) > u.
    Exact agreement with scipy's quantile over 200k draws: the running-sum CDF differs
    from scipy's by about 1e-16, and a uniform that close to a step boundary has odds
    near 1e-11 here. With and without the precomputed exp(-lam) the counts are equal."""
    from scipy.stats import poisson

    rng = np.random.default_rng(7)
    lam = rng.choice([0.001, 0.05, 0.4, 2.5, 9.0], 200_000)
    u = rng.random(200_000)
    counts = poisson_from_uniforms(lam, u)
    assert counts.tolist() == poisson.ppf(u, lam).astype(np.int64).tolist()
    assert poisson_from_uniforms(lam, u, np.exp(-lam)).tolist() == counts.tolist()


def test_keyed_uniforms_depend_on_key_row_and_hour_only() -> None:
    rows = np.arange(50_000, dtype=np.int64)
    u = keyed_uniforms(11, rows, 5)
    assert ((u >= 0.0) & (u < 1.0)).all()
    # a row's draw is the same whatever other rows are drawn with it
    assert keyed_uniforms(11, rows[::7], 5).tolist() == u[::7].tolist()
    assert not np.array_equal(keyed_uniforms(11, rows, 6), u)
    assert not np.array_equal(keyed_uniforms(12, rows, 5), u)
    # uniform: each decile within 0.01 of 0.1 (binomial sd 0.0013 over 50k draws)
    assert np.abs(np.histogram(u, bins=10, range=(0, 1))[0] / len(u) - 0.1).max() < 0.01
