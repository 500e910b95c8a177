"""Counterfeiters: posting schedules, relists, bans and comebacks."""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.agents.counterfeiter import Counterfeiters
from sim.scenario import Counterfeiters as CounterfeitersConfig
from sim.scenario import Market


def crowd(**config: object) -> Counterfeiters:
    cfg = CounterfeitersConfig(**config)  # type: ignore[arg-type]
    return Counterfeiters(cfg, Market(), 1.0, np.random.default_rng(0))


def test_blocked_and_banned_accounts_do_not_post() -> None:
    c = crowd(count=3, listings_per_day=240.0, arrivals_per_day=0.0)
    c.accounts.blocked_until_h[1] = 5.0
    c.accounts.active[2] = False
    posted = c.post(0.0, np.cumsum(np.ones(4)))
    assert set(posted.account.tolist()) == {0}
    assert ((posted.created_h >= 0.0) & (posted.created_h < 1.0)).all()
    later = c.post(5.0, np.cumsum(np.ones(4)))
    assert set(later.account.tolist()) == {0, 1}


def test_a_blocked_account_posts_nothing_relists_included() -> None:
    """Relists due during a block wait for the first hour after it: a blocked account
    posts nothing at all, and its relists are not lost."""
    c = crowd(count=2, listings_per_day=0.0, relist_prob=1.0, relist_delay_h=2.0)
    c.accounts.blocked_until_h[0] = 30.5
    due = np.array([1.0, 1.0, 1.0])
    assert c.schedule_relists(np.array([0, 0, 1]), np.array([1, 2, 3]), due, 0.0) == 3
    posted = [c.post(float(h), np.ones(4).cumsum()) for h in range(40)]
    by_hour = {h: p.account.tolist() for h, p in enumerate(posted) if len(p)}
    assert by_hour == {3: [1], 31: [0, 0]}
    assert posted[31].created_h.tolist() == [31.0, 31.0]
    assert posted[31].brand.tolist() == [1, 2] and posted[31].relist.all()


def test_drawn_posting_rates_under_the_floor_count_as_zero() -> None:
    """A rate distribution may draw a denormal rate; such an account never posts (its gap
    would overflow), and the rest post as usual, with no warning raised."""
    rates = {"dist": "empirical", "values": [1e-310, 5e-7, 240.0]}
    c = crowd(count=300, listings_per_day=rates, arrivals_per_day=0.0)
    slow = c.accounts.rate_per_h[:300] < 240.0 / 24.0
    assert slow.any() and (c.accounts.rate_per_h[:300][slow] == 0.0).all()
    assert np.isinf(c.accounts.next_post_h[:300][slow]).all()
    posted = c.post(0.0, np.cumsum(np.ones(4)))
    assert len(posted) > 0 and not slow[posted.account].any()


def test_relists_come_back_after_their_delay() -> None:
    c = crowd(count=1, listings_per_day=0.0, relist_prob=1.0, relist_delay_h=3.0)
    assert c.schedule_relists(np.array([0, 0]), np.array([2, 3]), np.array([1.5, 2.0]), 0.0) == 2
    assert len(c.post(3.0, np.ones(4).cumsum())) == 0
    back = c.post(4.0, np.ones(4).cumsum())
    assert back.relist.all() and back.brand.tolist() == [2]
    assert back.created_h.tolist() == [4.5]
    assert c.post(5.0, np.ones(4).cumsum()).created_h.tolist() == [5.0]


def test_relists_are_a_share_of_removals_after_exponential_delays() -> None:
    """40 000 removals at relist_prob 0.3: the relisted count within 4.5 binomial sds
    (sd 92), each relist of its own removal's account and brand, and the delays (each
    relist's due time minus its removal's) exponential with mean 12 h (KS at 0.001)."""
    c = crowd(
        count=1,
        listings_per_day=0.0,
        relist_prob=0.3,
        relist_delay_h={"dist": "exponential", "mean": 12.0},
    )
    n = 40_000
    removed = np.random.default_rng(1).uniform(0.0, 5.0, n)
    idx = np.arange(n)
    k = c.schedule_relists(idx, idx % 7, removed, 0.0)
    assert abs(k - 0.3 * n) < 4.5 * np.sqrt(n * 0.3 * 0.7)
    due, account, brand = c.relists.pop_before(1e6)
    assert len(due) == k and np.array_equal(brand, account % 7)
    delay = due - removed[account]
    assert stats.kstest(delay, "expon", args=(0, 12.0)).pvalue > 0.001


