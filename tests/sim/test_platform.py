"""The platform's strike ladder and screening."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.counterfeiter import Accounts
from sim.agents.platform import BLOCK_H, Platform
from sim.scenario import Platform as PlatformConfig
from sim.scenario import Strikes
from tests.hypo import examples


def platform(ladder: list[str], gap_days: float) -> Platform:
    config = PlatformConfig(strikes=Strikes(ladder=ladder, min_gap_days=gap_days))  # type: ignore[arg-type]
    return Platform(config, np.random.default_rng(0))


def one_account() -> Accounts:
    acc = Accounts()
    acc.open(np.array([1.0]))
    return acc


def strike_at(p: Platform, acc: Accounts, *t_h: float) -> list[tuple[float, str]]:
    """Strike account 0 at each time in turn; log what happened (an exact event log)."""
    log = []
    for t in t_h:
        out = p.strike(acc, np.array([0]), np.array([t]))
        if len(out.banned):
            log.append((t, "ban"))
            acc.active[0] = False
        elif len(out.blocked):
            log.append((t, "block"))
        else:
            log.append((t, f"strikes={acc.strikes[0]}"))
    return log


def test_three_strikes_with_gaps() -> None:
    p, acc = platform(["warn", "block_7d", "ban"], gap_days=5.0), one_account()
    log = strike_at(p, acc, 0.0, 10.0, 130.0, 200.0, 250.0, 300.0)
    assert log == [
        (0.0, "strikes=1"),  # warn
        (10.0, "strikes=1"),  # inside the 5-day gap: no strike
        (130.0, "block"),
        (200.0, "strikes=2"),  # gap again
        (250.0, "ban"),
        (300.0, "strikes=3"),  # banned accounts collect nothing more
    ]
    assert acc.blocked_until_h[0] == 130.0 + BLOCK_H


def test_zero_gap_counts_every_removal_in_a_batch() -> None:
    p, acc = platform(["warn", "warn", "ban"], gap_days=0.0), one_account()
    out = p.strike(acc, np.array([0, 0, 0]), np.array([1.0, 2.0, 3.0]))
    assert out.banned.tolist() == [0]
    assert out.banned_h.tolist() == [1.0]


def test_last_rung_repeats_past_the_end() -> None:
    p, acc = platform(["warn", "block_7d"], gap_days=0.0), one_account()
    assert strike_at(p, acc, 0.0, 1.0, 2.0) == [(0.0, "strikes=1"), (1.0, "block"), (2.0, "block")]


def test_only_warnings_never_ban() -> None:
    p, acc = platform(["warn"], gap_days=0.0), one_account()
    assert all(e[1] != "ban" for e in strike_at(p, acc, *range(10)))


@pytest.mark.parametrize("obfuscated", [False, True])
def test_upload_screen_recall(obfuscated: bool) -> None:
    """100k listings: caught share within 0.01 of the recall (binomial sd ~0.0016)."""
    config = PlatformConfig(upload_recall=0.8, upload_recall_obfuscated=0.4, lead_share=0.5)
    p = Platform(config, np.random.default_rng(3))
    n = 100_000
    s = p.screen_uploads(np.full(n, obfuscated), np.ones(n, dtype=bool))
    recall = 0.4 if obfuscated else 0.8
    assert abs(s.caught.mean() - recall) < 0.01
    assert not (s.caught & s.lead).any()
    assert abs(s.lead.mean() - (1 - recall) * 0.5) < 0.01
    none = p.screen_uploads(np.full(n, obfuscated), np.zeros(n, dtype=bool))
    assert not none.lead.any()


def test_screening_stays_in_step_with_and_without_leads() -> None:
    """Common random numbers: the same seed catches the same listings, at upload and in
    sweeps, whether a strategy shares leads or not (leads draw from streams of their
    own), and a strategy without leads flags none."""
    rng = np.random.default_rng(8)
    batches = [(rng.random(n) < 0.3, rng.random(n) < 0.5) for n in (50, 0, 400, 1200)]
    runs = {}
    for share in (0.0, 0.4):
        p = Platform(PlatformConfig(lead_share=share), np.random.default_rng(5))
        runs[share] = [(p.screen_uploads(obf, enr), p.sweep(obf, enr)) for obf, enr in batches]
    for (up0, sw0), (up1, sw1) in zip(runs[0.0], runs[0.4], strict=True):
        assert np.array_equal(up0.caught, up1.caught)
        assert np.array_equal(sw0.caught, sw1.caught)
        assert not up0.lead.any() and not sw0.lead.any()
    assert sum(int(up.lead.sum()) for up, _ in runs[0.4]) > 0


def test_false_positives_are_a_bernoulli_process() -> None:
    """A binomial count spread over distinct positions: each listing flagged with the
    configured rate. Over 4 million listings at 0.0005 the count is within 4 sds (45)
    of 2,000, positions are increasing, distinct and in range, and they spread evenly
    (KS test at the 0.1% level; with this seed the outcome is fixed). Rates of 0, 1
    and a denormal one behave."""
    from scipy.stats import kstest

    config = PlatformConfig(upload_false_positive_rate=0.0005)
    p = Platform(config, np.random.default_rng(3))
    at = p.false_positives(4_000_000)
    assert abs(len(at) - 2000) < 4 * np.sqrt(2000)
    assert (np.diff(at) > 0).all() and at[0] >= 0 and at[-1] < 4_000_000
    assert kstest(at / 4_000_000, "uniform").pvalue > 0.001
    assert p.false_positives(0).tolist() == []
    every = Platform(PlatformConfig(upload_false_positive_rate=1.0), np.random.default_rng(0))
    assert every.false_positives(5).tolist() == [0, 1, 2, 3, 4]
    never = Platform(PlatformConfig(upload_false_positive_rate=0.0), np.random.default_rng(0))
    assert never.false_positives(5).tolist() == []
    tiny = Platform(PlatformConfig(upload_false_positive_rate=1e-310), np.random.default_rng(0))
    assert tiny.false_positives(10**9).tolist() == []


@settings(max_examples=examples(150), deadline=None)
@given(
    st.integers(0, 2**32),
    st.integers(1, 60),
    st.sampled_from([["warn", "block_7d", "ban"], ["block_7d", "ban"], ["warn"]]),
    st.floats(0.5, 7.0),
)
def test_dropping_accounts_that_cannot_be_struck_changes_nothing(
    seed: int, batch: int, ladder: list[str], gap_days: float
) -> None:
    """Strikes with the early drop of accounts this batch cannot strike (closed, or a
    removal inside the gap) against the same strikes without it: same bans, blocks and
    per-account strike state, over random account states and batches."""
    states = []
    for skip in (False, True):
        p = platform(ladder, gap_days)
        if skip:
            p._could_strike = lambda accounts, account, t_h: (account, t_h)  # type: ignore[method-assign]
        acc = Accounts()
        acc.open(np.full(12, 1.0))
        r = np.random.default_rng(seed)
        acc.active[:12] = r.random(12) < 0.8
        acc.strikes[:12] = r.integers(0, 3, 12)
        acc.last_strike_h[:12] = np.where(r.random(12) < 0.3, -np.inf, r.uniform(0, 300, 12))
        account = r.integers(0, 12, batch)
        t = r.uniform(200, 400, batch)
        out = p.strike(acc, account, t)
        states.append(
            (
                out.banned.tolist(),
                out.banned_h.tolist(),
                out.blocked.tolist(),
                acc.strikes[:12].tolist(),
                acc.last_strike_h[:12].tolist(),
                acc.blocked_until_h[:12].tolist(),
            )
        )
    assert states[0] == states[1]
