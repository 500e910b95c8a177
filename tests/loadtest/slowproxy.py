"""A reverse proxy that slows every request, and can stall all of them for a while.

Test-only: it stands in front of the real service to make a slow server, so the
open-model tests can show that the offered rate holds and that a stall shows in the
latency measured from the intended start. Run as
``python -m tests.loadtest.slowproxy --upstream URL --port P --delay-ms 200
--stall-at-s 3 --stall-s 1`` (the stall is timed from the first /v1/ request it sees).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


@dataclass
class Slowdown:
    """Delay per request, and a stall window measured from the first request."""

    delay_s: float
    stall_at_s: float | None
    stall_s: float
    first: float | None = field(default=None)

    def wait_s(self, now: float) -> float:
        """How long a request arriving at ``now`` is held before it is forwarded."""
        if self.first is None:
            self.first = now
        wait = self.delay_s
        if self.stall_at_s is not None:
            start = self.first + self.stall_at_s
            if start <= now < start + self.stall_s:
                wait += start + self.stall_s - now
        return wait


def create_app(upstream: str, slow: Slowdown) -> Starlette:
    """The proxy app: hold, then forward to ``upstream`` and relay the answer."""
    client = httpx.AsyncClient(base_url=upstream, timeout=30.0)

    async def forward(request: Request) -> Response:
        if request.url.path == "/v1/removals/stream":  # a proxy that relays no streams:
            return Response(status_code=404)  # the harness falls back to polling
        if request.url.path.startswith("/v1/"):  # probes and health checks do not start the clock
            await asyncio.sleep(slow.wait_s(time.monotonic()))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        reply = await client.request(
            request.method,
            request.url.path,
            params=request.query_params,
            headers=headers,
            content=await request.body(),
        )
        out = {k: v for k, v in reply.headers.items() if k.lower() not in HOP_HEADERS}
        out.pop("content-encoding", None)
        return Response(reply.content, status_code=reply.status_code, headers=out)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


def main() -> None:
    """Parse flags and serve on 127.0.0.1."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=200.0)
    parser.add_argument("--stall-at-s", type=float, default=None)
    parser.add_argument("--stall-s", type=float, default=0.0)
    args = parser.parse_args()
    slow = Slowdown(args.delay_ms / 1000.0, args.stall_at_s, args.stall_s)
    app = create_app(args.upstream, slow)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
