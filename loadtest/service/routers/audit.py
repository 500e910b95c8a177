"""The audit log (admin only): removals and restorations (``/v1/audit``) and every state
change with its actor and request id (``/v1/audit/events``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Connection, select

from loadtest.service import schema as s
from loadtest.service.auth import Principal, principal, require
from loadtest.service.context import Service, decode_cursor, encode_cursor, service
from loadtest.service.models import AuditPage, EventPage, iso
from loadtest.service.problems import responses
from loadtest.service.routers.statements import From, To, period

router = APIRouter(prefix="/v1/audit", tags=["audit"])


def audit_json(row: Any) -> dict[str, Any]:
    """The API view of an audit row."""
    return {
        "id": row.id, "at": iso(row.at), "actor_id": row.actor_id,
        "actor_role": row.actor_role, "action": row.action, "listing_id": row.listing_id,
        "brand_id": row.brand_id, "program": row.program, "notice_id": row.notice_id,
        "counter_notice_id": row.counter_notice_id,
    }  # fmt: skip


def _page(conn: Connection, listing_id: int | None, after: int | None, limit: int) -> Any:
    a = s.audit
    query = select(a)
    if listing_id is not None:
        query = query.where(a.c.listing_id == listing_id)
    if after is not None:
        query = query.where(a.c.id > after)
    rows = conn.execute(query.order_by(a.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].id) if more and rows else None
    return {"items": [audit_json(r) for r in rows], "next_cursor": cursor}


@router.get("", response_model=AuditPage, responses=responses(401, 403, 422, 429))
def list_audit(
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
    listing_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """Removals and restorations, oldest first, optionally of one listing."""
    require(who, "admin")
    after = decode_cursor(cursor)
    return svc.read(lambda conn: _page(conn, listing_id, after, limit))


def event_json(row: Any) -> dict[str, Any]:
    """The API view of an event row."""
    return {
        "id": row.id, "at": iso(row.at), "actor_id": row.actor_id,
        "actor_role": row.actor_role, "request_id": row.request_id, "action": row.action,
        "object_type": row.object_type, "object_id": row.object_id, "brand_id": row.brand_id,
        "detail": json.loads(row.detail),
    }  # fmt: skip


@router.get("/events", response_model=EventPage, responses=responses(401, 403, 422, 429))
def list_events(
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
    start: From = None,
    end: To = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """Every state change in ``[from, to)``, oldest first: notices, decisions, claims,
    removals, complaints, suspensions, key changes."""
    require(who, "admin")
    after = decode_cursor(cursor)
    lo, hi = period(start, end)
    ev = s.events

    def read(conn: Connection) -> dict[str, Any]:
        query = select(ev).where(ev.c.at >= lo, ev.c.at < hi)
        if after is not None:
            query = query.where(ev.c.id > after)
        rows = conn.execute(query.order_by(ev.c.id).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = encode_cursor(rows[-1].id) if more and rows else None
        return {"items": [event_json(r) for r in rows], "next_cursor": nxt}

    return svc.read(read)
