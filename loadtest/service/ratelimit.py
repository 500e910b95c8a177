"""Rate limits per principal (per client address when anonymous) and the body-size cap.

The limiter resolves the caller the same way authentication does (any case of
``Bearer``, any spacing), so a key has one bucket however its header is written; an
unknown key counts against its client address, like an anonymous request. Buckets
live in a bounded LRU: whatever keys or addresses are tried, memory stays bounded,
and an evicted bucket is one that had been idle longest. Answers carry ``RateLimit-*``
headers. With ``--workers N`` each worker process keeps its own buckets.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loadtest.service.auth import KeyStore, hash_key, normalise_bearer
from loadtest.service.clock import Clock, system_clock
from loadtest.service.problems import problem_response

EXEMPT_PATHS = ("/healthz", "/readyz", "/metrics")
MAX_BUCKETS = 50_000


@dataclass(frozen=True)
class Verdict:
    """What the limiter decided for one request."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # seconds until the bucket is full again (or, refused, until one token)

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The ``RateLimit-Limit``, ``-Remaining`` and ``-Reset`` headers."""
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_s).encode()),
        ]


class TokenBuckets:
    """A bucket of ``burst`` tokens per key refilled at ``rate_per_s``; at most ``max_keys``."""

    def __init__(self, rate_per_s: float, burst: float, max_keys: int = MAX_BUCKETS,
                 clock: Clock = system_clock) -> None:  # fmt: skip
        self.rate_per_s = rate_per_s
        self.burst = max(burst, 1.0)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> Verdict:
        """Spend one token of ``key``'s bucket if it has one."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + max(now - last, 0.0) * self.rate_per_s)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)  # the longest idle: nearest to full
        if allowed:
            wait = (self.burst - tokens) / self.rate_per_s
        else:
            wait = (1.0 - tokens) / self.rate_per_s
        return Verdict(allowed, int(self.burst), int(tokens), max(1, math.ceil(wait)))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


class RateLimitMiddleware:
    """429 with ``Retry-After`` once a principal (or an anonymous address) spent its bucket."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets | None,
                 anonymous: TokenBuckets | None, keys: KeyStore) -> None:  # fmt: skip
        self.app = app
        self.buckets = buckets
        self.anonymous = anonymous
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        auth = _header(scope, b"authorization")
        token = normalise_bearer(auth.decode("latin-1")) if auth else None
        client = scope.get("client") or ("unknown", 0)
        address = f"a:{client[0]}"
        verdict: Verdict | None = None
        who = None
        if token is not None:
            digest = hash_key(token)
            if self.keys.due():
                await run_in_threadpool(self.keys.refresh)
            hit, who = self.keys.cached(digest)
            if not hit:  # a key not seen yet: its address pays before the database is asked
                verdict = self.anonymous.take(address) if self.anonymous else None
                if verdict is None or verdict.allowed:
                    who = await run_in_threadpool(self.keys.lookup, digest)
            if who is not None and self.buckets is not None:
                verdict = self.buckets.take(f"p:{who.id}")
            elif who is not None:
                verdict = None
        if who is not None:
            scope.setdefault("state", {})["principal"] = who
        elif verdict is None and self.anonymous is not None:
            verdict = self.anonymous.take(address)
        if verdict is None:
            await self.app(scope, receive, send)
            return
        if not verdict.allowed:
            await self._refuse(scope, receive, send, verdict, who is not None)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *verdict.headers()]
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, verdict: Verdict,
                      keyed: bool) -> None:  # fmt: skip
        headers = {k.decode(): v.decode() for k, v in verdict.headers()}
        headers["Retry-After"] = str(verdict.reset_s)
        whom = "this key" if keyed else "this client address"
        response = problem_response(429, f"rate limit exceeded for {whom}", headers)
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """413 for bodies over ``max_bytes`` (by Content-Length, or counted while streaming)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"request body over {self.max_bytes} bytes"
        response = problem_response(413, detail, {"Connection": "close"})
        await response(scope, receive, send)
