"""The e2e notice followers: every filed notice's listing is polled until it is removed.

A follower polls its listing, backing off, until the service answers 410 (its removal,
observed) or the notice's timeout (unfinished: a censored latency). The pollers share
one client and a gate that bounds how many poll at once in this process. A mixin of
``loadtest.harness.Harness``, which holds the profile, recorder and plan it reads.
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any, cast

from loadtest import client as api
from loadtest.hdr import Recorder
from loadtest.profile import Profile

if TYPE_CHECKING:
    from loadtest.harness import Harness

E2E = "e2e_takedown"


class Followers:
    """Follows notices to their removal, recording ``e2e_takedown`` (and per program)."""

    # the harness's, read here
    profile: Profile
    recorder: Recorder
    host: str
    request_event: Any
    plan: dict[int, dict[str, int]]
    check: api.Check | None

    def _init_followers(self) -> None:
        self.e2e = {"followed": 0, "unfinished": 0, "stale": 0, "nothing_to_name": 0}
        self.crosscheck_s: list[float] = []
        self._followers: Any = None
        self._poll_gate: Any = None
        self._open: dict[int, tuple[str, float]] = {}
        self._follow_no = itertools.count()
        self._poller: api.TakedownClient | None = None

    def _start_followers(self) -> None:
        from gevent.lock import BoundedSemaphore
        from gevent.pool import Group

        self._followers = Group()
        self._poll_gate = BoundedSemaphore(self._poll_slots())

    def _poll_slots(self) -> int:
        return max(1, self.profile.e2e.max_pollers // max(len(self.plan), 1))

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
            self._poller = cast("Harness", self).api_client(session, self.recorder.record)
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

    def _stop_followers(self, now: float) -> None:
        """The run ends: notices still open are unfinished at ``now``; pollers stop."""
        for program, since in list(self._open.values()):
            self._unfinished(program, now - since)
        self._open.clear()
        if self._followers is not None:
            self._followers.kill(block=True)
