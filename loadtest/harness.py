"""The harness inside one Locust process that generates load (a worker, or the local runner).

It owns this process's share of the arrival schedule, the slots its users wait in,
the HDR recorder, the bounded e2e pollers and the small caches the roles share.
``start`` begins dispatching; ``finish`` drains, stops and returns a snapshot the
master merges (or the local runner writes).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from typing import Any

import numpy as np

from loadtest import client as api
from loadtest.arrivals import Dispatcher, Schedule, Slots, arrival_times, merge_schedules
from loadtest.config import Keys, RunConfig, load_keys
from loadtest.hdr import Recorder
from loadtest.profile import ROLES, Profile, profile_from_dict
from loadtest.replay import load_trace, replay_schedule
from sim.rng import Streams

E2E = "e2e_takedown"
DRAIN_S = 5.0  # in-flight arrivals may finish this long after the last one is dispatched
POLL_GRACE_S = 3.0  # then pollers get this long before the unfinished ones are counted
SWEEP_S = 1.0  # brands re-read the listings they picked from this often


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
        self.e2e = {"followed": 0, "unfinished": 0, "skipped": 0, "stale": 0, "nothing_to_name": 0}
        self.brand_known: dict[int, list[int]] = {}
        self.crosscheck_s: list[float] = []
        self.replay_sent: list[tuple[int, float]] = []
        self._cpu0_s = time.process_time()
        self._user_no = itertools.count()
        self._pollers: Any = None
        self._quiet: api.TakedownClient | None = None
        self._sweeper: api.TakedownClient | None = None
        self._swept_brands: set[int] = set()
        self._background: list[Any] = []
        self.request_event = request_event
        self._dispatcher: Dispatcher | None = None
        self._greenlet: Any = None
        self._snapshot: dict[str, Any] | None = None
        self.started_wall: float | None = None
        self.plan: dict[int, dict[str, int]] = {worker_index: {}}

    # ---------------------------------------------------------------- set-up
    def user_rng(self, role: str) -> np.random.Generator:
        """A fresh named stream for one user of ``role`` in this process."""
        self.users[role] += 1
        return self.streams.get(f"user.{role}.{self.worker_index}.{next(self._user_no)}")

    def share(self, role: str) -> float:
        """This process's fraction of ``role``'s users over the run (its share of the rate)."""
        total = sum(counts.get(role, 0) for counts in self.plan.values())
        return self.plan.get(self.worker_index, {}).get(role, 0) / total if total else 0.0

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
            parts[role] = arrival_times(rate, shape, duration, process, rng)
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
        from gevent.pool import Pool

        if self._greenlet is not None:
            return
        self.plan = plan
        self._cpu0_s = time.process_time()
        if self.profile.rate_of("rights_holder") > 0 or self.config.replay:
            for brand_id in self.keys.brand_ids():
                self._sweep(brand_id)
        self._background.append(gevent.spawn(self._sweep_loop))
        self._pollers = Pool(max(1, self.profile.e2e.max_pollers // max(len(plan), 1)))
        self._dispatcher = Dispatcher(self.schedule(), self.slots)
        self.started_wall = time.time()
        self._greenlet = gevent.spawn(self._dispatcher.run)

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

    def drain(self) -> None:
        """Let in-flight arrivals and pollers finish, within bounds."""
        import gevent

        deadline = time.perf_counter() + DRAIN_S
        while time.perf_counter() < deadline and any(
            self.slots[r].free < self.users[r] for r in ROLES
        ):
            gevent.sleep(0.05)
        if self._pollers is not None:
            self._pollers.join(timeout=POLL_GRACE_S)

    def finish(self) -> dict[str, Any]:
        """Stop everything and return this process's snapshot (the same one every call)."""
        if self._snapshot is not None:
            return self._snapshot
        if self._greenlet is not None:
            self._greenlet.kill(block=True)
        for greenlet in self._background:
            greenlet.kill(block=True)
        if self._pollers is not None:
            self.e2e["unfinished"] += len(self._pollers)
            self._pollers.kill(block=True)
        tally = self._dispatcher.tally if self._dispatcher else None
        self._snapshot = {
            "worker_index": self.worker_index,
            "recorder": self.recorder.encode(),
            "counts": self.recorder.counts(),
            "arrivals": tally.as_dict() if tally else {},
            "e2e": dict(self.e2e),
            "crosscheck_s": list(self.crosscheck_s),
            "replay_sent": list(self.replay_sent),
            "started_wall": self.started_wall,
            "finished_wall": time.time(),
            "cpu_s": time.process_time() - self._cpu0_s,
        }
        return self._snapshot

    # ---------------------------------------------------------------- e2e pollers
    def follow(self, listing_id: int, program: str, since: float, created_at: float | None) -> None:
        """Poll ``listing_id`` until it answers 410, if a poller is free; else count a skip."""
        if self._pollers is None or self._pollers.full():
            self.e2e["skipped"] += 1
            return
        self.e2e["followed"] += 1
        self._pollers.spawn(self._poll, listing_id, program, since, created_at)

    def _quiet_client(self) -> api.TakedownClient:
        """A client whose requests stay out of Locust's totals and the HDR request series."""
        from locust.contrib.fasthttp import FastHttpSession
        from locust.event import EventHook

        if self._quiet is None:
            size = self._pollers.size if self._pollers is not None else 1
            session = FastHttpSession(
                self.host, request_event=EventHook(), user=None, concurrency=size
            )
            self._quiet = api.TakedownClient(api.LocustTransport(session))
        return self._quiet

    def _poll(self, listing_id: int, program: str, since: float, created_at: float | None) -> None:
        import gevent

        e2e = self.profile.e2e
        quiet = self._quiet_client()
        wait_s = e2e.poll_interval_s
        while time.perf_counter() - since < e2e.timeout_s:
            reply = quiet.listing(listing_id, None)
            if reply.status == 410:
                self._observed(reply, program, time.perf_counter() - since, created_at)
                return
            gevent.sleep(wait_s)
            wait_s = min(wait_s * e2e.poll_backoff, e2e.poll_interval_max_s)
        self.e2e["unfinished"] += 1

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
            for brand_id in due:
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