def test_banned_owners_return_when_they_pass_verification() -> None:
    c = crowd(count=2, exit_prob_after_ban=0.0, new_account_delay_h=10.0, arrivals_per_day=0.0)
    c.accounts.strikes[0] = 3
    c.banned(np.array([0]), np.array([5.0]), 0.0)
    assert c.accounts.active_count == 1
    c.arrivals(13.0)
    assert c.accounts.active_count == 1
    assert c.arrivals(15.0) == 1
    assert c.accounts.active_count == 2 and c.accounts.strikes[0] == 0


def posts_per_hour(c: Counterfeiters, hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of fresh posts per (account, hour) and their times within the hour."""
    counts = np.zeros((c.accounts.n, hours), dtype=np.int64)
    within: list[np.ndarray] = []
    for h in range(hours):
        new = c.post(float(h), np.ones(4).cumsum())
        counts[:, h] = np.bincount(new.account, minlength=c.accounts.n)
        within.append(new.created_h - h)
    return counts, np.concatenate(within)


def test_posting_schedules_give_poisson_counts_at_uniform_times() -> None:
    """Each account posts at the times of its own Poisson schedule, so its count in an
    hour is Poisson(rate) and the times are uniform within the hour, as the
    count-then-times draw they replace. 4,000 accounts at 0.6 posts an hour over 50
    hours (200k account-hours): a chi-square test of the counts 0..4+ against the
    Poisson pmf and a KS test of the times both pass at the 0.1% level (with this
    fixed seed the outcome is fixed; at the 0.1% level a correct schedule fails one
    seed in a thousand), and the mean is within 0.005 of 0.6 (sd 0.0017)."""
    from scipy.stats import chisquare, kstest, poisson

    c = crowd(count=4000, listings_per_day=0.6 * 24, arrivals_per_day=0.0)
    counts, within = posts_per_hour(c, 50)
    observed = np.bincount(np.minimum(counts.ravel(), 4), minlength=5)
    pmf = poisson.pmf(np.arange(4), 0.6)
    expected = np.append(pmf, 1.0 - pmf.sum()) * counts.size
    assert chisquare(observed, expected).pvalue > 0.001
    assert kstest(within, "uniform").pvalue > 0.001
    assert abs(counts.mean() - 0.6) < 0.005


def test_an_accounts_schedule_is_the_same_whatever_happens_to_others() -> None:
    """Common random numbers: account 0's posts do not move when other accounts are
    banned or blocked (each account's gaps come from its own keyed stream)."""
    runs = []
    for disturb in (False, True):
        c = crowd(count=50, listings_per_day=12.0, arrivals_per_day=0.0)
        times = []
        for h in range(48):
            if disturb and h == 10:
                c.banned(np.arange(1, 25), np.full(24, 10.0), 10.0)
                c.accounts.blocked_until_h[25:40] = 30.0
            new = c.post(float(h), np.ones(4).cumsum())
            times += new.created_h[new.account == 0].tolist()
        runs.append(times)
    assert len(runs[0]) > 10
    assert runs[0] == runs[1]


def test_blocked_accounts_resume_when_the_block_ends() -> None:
    c = crowd(count=200, listings_per_day=24.0, arrivals_per_day=0.0)
    c.accounts.blocked_until_h[:100] = 10.5
    counts, _ = posts_per_hour(c, 20)
    assert counts[:100, :11].sum() == 0  # hours that start blocked post nothing
    assert counts[:100, 11:].mean() > 0.8  # about one post an hour again
    assert counts[100:, :11].mean() > 0.8


def test_a_banned_owner_who_comes_back_posts_again() -> None:
    """Closed: the next post that falls due pauses the schedule; back after
    verification: the schedule starts again from that hour."""
    c = crowd(
        count=1,
        listings_per_day=48.0,
        arrivals_per_day=0.0,
        exit_prob_after_ban=0.0,
        new_account_delay_h=20.0,
    )
    c.banned(np.array([0]), np.array([0.0]), 0.0)
    for h in range(20):
        c.arrivals(float(h))
        assert len(c.post(float(h), np.ones(4).cumsum())) == 0
    assert np.isnan(c.accounts.next_post_h[0])  # paused while closed
    back = 0
    for h in range(20, 30):
        c.arrivals(float(h))
        back += len(c.post(float(h), np.ones(4).cumsum()))
    assert c.accounts.active[0] and back > 5
