"""The harness inside one Locust process that generates load (a worker, or the local runner).

It owns this process's share of the arrival schedule, the slots its users wait in
(and the users it adds when they are all busy), the HDR recorder, the e2e pollers,
the sweeps of the brands this process owns and the small caches the roles share.
``start`` begins dispatching; ``drain`` lets work finish and keeps reviewers working
while notices are followed; ``finish`` censors what is still open, stops and returns
a snapshot the master merges (or the local runner writes).
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from typing import Any

import numpy as np

from loadtest import client as api
from loadtest.arrivals import (
    Arrival,
    Dispatcher,
    Schedule,
    Slots,
    arrival_times,
    merge_schedules,
)
from loadtest.config import Keys, RunConfig, load_keys
from loadtest.hdr import Recorder
from loadtest.profile import ROLES, Profile, profile_from_dict
from loadtest.replay import load_trace, replay_schedule
from sim.rng import Streams

E2E = "e2e_takedown"
DRAIN_S = 5.0  # in-flight arrivals may finish this long after the last one is dispatched
SWEEP_S = 1.0  # brands re-read the listings they picked from this often


class DroppedArrival(Exception):
    """How Locust's tables flag an arrival no user could start (a censored latency)."""


class Harness:
    """Per-process load generator state, reached by users as ``environment.td``."""

    def __init__(
        self, config: RunConfig, host: str, worker_index: int, request_event: Any = None
    ) -> None:
        self.config = config
        self.profile: Profile = profile_from_dict(config.profile)
        self.keys: Keys = load_keys(config.keys_file)
        self.host = host
        self.worker_index = worker_index
        self.streams = Streams(config.seed)
        self.recorder = Recorder()
        self.slots = {role: Slots() for role in ROLES}
        self.users = dict.fromkeys(ROLES, 0)
        self.brand_cache: dict[int, tuple[float, list[dict[str, Any]]]] = {}
        self.seen_listings: deque[int] = deque(maxlen=2000)
        self.own_listings: dict[str, deque[int]] = {}
        self.filed_notices: deque[tuple[str, int]] = deque(maxlen=500)
        self.e2e = {"followed": 0, "unfinished": 0, "stale": 0, "nothing_to_name": 0}
        self.follow_up = {"scheduled": 0, "started": 0, "dropped": 0}
        self.brand_known: dict[int, list[int]] = {}
        self.crosscheck_s: list[float] = []
        self.replay_sent: list[tuple[int, float]] = []
        self._cpu0_s = time.process_time()
        self._user_no = itertools.count()
        self._followers: Any = None
        self._poll_gate: Any = None
        self._open: dict[int, tuple[str, float]] = {}
        self._follow_no = itertools.count()
        self._poller: api.TakedownClient | None = None
        self._drop_rng = self.streams.get(f"dropped.{worker_index}")
        self._sweeper: api.TakedownClient | None = None
        self._swept_brands: set[int] = set()
        self._background: list[Any] = []
        self.request_event = request_event
        self._dispatcher: Dispatcher | None = None
        self._greenlet: Any = None
        self._snapshot: dict[str, Any] | None = None
        self.started_wall: float | None = None
        self.plan: dict[int, dict[str, int]] = {worker_index: {}}
        self.aborted: dict[str, Any] | None = None  # the threshold that stopped the run

    # ---------------------------------------------------------------- set-up
    def user_rng(self, role: str) -> np.random.Generator:
        """A fresh named stream for one user of ``role`` in this process."""
        self.users[role] += 1
        return self.streams.get(f"user.{role}.{self.worker_index}.{next(self._user_no)}")

    def share(self, role: str) -> float:
        """This process's fraction of ``role``'s users over the run (its share of the rate)."""
        total = sum(counts.get(role, 0) for counts in self.plan.values())
        return self.plan.get(self.worker_index, {}).get(role, 0) / total if total else 0.0

    def rank(self, role: str) -> tuple[int, int]:
        """(position, count) of this process among those holding users of ``role``."""
        holders = sorted(k for k, counts in self.plan.items() if counts.get(role, 0) > 0)
        if self.worker_index not in holders:
            return 0, max(len(holders), 1)
        return holders.index(self.worker_index), len(holders)

    def own_brands(self) -> list[int]:
        """The brands whose sweeps and notices belong to this process (one owner each).

        Brands are dealt round-robin to the processes holding rights holders; with more
        such processes than brands, a process shares one brand's sweep with another.
        """
        brands = self.keys.brand_ids()
        if not brands:
            return []
        k, n = self.rank("rights_holder")
        return brands[k::n] or [brands[k % len(brands)]]

    def own_rights_holders(self) -> list[Any]:
        """Rights holders of the brands this process owns."""
        own = set(self.own_brands())
        return [r for r in self.keys.rights_holders if r.brand_id in own] or list(
            self.keys.rights_holders
        )

    def schedule(self) -> Schedule:
        """This process's arrivals: its share of each role's rate, or of the replayed trace."""
        shape, duration = self.profile.shape, self.config.duration_s
        parts: dict[str, Any] = {}
        for role in ROLES:
            if role == "rights_holder" and self.config.replay:
                continue
            rng = self.streams.get(f"arrivals.{role}.{self.worker_index}")
            rate = self.profile.rate_of(role) * self.share(role)
            process = self.profile.profile.process
            k, n = self.rank(role)  # constant streams of several processes interleave
            parts[role] = arrival_times(rate, shape, duration, process, rng, (k + 0.5) / n)
        base = merge_schedules(parts)
        if not self.config.replay:
            return base
        owners = [k for k in sorted(self.plan) for _ in range(self.plan[k].get("rights_holder", 0))]
        trace = load_trace(self.config.replay)
        replay = replay_schedule(trace, self.config.speedup, duration, self.worker_index, owners)
        return _combine(base, replay)

    # ---------------------------------------------------------------- running
    def start(self, plan: dict[int, dict[str, int]]) -> None:
        """Begin dispatching in a background greenlet (idempotent).

        ``plan`` gives, per worker index, its users per role as Locust placed them.
        """
        import gevent
        from gevent.lock import BoundedSemaphore
        from gevent.pool import Group

        if self._greenlet is not None:
            return
        self.plan = plan
        self._cpu0_s = time.process_time()
        if self.config.warmup_s > 0:
            self.recorder.warm_up(self.config.warmup_s)
        if self.profile.rate_of("rights_holder") > 0 or self.config.replay:
            for brand_id in self.own_brands():
                self._sweep(brand_id)
        self._background.append(gevent.spawn(self._sweep_loop))
        self._followers = Group()
        self._poll_gate = BoundedSemaphore(self._poll_slots())
        for role in ROLES:
            slots = self.slots[role]
            placed = plan.get(self.worker_index, {}).get(role, 0)
            most = math.ceil(self.profile.max_pool_of(role) * self.share(role))
            slots.room = max(0, most - placed)
            slots.grow = lambda role=role: self._grow(role)
            slots.on_free = self._censor_dropped
        self._dispatcher = Dispatcher(self.schedule(), self.slots)
        self.started_wall = time.time()
        self._greenlet = gevent.spawn(self._dispatcher.run)

    def role_record(self, role: str) -> api.Record:
        """What a user of ``role`` records with: each request under its name and under
        ``role.<role>`` (the role's scope for SLO gates)."""
        record, scope = self.recorder.record, f"role.{role}"

        def both(name: str, seconds: float, ok: bool) -> None:
            record(name, seconds, ok)
            record(scope, seconds, ok)

        return both

    def live(self) -> dict[str, Any]:
        """What the gates see so far (for thresholds that abort): histograms, arrivals."""
        rec = self.recorder.steady if self.recorder.steady is not None else self.recorder
        tally = self._dispatcher.tally if self._dispatcher else None
        return {
            "worker_index": self.worker_index,
            "recorder": rec.encode(),
            "arrivals": tally.as_dict() if tally else {},
            "since_start_s": self.since_start_s(),
        }

    @property
    def started(self) -> bool:
        """Whether dispatching has begun."""
        return self._greenlet is not None

    @property
    def finished(self) -> bool:
        """Whether ``finish`` has taken the final snapshot."""
        return self._snapshot is not None

    def since_start_s(self) -> float:
        """Seconds since dispatching began (0 before)."""
        t0 = self._dispatcher.t0 if self._dispatcher else None
        return time.perf_counter() - t0 if t0 is not None else 0.0

    def wait_dispatched(self) -> None:
        """Block until the last arrival has been offered."""
        if self._greenlet is not None:
            self._greenlet.join()

    def _poll_slots(self) -> int:
        return max(1, self.profile.e2e.max_pollers // max(len(self.plan), 1))

    def drain(self) -> None:
        """Let in-flight arrivals finish (bounded), then keep reviewers working while
        notices are followed: until every poller has seen its removal or timed out."""
        import gevent

        deadline = time.perf_counter() + DRAIN_S
        while time.perf_counter() < deadline and any(
            self.slots[r].free < self.users[r] for r in ROLES
        ):
            gevent.sleep(0.05)
        self.keep_reviewing()
        if self._followers is not None:
            self._followers.join(timeout=1.0)

    def keep_reviewing(self) -> None:
        """Account managers' arrivals continue, evenly spaced at this process's share of
        their rate, for as long as a followed notice is open (each closes by its
        timeout), so notices filed late in the run are decided as the early ones were."""
        import gevent

        rate = self.profile.rate_of("account_manager") * self.share("account_manager")
        gap_s = 1.0 / rate if rate > 0 else None
        window_end = max((since for _, since in self._open.values()), default=0.0)
        window_end += self.profile.e2e.timeout_s + 1.0
        due = time.perf_counter()
        while self._open and time.perf_counter() < window_end:
            if gap_s is None:
                gevent.sleep(0.05)
                continue
            delay = due - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            if not self._open:
                break
            started = self.slots["account_manager"].offer(Arrival("account_manager", due))
            self.follow_up["scheduled"] += 1
            self.follow_up["started" if started else "dropped"] += 1
            due += gap_s

    def close_slots(self) -> None:
        """The run is stopping: no more arrivals, and users waiting for one are released."""
        if self._greenlet is not None:
            self._greenlet.kill(block=True)
        for slots in self.slots.values():
            slots.close()

    def finish(self) -> dict[str, Any]:
        """Stop everything and return this process's snapshot (the same one every call)."""
        if self._snapshot is not None:
            return self._snapshot
        if self._greenlet is not None:
            self._greenlet.kill(block=True)
        for greenlet in self._background:
            greenlet.kill(block=True)
        now = time.perf_counter()
        for program, since in list(self._open.values()):
            self._unfinished(program, now - since)
        self._open.clear()
        if self._followers is not None:
            self._followers.kill(block=True)
        for role in ROLES:  # dropped arrivals no user came free for: censored at the end
            dropped, self.slots[role].dropped = self.slots[role].dropped, []
            self._censor_dropped(dropped, now)
        tally = self._dispatcher.tally if self._dispatcher else None
        self._snapshot = {
            "worker_index": self.worker_index,
            "recorder": self.recorder.encode(),
            "steady": self.recorder.steady.encode() if self.recorder.steady else None,
            "aborted": self.aborted,
            "counts": self.recorder.counts(),
            "arrivals": tally.as_dict() if tally else {},
            "e2e": dict(self.e2e),
            "follow_up": dict(self.follow_up),
            "grown_users": {r: self.slots[r].grown for r in ROLES},
            "own_brands": self.own_brands(),
            "crosscheck_s": list(self.crosscheck_s),
            "replay_sent": list(self.replay_sent),
            "started_wall": self.started_wall,
            "finished_wall": time.time(),
            "cpu_s": time.process_time() - self._cpu0_s,
        }
        return self._snapshot

    # ---------------------------------------------------------------- e2e pollers
    def follow(self, listing_id: int, program: str, since: float, created_at: float | None) -> None:
        """Poll ``listing_id`` until it answers 410 or its timeout (every notice is followed)."""
        if self._followers is None:
            return
        self.e2e["followed"] += 1
        token = next(self._follow_no)
        self._open[token] = (program, since)
        self._followers.spawn(self._poll, token, listing_id, program, since, created_at)

    def _poll_client(self) -> api.TakedownClient:
        """Pollers' client: their requests show under their own name, in Locust's tables too."""
        if self._poller is None:
            from locust.contrib.fasthttp import FastHttpSession
            from locust.event import EventHook

            event = self.request_event if self.request_event is not None else EventHook()
            session = FastHttpSession(
                self.host, request_event=event, user=None, concurrency=self._poll_slots()
            )
            self._poller = api.TakedownClient(api.LocustTransport(session, self.recorder.record))
        return self._poller

    def next_poll_gap_s(self, gap_s: float, elapsed_s: float) -> float:
        """The wait before the next poll: backed off, but never so long that a removal
        is seen later than ``poll_accuracy`` of the time elapsed (nor the cap)."""
        e2e = self.profile.e2e
        bound = max(e2e.poll_interval_s, e2e.poll_accuracy * elapsed_s)
        return min(gap_s * e2e.poll_backoff, e2e.poll_interval_max_s, bound)

    def _poll(
        self, token: int, listing_id: int, program: str, since: float, created_at: float | None
    ) -> None:
        import gevent

        e2e = self.profile.e2e
        client = self._poll_client()
        gap_s = e2e.poll_interval_s
        while time.perf_counter() - since < e2e.timeout_s:
            with self._poll_gate:
                reply = client.poll_listing(listing_id)
            if reply.status == 410:
                self._open.pop(token, None)
                self._observed(reply, program, time.perf_counter() - since, created_at)
                return
            gap_s = self.next_poll_gap_s(gap_s, time.perf_counter() - since)
            gevent.sleep(gap_s)
        if self._open.pop(token, None) is not None:
            self._unfinished(program, time.perf_counter() - since)

    def _unfinished(self, program: str, elapsed_s: float) -> None:
        """A notice not seen removed: at least ``elapsed_s``, censored in its series."""
        self.e2e["unfinished"] += 1
        self.recorder.record_censored(E2E, elapsed_s)
        self.recorder.record_censored(f"{E2E}.{program}", elapsed_s)

    # ---------------------------------------------------------------- grown users, drops
    def _grow(self, role: str) -> None:
        """One more user of ``role`` (the pool grows on demand up to its maximum)."""
        import gevent

        gevent.spawn(self._grown_user, role)

    def _grown_user(self, role: str) -> None:
        from locust.contrib.fasthttp import FastHttpSession
        from locust.event import EventHook

        from loadtest.roles import Actor, perform

        event = self.request_event if self.request_event is not None else EventHook()
        session = FastHttpSession(self.host, request_event=event, user=None)
        client = api.TakedownClient(api.LocustTransport(session, self.role_record(role)))
        actor = Actor(client, self.user_rng(role), self)
        while True:
            arrival = self.slots[role].take()
            if arrival is None:
                return
            self.recorder.record("arrivals.start_lag", perform(actor, role, arrival))

    def _censor_dropped(self, dropped: list[Arrival], now: float | None = None) -> None:
        """Dropped arrivals enter their request's latency, censored at the time until a
        user of their role was free (``now``), and flagged in Locust's tables."""
        from loadtest.roles import defining_request

        now = time.perf_counter() if now is None else now
        for arrival in dropped:
            name = defining_request(self, arrival, self._drop_rng)
            waited_s = max(now - arrival.intended, 0.0)
            self.recorder.record_censored(name, waited_s)
            self.recorder.record_censored(f"role.{arrival.role}", waited_s)
            if self.request_event is not None:
                self.request_event.fire(
                    request_type=name.split()[0], name=name, response_time=waited_s * 1000.0,
                    response_length=0, exception=DroppedArrival("every user busy"),
                    context={}, response=None, url=None, start_time=None,
                )  # fmt: skip

    def _observed(
        self, reply: api.Reply, program: str, observed_s: float, created_at: float | None
    ) -> None:
        removed = api.removed_at(reply)
        if removed is not None and created_at is not None:
            service_s = removed - created_at
            if service_s < -0.5:  # removed before this notice: another notice got there first
                self.e2e["stale"] += 1
                return
            self.crosscheck_s.append(observed_s - service_s)
        self.recorder.record(E2E, observed_s)
        self.recorder.record(f"{E2E}.{program}", observed_s)

    # ---------------------------------------------------------------- brand sweeps
    def brand_listings(self, brand_id: int) -> list[dict[str, Any]]:
        """Live listings of a brand as its last sweep saw them (picked ones are taken out)."""
        self._swept_brands.add(brand_id)
        cached = self.brand_cache.get(brand_id)
        return cached[1] if cached else []

    def _sweep(self, brand_id: int) -> None:
        reply = self._sweep_client().sweep(brand_id, 100)
        if reply.ok:
            items = api.listing_items(reply)
            self.brand_cache[brand_id] = (time.perf_counter(), items)
            known = self.brand_known.setdefault(brand_id, [])
            known[:] = sorted({*known, *(int(i["id"]) for i in items if "id" in i)})[-1000:]
            self.seen_listings.extend(int(i["id"]) for i in items if "id" in i)

    def _sweep_loop(self) -> None:
        """Brands monitor their listings in the background, so a notice never waits on it."""
        import gevent

        while True:
            gevent.sleep(SWEEP_S)
            due, self._swept_brands = sorted(self._swept_brands), set()
            for brand_id in due:  # brands this process picked: it owns them
                self._sweep(brand_id)

    def _sweep_client(self) -> api.TakedownClient:
        if self._sweeper is None:
            from locust.contrib.fasthttp import FastHttpSession
            from locust.event import EventHook

            event = self.request_event if self.request_event is not None else EventHook()
            session = FastHttpSession(self.host, request_event=event, user=None)
            self._sweeper = api.TakedownClient(api.LocustTransport(session, self.recorder.record))
        return self._sweeper


def _combine(base: Schedule, extra: Schedule) -> Schedule:
    """Two schedules in one, in time order, keeping payloads aligned."""
    times = np.concatenate([base.times_s, extra.times_s])
    roles = base.roles + extra.roles
    payloads = (None,) * len(base) + (extra.payloads or (None,) * len(extra))
    order = np.argsort(times, kind="stable")
    return Schedule(times[order], tuple(roles[i] for i in order), tuple(payloads[i] for i in order))
