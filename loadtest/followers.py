"""The e2e notice followers: every filed notice is followed until its listing is removed.

With the service's removal stream (``loadtest.stream``) a notice closes when its
listing's removal event arrives, timed by the server's removal time; without it (or
once it ends) a follower polls its listing, backing off, until the service answers
410. A notice not seen removed by its timeout (after one last poll) is unfinished: a
censored latency. The pollers share one client and a gate that bounds how many poll
at once in this process. A mixin of ``loadtest.harness.Harness``, which holds the
profile, recorder and plan it reads.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from loadtest import client as api
from loadtest.config import RunConfig
from loadtest.hdr import Recorder
from loadtest.profile import Profile
from loadtest.stream import Removal, RemovalStream

if TYPE_CHECKING:
    from loadtest.harness import Harness

E2E = "e2e_takedown"
EXPIRE_S = 0.25  # how often notices past their timeout are looked for (stream mode)
REMEMBERED = 20_000  # recent removals kept, for notices whose reply comes after the event


@dataclass(frozen=True)
class Followed:
    """A notice awaiting its listing's removal event."""

    token: int
    program: str
    since: float  # perf_counter s: the notice's intended filing
    created_at: float | None  # the service's filing time (epoch s)


class Followers:
    """Follows notices to their removal, recording ``e2e_takedown`` (and per program)."""

    # the harness's, read here
    profile: Profile
    config: RunConfig
    recorder: Recorder
    host: str
    request_event: Any
    plan: dict[int, dict[str, int]]
    check: api.Check | None

    def _init_followers(self) -> None:
        self.e2e = {
            "followed": 0, "unfinished": 0, "stale": 0, "nothing_to_name": 0,
            "seen_by_stream": 0, "seen_by_poll": 0,
        }  # fmt: skip
        self.stream_delay_s: list[float] = []  # server's removal until its event arrived
        self._stream: RemovalStream | None = None
        self._watch: dict[int, list[Followed]] = {}  # listing -> notices awaiting its removal
        self._removed: OrderedDict[int, Removal] = OrderedDict()  # recent removals seen
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
        path = cast("Harness", self).removal_stream_path()
        if self.profile.e2e.observe == "stream" and self.files_notices() and path:
            self._subscribe(path)

    def files_notices(self) -> bool:
        """Whether this run files notices at all (else there is nothing to follow)."""
        return self.profile.rate_of("rights_holder") > 0 or bool(self.config.replay)

    def _subscribe(self, path: str) -> None:
        """Open the removal stream (polling stays the way when the service has none)."""
        from locust.event import EventHook

        event = self.request_event if self.request_event is not None else EventHook()
        record = self.recorder.record
        stream = RemovalStream(self.host, self._on_removal, event.fire, record, path)
        if stream.open():
            self._stream = stream
            self._followers.spawn(self._read_stream, stream)
            self._followers.spawn(self._expire_loop)

    def _read_stream(self, stream: RemovalStream) -> None:
        """Read removals until the stream ends; then every watched notice is polled."""
        stream.run()
        if self._stream is stream:
            self._stream = None
            watched, self._watch = self._watch, {}
            for listing_id, entries in watched.items():
                for f in entries:
                    self._followers.spawn(
                        self._poll, f.token, listing_id, f.program, f.since, f.created_at
                    )

    def _on_removal(self, removal: Removal) -> None:
        """A removal event: it closes every notice awaiting that listing."""
        self.stream_delay_s.append(time.time() - removal.removed_at)
        self._removed[removal.listing_id] = removal
        while len(self._removed) > REMEMBERED:
            self._removed.popitem(last=False)
        for f in self._watch.pop(removal.listing_id, []):
            self._close_by_stream(f, removal)

    def _close_by_stream(self, f: Followed, removal: Removal) -> None:
        """Time a notice by the server's removal time, on this process's clock."""
        if self._open.pop(f.token, None) is None:
            return
        wall_since = time.time() - (time.perf_counter() - f.since)
        self._settle(f.program, removal.removed_at - wall_since, removal.removed_at, f.created_at)
        self.e2e["seen_by_stream"] += 1

    def _expire_loop(self) -> None:
        """Notices whose timeout passed: one last poll, then unfinished if still up."""
        import gevent

        timeout_s = self.profile.e2e.timeout_s
        while True:
            gevent.sleep(EXPIRE_S)
            now = time.perf_counter()
            for listing_id in list(self._watch):
                entries = self._watch[listing_id]
                due = [f for f in entries if now - f.since >= timeout_s]
                if not due:
                    continue
                self._watch[listing_id] = [f for f in entries if now - f.since < timeout_s]
                if not self._watch[listing_id]:
                    del self._watch[listing_id]
                for f in due:
                    self._followers.spawn(self._last_look, f, listing_id)

    def _last_look(self, f: Followed, listing_id: int) -> None:
        """One poll of a notice the stream did not close in time."""
        with self._poll_gate:
            reply = self._poll_client().poll_listing(listing_id)
        if self._open.pop(f.token, None) is None:
            return
        if reply.status == 410:
            self._observed(reply, f.program, time.perf_counter() - f.since, f.created_at)
        else:
            self._unfinished(f.program, time.perf_counter() - f.since)

    def _poll_slots(self) -> int:
        return max(1, self.profile.e2e.max_pollers // max(len(self.plan), 1))

    def follow(self, listing_id: int, program: str, since: float, created_at: float | None) -> None:
        """Poll ``listing_id`` until it answers 410 or its timeout (every notice is followed)."""
        if self._followers is None:
            return
        self.e2e["followed"] += 1
        token = next(self._follow_no)
        self._open[token] = (program, since)
        if self._stream is None:
            self._followers.spawn(self._poll, token, listing_id, program, since, created_at)
            return
        followed = Followed(token, program, since, created_at)
        known = self._removed.get(listing_id)  # its event may come before the notice's reply
        if known is not None:
            self._close_by_stream(followed, known)
        else:
            self._watch.setdefault(listing_id, []).append(followed)

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
        if self._settle(program, observed_s, api.removed_at(reply), created_at):
            self.e2e["seen_by_poll"] += 1

    def _settle(
        self, program: str, observed_s: float, removed: float | None, created_at: float | None
    ) -> bool:
        """Record a notice seen removed (False: its listing was removed before it)."""
        if removed is not None and created_at is not None:
            service_s = removed - created_at
            if service_s < -0.5:  # removed before this notice: another notice got there first
                self.e2e["stale"] += 1
                return False
            self.crosscheck_s.append(observed_s - service_s)
        observed_s = max(observed_s, 0.0)
        self.recorder.record(E2E, observed_s)
        self.recorder.record(f"{E2E}.{program}", observed_s)
        return True

    def _stop_followers(self, now: float) -> None:
        """The run ends: notices still open are unfinished at ``now``; pollers stop."""
        for program, since in list(self._open.values()):
            self._unfinished(program, now - since)
        self._open.clear()
        self._watch.clear()
        stream, self._stream = self._stream, None
        if self._followers is not None:
            self._followers.kill(block=True)  # the stream's reader too, before it is closed
        if stream is not None:
            stream.close()
