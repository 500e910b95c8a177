"""The users of each role in this process: a pool that grows on demand, and its drops.

Locust places a role's first users; when an arrival finds them all busy the pool adds
one more (up to the profile's maximum, at this process's share). An arrival that still
finds no user is dropped; once a user of its role comes free (or the run ends) it
enters its defining request's latency, censored at the time it waited, and is flagged
in Locust's tables as a ``DroppedArrival``. A mixin of ``loadtest.harness.Harness``.
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from loadtest import client as api
from loadtest.arrivals import Arrival, Slots
from loadtest.hdr import Recorder
from loadtest.profile import ROLES
from loadtest.replay import ReplayNotice
from sim.rng import Streams

if TYPE_CHECKING:
    from loadtest.harness import Harness


class DroppedArrival(Exception):
    """How Locust's tables flag an arrival no user could start (a censored latency)."""


class Pool:
    """Each role's slots, the users added to them and the arrivals they dropped."""

    # the harness's, read here
    recorder: Recorder
    host: str
    request_event: Any
    streams: Streams
    worker_index: int
    check: api.Check | None

    def _init_pool(self) -> None:
        self.slots = {role: Slots() for role in ROLES}
        self.users = dict.fromkeys(ROLES, 0)
        self._user_no = itertools.count()
        self._drop_rng = self.streams.get(f"dropped.{self.worker_index}")

    def user_rng(self, role: str) -> np.random.Generator:
        """A fresh named stream for one user of ``role`` in this process."""
        self.users[role] += 1
        return self.streams.get(f"user.{role}.{self.worker_index}.{next(self._user_no)}")

    def role_record(self, role: str) -> api.Record:
        """What a user of ``role`` records with: each request under its name and under
        ``role.<role>`` (the role's scope for SLO gates)."""
        record_each, scope = self.recorder.record_each, f"role.{role}"

        def both(name: str, seconds: float, ok: bool) -> None:
            record_each((name, scope), seconds, ok)

        return both

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
        harness = cast("Harness", self)
        client = harness.api_client(session, self.role_record(role))
        actor = Actor(client, self.user_rng(role), harness)
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
        harness = cast("Harness", self)
        for arrival in dropped:
            if isinstance(arrival.payload, ReplayNotice):  # a trace row no user could send
                t0 = harness.since_start_s() - (time.perf_counter() - arrival.intended)
                harness.replay_dropped.append((arrival.payload.row, t0))
            name = defining_request(harness, arrival, self._drop_rng)
            waited_s = max(now - arrival.intended, 0.0)
            self.recorder.record_censored(name, waited_s)
            self.recorder.record_censored(f"role.{arrival.role}", waited_s)
            if self.request_event is not None:
                self.request_event.fire(
                    request_type=name.split()[0], name=name, response_time=waited_s * 1000.0,
                    response_length=0, exception=DroppedArrival("every user busy"),
                    context={}, response=None, url=None, start_time=None,
                )  # fmt: skip

    def _censor_left_dropped(self, now: float) -> None:
        """The run ends: dropped arrivals no user came free for are censored at ``now``."""
        for role in ROLES:
            dropped, self.slots[role].dropped = self.slots[role].dropped, []
            self._censor_dropped(dropped, now)
