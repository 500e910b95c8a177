"""The harness inside one Locust process that generates load (a worker, or the local runner).

It owns this process's share of the arrival schedule, the slots its users wait in
(and the users it adds when they are all busy: ``loadtest.pool``), the HDR recorder,
the e2e pollers (``loadtest.followers``), the sweeps of the brands this process owns
(``loadtest.sweeps``) and the small caches the roles share.
``start`` begins dispatching; ``drain`` lets work finish and keeps reviewers working
while notices are followed; ``finish`` censors what is still open, stops and returns
a snapshot the master merges (or the local runner writes).
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any

import numpy as np

from loadtest.adapters.classes import load_class
from loadtest.adapters.mapped import MappedClient, mapped_keys
from loadtest.adapters.mapping import parse_mapping
from loadtest.arrivals import (
    Arrival,
    Dispatcher,
    Schedule,
    arrival_times,
    merge_schedules,
)
from loadtest.checks import Checker
from loadtest.config import Keys, RunConfig, load_keys
from loadtest.draws import mix_cdf
from loadtest.followers import Followers
from loadtest.hdr import Recorder
from loadtest.pool import Pool
from loadtest.profile import ROLES, Profile, profile_from_dict
from loadtest.replay import load_trace, replay_schedule
from loadtest.sweeps import Sweeps
from loadtest.timeline import Timeline
from sim.rng import Streams

DRAIN_S = 5.0  # in-flight arrivals may finish this long after the last one is dispatched


class Harness(Followers, Pool, Sweeps):
    """Per-process load generator state, reached by users as ``environment.td``."""

    def __init__(
        self, config: RunConfig, host: str, worker_index: int, request_event: Any = None
    ) -> None:
        self.config = config
        self.profile: Profile = profile_from_dict(config.profile)
        self.mapping = parse_mapping(config.mapping_text) if config.mapping_text else None
        self.adapter = load_class(config.adapter) if config.adapter else None
        self.keys: Keys = self._keys(config.keys_file)
        self.brand_list = self.keys.brand_ids() or [1]  # what shoppers browse
        mix = self.profile.shopper
        self.shopper_cdf = mix_cdf([mix.browse, mix.search, mix.view])
        self.shoppers_view = mix.view > 0
        self.host = host
        self.worker_index = worker_index
        self.streams = Streams(config.seed)
        self.recorder = Recorder()
        self.timeline = Timeline()
        self.recorder.timeline = self.timeline
        self.check = checker_of(config, self.recorder)
        self.request_event = request_event
        self._init_pool()
        self._init_sweeps()
        self._init_followers()
        self.own_listings: dict[str, deque[int]] = {}
        self.filed_notices: deque[tuple[str, int]] = deque(maxlen=500)
        self.follow_up = {"scheduled": 0, "started": 0, "dropped": 0}
        self.replay_sent: list[tuple[int, float]] = []
        self.replay_dropped: list[tuple[int, float]] = []  # (row, intended s): no user free
        self.replay_unnamed: list[tuple[int, float]] = []  # (row, s): no listing to name
        self._cpu0_s = time.process_time()
        self._background: list[Any] = []
        self._dispatcher: Dispatcher | None = None
        self._greenlet: Any = None
        self._snapshot: dict[str, Any] | None = None
        self.started_wall: float | None = None
        self.plan: dict[int, dict[str, int]] = {worker_index: {}}
        self.aborted: dict[str, Any] | None = None  # the threshold that stopped the run

    # ---------------------------------------------------------------- set-up
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

    def _keys(self, path: str) -> Keys:
        if self.adapter is not None and callable(getattr(self.adapter, "keys", None)):
            keys: Keys = self.adapter.keys(path)
            return keys
        return load_keys(path) if self.mapping is None else mapped_keys(self.mapping, path)

    def api_client(self, session: Any, record: Any) -> Any:
        """The API client over a Locust session: the reference API's, the mapping's, or
        the Python adapter's."""
        from loadtest import client as api

        if self.adapter is not None:
            auth = getattr(self.adapter, "auth", ("Authorization", "Bearer "))
            return self.adapter(api.LocustTransport(session, record, self.check, auth))
        if self.mapping is None:
            return api.TakedownClient(api.LocustTransport(session, record, self.check))
        auth = (self.mapping.auth.header, self.mapping.auth.prefix)
        transport = api.LocustTransport(session, record, self.check, auth)
        return MappedClient(self.mapping, transport)

    def removal_stream_path(self) -> str | None:
        """Where the service publishes removals: the reference API's path, the mapping's
        ``[removals] path``, or the adapter class's ``removal_stream`` (None: poll)."""
        from loadtest.client import REMOVAL_STREAM_PATH

        if self.adapter is not None:
            path: str | None = getattr(self.adapter, "removal_stream", REMOVAL_STREAM_PATH)
            return path
        return self.mapping.removals.path if self.mapping is not None else REMOVAL_STREAM_PATH

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

        if self._greenlet is not None:
            return
        self.plan = plan
        self._cpu0_s = time.process_time()
        if self.config.warmup_s > 0:
            self.recorder.warm_up(self.config.warmup_s)
        self._start_followers()  # subscribed before the first sweep: no removal is missed
        if self.profile.rate_of("rights_holder") > 0 or self.config.replay:
            for brand_id in self.own_brands():
                self._sweep(brand_id)
        self._background.append(gevent.spawn(self._sweep_loop))
        for role in ROLES:
            slots = self.slots[role]
            placed = plan.get(self.worker_index, {}).get(role, 0)
            most = math.ceil(self.profile.max_pool_of(role) * self.share(role))
            slots.room = max(0, most - placed)
            slots.grow = lambda role=role: self._grow(role)
            slots.on_free = self._censor_dropped
        self._dispatcher = Dispatcher(self.schedule(), self.slots, on_offer=self.timeline.arrival)
        self.started_wall = time.time()
        t0 = time.perf_counter()
        self.timeline.start(t0)
        self._greenlet = gevent.spawn(self._dispatcher.run, t0)

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

    # ---------------------------------------------------------------- ending
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
        self._stop_followers(now)
        self._censor_left_dropped(now)  # dropped arrivals no user came free for
        tally = self._dispatcher.tally if self._dispatcher else None
        self._snapshot = {
            "worker_index": self.worker_index,
            "recorder": self.recorder.encode(),
            "steady": self.recorder.steady.encode() if self.recorder.steady else None,
            "timeline": self.timeline.encode(),
            "aborted": self.aborted,
            "counts": self.recorder.counts(),
            "arrivals": tally.as_dict() if tally else {},
            "e2e": dict(self.e2e),
            "follow_up": dict(self.follow_up),
            "grown_users": {r: self.slots[r].grown for r in ROLES},
            "own_brands": self.own_brands(),
            "crosscheck_s": list(self.crosscheck_s),
            "stream_delay_s": list(self.stream_delay_s),
            "replay_sent": list(self.replay_sent),
            "replay_dropped": list(self.replay_dropped),
            "replay_unnamed": list(self.replay_unnamed),
            "started_wall": self.started_wall,
            "finished_wall": time.time(),
            "cpu_s": time.process_time() - self._cpu0_s,
        }
        return self._snapshot


def checker_of(config: RunConfig, recorder: Recorder) -> Checker | None:
    """The SLO file's content checks, recording into ``recorder`` (None without any)."""
    from loadtest.results import KNOWN_METRICS
    from loadtest.slo import parse_spec

    checks = parse_spec(config.slo_text, KNOWN_METRICS).checks if config.slo_text else []
    return Checker(checks, recorder.record) if checks else None


def _combine(base: Schedule, extra: Schedule) -> Schedule:
    """Two schedules in one, in time order, keeping payloads aligned."""
    times = np.concatenate([base.times_s, extra.times_s])
    roles = base.roles + extra.roles
    payloads = (None,) * len(base) + (extra.payloads or (None,) * len(extra))
    order = np.argsort(times, kind="stable")
    return Schedule(times[order], tuple(roles[i] for i in order), tuple(payloads[i] for i in order))
