"""The brands' sweeps: each brand re-reads its live listings in the background.

The rights holders of this process pick the listings they name from their brand's last
sweep, so a notice never waits on a listing search. A mixin of
``loadtest.harness.Harness``, which holds the host and the request event it reads.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any, cast

from loadtest import client as api
from loadtest.hdr import Recorder

if TYPE_CHECKING:
    from loadtest.harness import Harness

SWEEP_S = 1.0  # brands re-read the listings they picked from this often


class Sweeps:
    """Brand sweeps and the listings they saw."""

    # the harness's, read here
    recorder: Recorder
    host: str
    request_event: Any
    check: api.Check | None

    def _init_sweeps(self) -> None:
        self.brand_cache: dict[int, tuple[float, list[dict[str, Any]]]] = {}
        self.seen_listings: deque[int] = deque(maxlen=2000)
        self.brand_known: dict[int, list[int]] = {}
        self._sweeper: api.TakedownClient | None = None
        self._swept_brands: set[int] = set()

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
            self._sweeper = cast("Harness", self).api_client(session, self.recorder.record)
        return self._sweeper
