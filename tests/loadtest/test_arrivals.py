"""Open-model arrivals: schedules against theory, and the dispatcher's drop rule."""

from __future__ import annotations

import time

import gevent
import gevent.event
import numpy as np
import pytest

from loadtest.arrivals import Arrival, Dispatcher, Slots, arrival_times, merge_schedules
from loadtest.shapes import Constant, Ramp
from sim.rng import Streams


def test_constant_process_is_evenly_spaced_at_the_rate() -> None:
    t = arrival_times(10.0, Constant(), 2.0, "constant", Streams(1).get("a"))
    assert len(t) == 20
    assert np.allclose(np.diff(t), 0.1, atol=1e-9)
    assert t[0] == pytest.approx(0.05)


def test_poisson_count_matches_the_integrated_rate() -> None:
    # ramp 0 -> 1 over half of 1000 s then held: Lambda = 50 * (250 + 500) = 37 500
    t = arrival_times(
        50.0, Ramp(start=0.0, end=1.0, ramp=0.5), 1000.0, "poisson", Streams(2).get("a")
    )
    # Poisson count: sd = sqrt(37 500) ~ 194; 5 sd = 970
    assert abs(len(t) - 37_500) < 970
    # first half holds a third of the arrivals (12 500 of 37 500), same 5-sd margin
    assert abs(int((t < 500).sum()) - 12_500) < 5 * np.sqrt(12_500)
    assert np.all(np.diff(t) >= 0) and t[-1] <= 1000.0


def test_poisson_gaps_are_exponential() -> None:
    t = arrival_times(20.0, Constant(), 500.0, "poisson", Streams(3).get("a"))
    gaps = np.diff(t)
    # mean 1/20 s; with ~10 000 gaps the sample mean's sd is 0.05/100 = 5e-4
    assert gaps.mean() == pytest.approx(0.05, abs=3 * 5e-4)
    assert gaps.std() == pytest.approx(0.05, rel=0.05)  # exponential: sd == mean


def test_workers_interleave_with_phases() -> None:
    a = arrival_times(10.0, Constant(), 1.0, "constant", Streams(1).get("a"), phase=0.25)
    b = arrival_times(10.0, Constant(), 1.0, "constant", Streams(1).get("a"), phase=0.75)
    assert sorted([*a.tolist(), *b.tolist()]) == pytest.approx(np.arange(0.025, 1.0, 0.05))


def test_merge_schedules_orders_by_time_then_role() -> None:
    s = merge_schedules({"b": np.array([0.1, 0.3]), "a": np.array([0.1, 0.2])})
    assert list(zip(s.times_s.tolist(), s.roles, strict=True)) == [
        (0.1, "a"),
        (0.1, "b"),
        (0.2, "a"),
        (0.3, "b"),
    ]


def test_slots_offer_only_to_idle_users() -> None:
    slots = Slots()
    got: list[str] = []

    def user() -> None:
        got.append(slots.take().role)

    assert slots.offer(Arrival("x", 0.0)) is False  # nobody waiting: dropped
    g = gevent.spawn(user)
    gevent.sleep(0)
    assert slots.free == 1
    assert slots.offer(Arrival("x", 0.0)) is True
    assert slots.free == 0
    assert slots.offer(Arrival("x", 0.0)) is False  # the one user already has work
    g.join()
    assert got == ["x"]


def test_slots_grow_up_to_their_room_then_drop_and_report_drops_when_a_user_is_free() -> None:
    slots = Slots()
    grown: list[gevent.Greenlet] = []
    handled: list[float] = []
    freed: list[list[float]] = []

    def user() -> None:
        arrival = slots.take()
        handled.append(arrival.intended)
        gevent.sleep(0.01)
        slots.take()  # free again: any arrivals dropped meanwhile are reported now

    slots.room = 2
    slots.grow = lambda: grown.append(gevent.spawn(user))
    slots.on_free = lambda dropped: freed.append([a.intended for a in dropped])
    # no user is idle: the first two arrivals each get a new user, the third is dropped
    assert [slots.offer(Arrival("x", float(k))) for k in range(3)] == [True, True, False]
    assert (slots.grown, [a.intended for a in slots.dropped]) == (2, [2.0])
    gevent.sleep(0.05)
    assert sorted(handled) == [0.0, 1.0]
    assert freed == [[2.0]] and slots.dropped == []  # reported once, by the first free user
    gevent.killall(grown)


def test_dispatcher_drops_what_a_busy_user_cannot_start_and_never_offers_early() -> None:
    # 1 user that never finishes its first arrival, arrivals every 0.1 s for 1 s: the
    # first starts and the other nine are dropped, however busy the machine is (the
    # timing claims, kept schedule and small lag, are in tests/bench)
    times = arrival_times(10.0, Constant(), 1.0, "constant", Streams(0).get("x"))
    schedule = merge_schedules({"r": times})
    slots = {"r": Slots()}
    offered: list[float] = []
    offer = slots["r"].offer

    def timed_offer(arrival: Arrival) -> bool:
        offered.append(time.perf_counter() - arrival.intended)
        return offer(arrival)

    slots["r"].offer = timed_offer  # type: ignore[method-assign]
    hold = gevent.event.Event()
    got: list[Arrival] = []

    def user() -> None:
        got.append(slots["r"].take())
        hold.wait()

    g = gevent.spawn(user)
    gevent.sleep(0)
    dispatcher = Dispatcher(schedule, slots)
    tally = dispatcher.run()
    hold.set()
    g.join()
    assert tally.scheduled == {"r": 10}
    assert (tally.started, tally.dropped) == ({"r": 1}, {"r": 9})
    assert dispatcher.t0 is not None and len(got) == 1
    assert got[0].intended == pytest.approx(dispatcher.t0 + times[0])  # the first one started
    assert len(slots["r"].dropped) == 9  # kept for their censored latency
    assert min(offered) >= 0.0  # an arrival is never offered before its intended time
