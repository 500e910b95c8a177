"""Counterfeiters: posting, relists released hour by hour, bans and comebacks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.counterfeiter import Accounts, Counterfeiters, _DueList
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
