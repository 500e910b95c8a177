"""Removals as they happen, as server-sent events: what a load test times takedowns by.

``GET /v1/removals/stream`` (public, like listing reads) sends one ``removal`` event
per listing removed after the stream opened (or after the event id in
``Last-Event-ID`` or ``since``), in the order the audit log recorded them, each with
the server's own removal time::

    id: 42
    event: removal
    data: {"listing_id": 7, "notice_id": 3, "removed_at": 1764750000.123}

A comment line every few seconds keeps an idle stream open. The stream reads the
audit log every ``POLL_S``; it rereads a short window behind the last id it sent, so
a removal whose transaction committed after a later one (PostgreSQL sequences) is
still sent, once.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Sequence
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Connection, func, select
from starlette.concurrency import run_in_threadpool

from loadtest.service import schema as s
from loadtest.service.context import Service, service

router = APIRouter(tags=["listings"])
POLL_S = 0.05  # how often the stream looks for new removals
KEEPALIVE_S = 5.0
WINDOW = 200  # ids reread behind the last one sent
BATCH = 500


def _last_id(conn: Connection) -> int:
    return int(conn.execute(select(func.max(s.audit.c.id))).scalar() or 0)


def _after(conn: Connection, first: int) -> Sequence[Any]:
    a = s.audit
    return conn.execute(
        select(a.c.id, a.c.listing_id, a.c.notice_id, a.c.at)
        .where(a.c.id > first, a.c.action == "remove")
        .order_by(a.c.id)
        .limit(BATCH)
    ).all()


def _event(row: Any) -> str:
    data = {"listing_id": row.listing_id, "notice_id": row.notice_id, "removed_at": row.at}
    return f"id: {row.id}\nevent: removal\ndata: {json.dumps(data)}\n\n"


async def _events(request: Request, svc: Service, start: int) -> AsyncIterator[str]:
    sent: deque[int] = deque(maxlen=4 * WINDOW)
    last, idle_s = start, 0.0
    yield ": removals\n\n"
    while not await request.is_disconnected():
        floor = max(start, last - WINDOW)
        rows = await run_in_threadpool(svc.read, partial(_after, first=floor))
        fresh = [r for r in rows if r.id not in sent]
        for row in fresh:
            sent.append(row.id)
            last = max(last, row.id)
            yield _event(row)
        if fresh:
            idle_s = 0.0
            continue
        await asyncio.sleep(POLL_S)
        idle_s += POLL_S
        if idle_s >= KEEPALIVE_S:
            idle_s = 0.0
            yield ": keep-alive\n\n"


@router.get(
    "/v1/removals/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def removal_stream(
    request: Request,
    svc: Annotated[Service, Depends(service)],
    since: Annotated[int | None, Query(ge=0, description="Send removals after this id.")] = None,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
) -> StreamingResponse:
    """Server-sent events: each listing removal with the server's removal time."""
    start = since if since is not None else last_event_id
    if start is None:
        start = await run_in_threadpool(svc.read, _last_id)
    return StreamingResponse(
        _events(request, svc, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
