"""The review desk: exact event logs for the rules, then queueing theory and Ciw.

Statistical tests run with fixed seeds, so they are deterministic; each states the
tolerance and why a correct desk stays inside it for (nearly) any seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.agents.account_manager import (
    Decision,
    ReviewDesk,
    ReviewDesks,
    ReviewItem,
    ShiftCalendar,
)
from sim.rng import Streams
from sim.scenario import AccountManagers
from tests.hypo import examples

MONDAY_9 = 9.0
WEEK_H = 168.0


def managers(**fields: Any) -> AccountManagers:
    """A config with no mistakes and no evidence requests unless asked."""
    base: dict[str, Any] = {
        "approve_invalid_prob": 0.0,
        "reject_valid_prob": 0.0,
        "evidence_request_prob": 0.0,
    }
    return AccountManagers.model_validate(base | fields)


@dataclass
class Log:
    """What the desk decided, in order."""

    rows: list[tuple[int, float, float, bool, bool]] = field(default_factory=list)

    def __call__(self, item: ReviewItem, d: Decision) -> None:
        self.rows.append((item.item_id, d.started_h, d.decided_h, d.approved, d.evidence_requested))


def run_desk(
    config: AccountManagers,
    servers: int,
    submits: list[tuple[float, bool]],
    seed: int = 0,
    until_h: float | None = None,
) -> tuple[ReviewDesk, Log]:
    """Submit (time, valid) items in order and run to ``until_h`` (or to the end)."""
    env = simpy.Environment()
    log = Log()
    desk = ReviewDesk(env, config, servers, np.random.default_rng(seed), log)

    def source() -> Generator[simpy.Event, Any, None]:
        for i, (t_h, valid) in enumerate(submits):
            yield env.timeout(t_h - env.now)
            desk.submit(ReviewItem(i, brand_id=i % 3, valid=valid, submitted_h=env.now))

    env.process(source())
    env.run(until=until_h)
    return desk, log


# --------------------------------------------------------------------------- exact logs


def test_one_manager_serves_in_arrival_order_always_on() -> None:
    cfg = managers(always_on=True, review_time_h=1.0)
    desk, log = run_desk(cfg, 1, [(0.0, True), (0.0, True), (0.5, True)])
    assert [(r[0], r[1], r[2]) for r in log.rows] == [(0, 0.0, 1.0), (1, 1.0, 2.0), (2, 2.0, 3.0)]
    assert desk.waits_h == [0.0, 1.0, 1.5]
    assert desk.busy_hours == 3.0
    assert desk.queue_length == 0 and desk.decided == 3


def test_two_managers_share_one_fifo_queue() -> None:
    cfg = managers(always_on=True, review_time_h=2.0)
    _, log = run_desk(cfg, 2, [(0.0, True), (0.0, True), (0.0, True), (1.0, True)])
    assert [(r[0], r[1], r[2]) for r in log.rows] == [
        (0, 0.0, 2.0),
        (1, 0.0, 2.0),
        (2, 2.0, 4.0),
        (3, 2.0, 4.0),
    ]


def test_off_shift_items_wait_for_the_next_shift() -> None:
    cfg = managers(review_time_h=1.0)  # 9-18, Monday to Friday
    friday_17 = 4 * 24 + 17.0
    _, log = run_desk(cfg, 1, [(0.0, True), (friday_17 + 0.5, True), (friday_17 + 0.6, True)])
    assert [(r[0], r[1], r[2]) for r in log.rows] == [
        (0, MONDAY_9, MONDAY_9 + 1),
        (1, friday_17 + 0.5, friday_17 + 1.5),  # started on shift, finished in overtime
        (2, WEEK_H + MONDAY_9, WEEK_H + MONDAY_9 + 1),  # not started after 18:00
    ]


def test_no_managers_means_the_queue_only_grows() -> None:
    desk, log = run_desk(managers(always_on=True), 0, [(float(t), True) for t in range(5)])
    assert log.rows == [] and desk.queue_length == 5 and desk.available_hours(100.0) == 0.0


def test_queue_length_and_in_review_count_items_on_the_desk() -> None:
    cfg = managers(always_on=True, review_time_h=10.0)
    desk, _ = run_desk(cfg, 2, [(0.0, True)] * 5, until_h=1.0)
    assert (desk.queue_length, desk.in_review, desk.waits_h) == (3, 2, [0.0, 0.0])
    assert desk.busy_hours == 0.0  # only finished reviews count


def test_evidence_request_sends_the_item_away_and_back_to_the_queue() -> None:
    cfg = managers(
        always_on=True, review_time_h=1.0, evidence_request_prob=1.0, evidence_delay_h=5.0
    )
    desk, log = run_desk(cfg, 1, [(0.0, True), (0.5, True)])
    # item 0: review 0-1, away 1-6; item 1: review 1-2, away 2-7; re-reviews 6-7, 7-8
    assert log.rows == [(0, 0.0, 7.0, True, True), (1, 1.0, 8.0, True, True)]
    assert desk.waits_h == [0.0, 0.5, 0.0, 0.0]
    assert desk.busy_hours == 4.0


def test_error_rates_follow_validity() -> None:
    cfg = managers(
        always_on=True, review_time_h=0.0, approve_invalid_prob=1.0, reject_valid_prob=1.0
    )
    _, log = run_desk(cfg, 1, [(0.0, True), (0.0, False)])
    assert [r[3] for r in log.rows] == [False, True]


@pytest.mark.parametrize("evidence", [0.0, 1.0])
def test_error_rates_are_halved_after_an_evidence_request(evidence: float) -> None:
    """20 000 invalid and valid items; 4.5 standard errors of a binomial share."""
    cfg = managers(
        always_on=True,
        review_time_h=0.0,
        evidence_delay_h=0.0,
        approve_invalid_prob=0.2,
        reject_valid_prob=0.1,
        evidence_request_prob=evidence,
    )
    n = 20_000
    _, log = run_desk(cfg, 1, [(0.0, i % 2 == 0) for i in range(2 * n)], seed=7)
    approved = np.array([r[3] for r in sorted(log.rows)])
    scale = 0.5 if evidence else 1.0
    for share, p in (
        (1 - approved[0::2].mean(), 0.1 * scale),
        (approved[1::2].mean(), 0.2 * scale),
    ):
        assert abs(share - p) < 4.5 * math.sqrt(p * (1 - p) / n)


def test_same_generator_same_decisions() -> None:
    cfg = managers(evidence_request_prob=0.3, approve_invalid_prob=0.3, reject_valid_prob=0.1)
    items = [(t * 0.7, t % 4 != 0) for t in range(400)]
    a = run_desk(cfg, 3, items, seed=11)
    b = run_desk(cfg, 3, items, seed=11)
    c = run_desk(cfg, 3, items, seed=12)
    assert a[1].rows == b[1].rows and a[0].waits_h == b[0].waits_h
    assert a[1].rows != c[1].rows


def test_negative_servers_are_refused() -> None:
    with pytest.raises(ValueError, match="servers"):
        ReviewDesk(simpy.Environment(), managers(), -1, np.random.default_rng(0), Log())


# --------------------------------------------------------------------------- shift calendar


def test_available_hours_of_a_working_week() -> None:
    desk, _ = run_desk(managers(), 3, [])
    assert desk.available_hours(WEEK_H) == 3 * 5 * 9
    assert desk.available_hours(2 * WEEK_H + 10.0) == 3 * (2 * 45 + 1)
    assert desk.available_hours(0.0) == 0.0
    always, _ = run_desk(managers(always_on=True), 2, [])
    assert always.available_hours(50.0) == 100.0


calendars = st.builds(
    lambda start, length, days: managers(
        working_hours=(start, min(24, start + length)), working_days=sorted(days)
    ),
    st.integers(0, 23),
    st.integers(1, 24),
    st.sets(st.integers(0, 6), min_size=1),
)


def on_shift(cal: ShiftCalendar, t_h: float) -> bool:
    day, hour = divmod(t_h, 24.0)
    return int(day) % 7 in cal.days and cal.start_h <= hour < cal.end_h


@settings(max_examples=examples(60), deadline=None)
@given(calendars, st.floats(0.0, 3 * WEEK_H))
def test_next_start_is_the_first_on_shift_moment(config: AccountManagers, t_h: float) -> None:
    """next_start(t) is on shift, not before t, and no grid point in between is on shift."""
    cal = ShiftCalendar(config)
    start = cal.next_start(t_h)
    assert start >= t_h and on_shift(cal, start)
    grid = np.arange(math.ceil(t_h * 4) / 4, start, 0.25)
    assert not any(on_shift(cal, float(g)) for g in grid)


@settings(max_examples=examples(40), deadline=None)
@given(calendars, st.floats(0.0, 3 * WEEK_H))
def test_hours_on_shift_matches_a_fine_sum(config: AccountManagers, until_h: float) -> None:
    """Closed form against a sum over 1/8-hour slices (exact for integer shift bounds)."""
    cal = ShiftCalendar(config)
    slices = np.arange(0.0, math.floor(until_h * 8) / 8, 0.125)
    brute = 0.125 * sum(on_shift(cal, float(s)) for s in slices)
    tail = until_h - math.floor(until_h * 8) / 8
    assert brute <= cal.hours_on_shift(until_h) <= brute + tail + 1e-9


# --------------------------------------------------------------------------- queueing theory


def erlang_c(lam: float, mu: float, c: int) -> float:
    """Probability that an arrival to M/M/c waits (Erlang C formula)."""
    a = lam / mu
    below = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - a / c)
    return top / (below + top)


def erlang_c_wait_h(lam: float, mu: float, c: int) -> float:
    """Mean queue wait of M/M/c."""
    return erlang_c(lam, mu, c) / (c * mu - lam)


def test_erlang_c_formula_on_known_values() -> None:
    """M/M/1: P(wait) = rho and Wq = rho / (mu - lam); M/M/2 at a = 1: P(wait) = 1/3."""
    assert erlang_c(0.5, 1.0, 1) == pytest.approx(0.5)
    assert erlang_c_wait_h(0.5, 1.0, 1) == pytest.approx(1.0)
    assert erlang_c(1.0, 1.0, 2) == pytest.approx(1 / 3)


def poisson_run(
    config: AccountManagers, servers: int, lam: float, seed: int, *, n: int = 0, until_h: float = 0
) -> tuple[ReviewDesk, list[float]]:
    """Poisson arrivals at ``lam`` per hour: ``n`` of them, or all before ``until_h``.

    Returns the desk and each item's time from submission to decision.
    """
    env = simpy.Environment()
    desk_rng, arrival_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2)
    )
    sojourn_h: list[float] = []
    desk = ReviewDesk(
        env, config, servers, desk_rng, lambda i, d: sojourn_h.append(d.decided_h - i.submitted_h)
    )

    def source() -> Generator[simpy.Event, Any, None]:
        i = 0
        while n == 0 or i < n:
            yield env.timeout(arrival_rng.exponential(1 / lam))
            if until_h and env.now >= until_h:
                return
            desk.submit(ReviewItem(i, 0, True, env.now))
            i += 1

    env.process(source())
    env.run()
    return desk, sojourn_h


def batch_means_ci(x: np.ndarray, batches: int = 20, level: float = 0.99) -> tuple[float, float]:
    """Mean and half-width of a batch-means confidence interval (for a correlated series)."""
    usable = x[: len(x) // batches * batches].reshape(batches, -1).mean(axis=1)
    t = stats.t.ppf(0.5 + level / 2, batches - 1)
    return float(x.mean()), float(t * usable.std(ddof=1) / math.sqrt(batches))


# (arrivals per hour, reviews per hour, managers, arrivals, check the mean wait)
MMC_FAST = [
    (1.0, 2.0, 1, 150_000, True),
    (1.2, 1.0, 2, 330_000, True),
    (3.5, 1.0, 5, 200_000, False),
]
MMC_SLOW = [
    (3.0, 1.5, 3, 2_000_000, True),
    (4.0, 1.0, 5, 2_000_000, True),
    (7.5, 1.0, 10, 3_000_000, True),
]


def check_within_5_percent(x: np.ndarray, theory: float, what: str) -> None:
    """The batch-means mean of ``x`` within 5% of ``theory``, from a run long enough.

    Why 5% holds: run lengths are chosen (from pilot runs) so that the 99% batch-means
    interval (20 batches of thousands of customers, far longer than the correlation
    time at these loads) is narrower than 4.5% of the theoretical value, and this is
    asserted. A correct desk then misses 5% only if its estimate is more than ~2.9
    standard errors off (probability under 0.5%).
    """
    mean, half = batch_means_ci(x)
    assert half < 0.045 * theory, f"{what}: run too short, half-width {half / theory:.1%}"
    assert mean == pytest.approx(theory, rel=0.05), what


def check_erlang(lam: float, mu: float, c: int, n: int, mean_wait: bool) -> None:
    """The desk run as M/M/c (24/7, exponential reviews) against Erlang C.

    Checked: the share of arrivals that wait (Erlang C probability), the mean wait
    (where ``mean_wait``: its variance needs millions of arrivals at c >= 3, so those
    run behind the slow marker) and utilisation (standard error well under 1%).
    """
    cfg = managers(always_on=True, review_time_h={"dist": "exponential", "mean": 1 / mu})
    desk, _ = poisson_run(cfg, c, lam, seed=c * 1000 + n % 997, n=n)
    waits = np.asarray(desk.waits_h)[n // 50 :]  # drop the first 2% (warm-up from empty)
    check_within_5_percent((waits > 0).astype(float), erlang_c(lam, mu, c), "P(wait)")
    if mean_wait:
        check_within_5_percent(waits, erlang_c_wait_h(lam, mu, c), "mean wait")
    utilisation = desk.busy_hours / desk.available_hours(desk.env.now)
    assert utilisation == pytest.approx(lam / (c * mu), rel=0.05)


@pytest.mark.parametrize(("lam", "mu", "c", "n", "mean_wait"), MMC_FAST)
def test_mmc_matches_erlang_c(lam: float, mu: float, c: int, n: int, mean_wait: bool) -> None:
    check_erlang(lam, mu, c, n, mean_wait)


@pytest.mark.slow
@pytest.mark.parametrize(("lam", "mu", "c", "n", "mean_wait"), MMC_SLOW)
def test_mmc_matches_erlang_c_heavy(lam: float, mu: float, c: int, n: int, mean_wait: bool) -> None:
    check_erlang(lam, mu, c, n, mean_wait)


# --------------------------------------------------------------------------- Ciw, working hours


def ciw_schedule(config: AccountManagers, servers: int) -> tuple[list[int], list[float]]:
    """The desk's weekly calendar as a Ciw schedule, equal neighbours merged.

    Ciw takes every server off duty at each boundary, so two touching shifts of the
    same size must be one shift, or a busy manager would be doubled for a while.
    """
    start, end = config.working_hours
    numbers: list[int] = []
    ends: list[float] = []
    for day in range(7):
        staffed = servers if day in config.working_days else 0
        for lo, hi, k in ((0, start, 0), (start, end, staffed), (end, 24, 0)):
            if hi <= lo:
                continue
            if numbers and numbers[-1] == k:
                ends[-1] = day * 24.0 + hi
            else:
                numbers.append(k)
                ends.append(day * 24.0 + hi)
    return numbers, ends


def ciw_run(
    config: AccountManagers, servers: int, lam: float, service: Any, until_h: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Waits and sojourns of Ciw customers arriving before ``until_h`` (same rules)."""
    import ciw

    class StopAt(ciw.dists.Distribution):
        """Poisson arrivals that stop at ``until_h``, so the system drains."""

        def __init__(self) -> None:
            self.inner = ciw.dists.Exponential(lam)

        def sample(self, t: float | None = None, ind: Any = None) -> float:
            gap = self.inner.sample(t, ind)
            return gap if (t or 0.0) + gap < until_h else math.inf

    numbers, ends = ciw_schedule(config, servers)
    network = ciw.create_network(
        arrival_distributions=[StopAt()],
        service_distributions=[service],
        number_of_servers=[ciw.Schedule(numbers, ends, preemption=False)],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(until_h + 2 * WEEK_H)
    assert sim.nodes[1].number_of_individuals == 0, "Ciw did not drain"
    recs = [r for r in sim.get_all_records() if r.record_type == "service"]
    return (
        np.array([r.waiting_time for r in recs]),
        np.array([r.exit_date - r.arrival_date for r in recs]),
    )


@dataclass(frozen=True)
class Setting:
    """A desk with working hours, and the same review-time law in Ciw's terms."""

    name: str
    servers: int
    lam: float
    config: dict[str, Any]
    ciw_service: Callable[[], Any]


def _ciw_dists() -> Any:
    import ciw

    return ciw.dists


SETTINGS = [
    Setting(
        "2 managers, 9-18 Mon-Fri, exponential 0.5 h",
        2,
        0.8,
        {"review_time_h": {"dist": "exponential", "mean": 0.5}},
        lambda: _ciw_dists().Exponential(2.0),
    ),
    Setting(
        "3 managers, 8-20 every day, gamma 2 h sd 1 h",
        3,
        0.5,
        {
            "review_time_h": {"dist": "gamma", "mean": 2.0, "sd": 1.0},
            "working_hours": (8, 20),
            "working_days": list(range(7)),
        },
        lambda: _ciw_dists().Gamma(shape=4.0, scale=0.5),
    ),
    Setting(
        "1 manager, 9-17 Mon-Sat, constant 0.75 h",
        1,
        0.25,
        {"review_time_h": 0.75, "working_hours": (9, 17), "working_days": [0, 1, 2, 3, 4, 5]},
        lambda: _ciw_dists().Deterministic(0.75),
    ),
]


def welch_ok(a: np.ndarray, b: np.ndarray, level: float = 0.999) -> tuple[bool, float, float]:
    """Whether the Welch interval for mean(a) - mean(b) holds 0; also its half-width."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df) * math.sqrt(va + vb))
    diff = float(a.mean() - b.mean())
    return abs(diff) <= half, diff, half


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_working_hours_agree_with_ciw(setting: Setting) -> None:
    """Replication means of three statistics agree with Ciw under the same rules.

    Each replication is 4 weeks of Poisson arrivals from an empty desk on Monday 00:00,
    run until drained; its statistics are the mean queue wait, the mean time to
    decision and the share decided within 24 h. 150 replications of each simulator
    give 150 independent values per statistic; the Welch 99.9% interval of the
    difference must contain 0 (nine comparisons: family false-alarm rate under 1%).
    It must also be narrower than 6% of the mean, so a rule that differs (say,
    stopping a review at the end of a shift) would be caught.
    """
    reps, until_h = 150, 4 * WEEK_H
    config = managers(**setting.config)
    ours, theirs = [], []
    for rep in range(reps):
        desk, sojourn = poisson_run(
            config, setting.servers, setting.lam, 500 + rep, until_h=until_h
        )
        ours.append(summarise(np.asarray(desk.waits_h), np.asarray(sojourn)))
        w, s = ciw_run(config, setting.servers, setting.lam, setting.ciw_service(), until_h, rep)
        theirs.append(summarise(w, s))
    a, b = np.array(ours), np.array(theirs)
    for k, stat in enumerate(("mean wait", "mean time to decision", "share within 24 h")):
        ok, diff, half = welch_ok(a[:, k], b[:, k])
        assert ok, f"{stat}: desk - Ciw = {diff:.4f} +- {half:.4f}"
        assert half < 0.06 * b[:, k].mean(), f"{stat}: too few replications"


def summarise(waits_h: np.ndarray, sojourn_h: np.ndarray) -> tuple[float, float, float]:
    return float(waits_h.mean()), float(sojourn_h.mean()), float((sojourn_h <= 24.0).mean())


# --------------------------------------------------------------------------- scale


@pytest.mark.bench
def test_a_million_items_a_year_through_one_desk() -> None:
    """A year of a million notices (about 114 an hour) on a 24/7 desk of 80 managers.

    The floor (25 000 items a second of wall time, so under 40 s) leaves room for a
    loaded machine; the measured rate is printed for the record.
    """
    import time

    cfg = managers(
        always_on=True,
        review_time_h={"dist": "exponential", "mean": 0.5},
        evidence_request_prob=0.1,
        evidence_delay_h=12.0,
    )
    n = 1_000_000
    lam = n / (365 * 24.0)
    started = time.perf_counter()
    desk, sojourn = poisson_run(cfg, 80, lam, seed=3, n=n)
    elapsed = time.perf_counter() - started
    print(f"\n{n} items, 80 managers: {elapsed:.1f} s, {n / elapsed:,.0f} items/s")
    assert len(sojourn) == n and desk.queue_length == 0
    assert n / elapsed > 25_000


def test_a_runs_desks_are_the_pool_then_dedicated_desks_by_brand() -> None:
    """Brands 5 and 2 get desks of their own (listed by brand), the rest the pool; the
    totals since a snapshot count only the work after it."""
    env = simpy.Environment()
    cfg = managers(pool_size=2, dedicated_per_enrolled_brand=1, always_on=True)
    desks = ReviewDesks(env, cfg, np.array([5, 2]), Streams(3), lambda item, d: None)
    assert [d.name for d in desks.all] == ["pool", "brand-2", "brand-5"]
    assert desks.for_brand(0) is desks.pool
    assert desks.for_brand(5).name == "brand-5"
    for nid in range(4):
        desks.for_brand(nid).submit(ReviewItem(nid, nid, True, 0.0))
    assert desks.queue_length == 4
    env.run(until=10.0)
    before = desks.snapshot()
    assert sum(before.waits.values()) == 4
    for nid in range(4, 6):
        desks.for_brand(2).submit(ReviewItem(nid, 2, True, 10.0))
    env.run(until=500.0)
    totals = desks.totals(before, 10.0, 500.0)
    assert len(totals.waits_h) == 2  # the two reviews started after the snapshot
    assert totals.available_h == 4 * 490.0  # 4 managers always on
    assert 0 < totals.busy_h < sum(d.busy_hours for d in desks.all)
