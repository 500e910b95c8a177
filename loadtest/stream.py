"""The service's removal events, read as they happen (server-sent events).

``RemovalStream`` opens ``GET /v1/removals/stream`` and hands each ``removal`` event
(listing id, notice id, the server's removal time) to a callback. ``open`` says
whether the service has the stream at all (an older or another service may not: the
harness then polls each notice's listing instead: an answer of 404, 405 or 501 is
counted as a request but not as a failure); ``run`` reads until the
connection ends and returns, so the caller can fall back to polling.

It runs inside a Locust process, where the socket module is gevent's: reading blocks
only this greenlet.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from loadtest.client import REMOVAL_STREAM as STREAM_NAME
from loadtest.client import REMOVAL_STREAM_PATH as STREAM_PATH

CONNECT_TIMEOUT_S = 2.0  # no stream headers by then (a buffering proxy): poll instead
NOT_OFFERED = frozenset({404, 405, 501})  # answers of a service that has no such stream


@dataclass(frozen=True)
class Removal:
    """One removal the service published."""

    listing_id: int
    notice_id: int | None
    removed_at: float  # the server's clock, epoch seconds


def parse_event(lines: list[str]) -> Removal | None:
    """One SSE event's lines into a Removal (None for comments and other events)."""
    kind, data = "message", []
    for line in lines:
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            kind = value
        elif field == "data":
            data.append(value)
    if kind != "removal" or not data:
        return None
    try:
        doc = json.loads("\n".join(data))
        notice = doc.get("notice_id")
        return Removal(
            int(doc["listing_id"]), int(notice) if notice is not None else None,
            float(doc["removed_at"]),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None


class RemovalStream:
    """A subscription to the service's removals; ``on_removal`` gets each one."""

    def __init__(
        self,
        host: str,
        on_removal: Callable[[Removal], None],
        report: Callable[..., Any],
        record: Callable[[str, float, bool], None],
        path: str = STREAM_PATH,
    ) -> None:
        self.url = urlsplit(host)
        self.path = path
        self.on_removal = on_removal
        self.report = report  # Locust's request event (the subscription shows as a request)
        self.record = record  # and the HDR recorder
        self.response: Any = None
        self.connection: Any = None

    def open(self) -> bool:
        """Subscribe; False when the service has no stream (or cannot be reached)."""
        cls = (
            http.client.HTTPSConnection
            if self.url.scheme == "https"
            else http.client.HTTPConnection
        )
        conn = cls(self.url.hostname or "127.0.0.1", self.url.port, timeout=CONNECT_TIMEOUT_S)
        start = time.perf_counter()
        try:
            conn.request("GET", self.path, headers={"Accept": "text/event-stream"})
            resp = conn.getresponse()
        except OSError as exc:
            self._report(start, exc)
            conn.close()
            return False
        ok = resp.status == 200 and "text/event-stream" in (resp.getheader("content-type") or "")
        offered = resp.status not in NOT_OFFERED  # a 404 says "no stream here": no failure
        self._report(start, None if ok or not offered else RuntimeError(f"HTTP {resp.status}"))
        if not ok:
            conn.close()
            return False
        if conn.sock is not None:
            conn.sock.settimeout(None)  # idle streams wait; keep-alive comments come anyway
        self.connection, self.response = conn, resp
        return True

    def _report(self, start: float, exc: Exception | None) -> None:
        elapsed_s = time.perf_counter() - start
        self.record(STREAM_NAME, elapsed_s, exc is None)
        self.report(
            request_type="GET", name=STREAM_NAME, response_time=elapsed_s * 1e3,
            response_length=0, exception=exc, context={}, response=None, url=None,
            start_time=None,
        )  # fmt: skip

    def run(self) -> None:
        """Read events until the stream ends (the server closed it, or ``close``)."""
        lines: list[str] = []
        try:
            while True:
                raw = self.response.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line:
                    lines.append(line)
                    continue
                removal = parse_event(lines)
                lines = []
                if removal is not None:
                    self.on_removal(removal)
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            return  # the connection ended (AttributeError: closed under the reader)

    def close(self) -> None:
        """End the subscription."""
        if self.connection is not None:
            # a reader still inside it raises RuntimeError: the socket goes anyway
            with contextlib.suppress(OSError, RuntimeError):
                self.connection.close()
