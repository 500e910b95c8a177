"""Notices: filing (idempotent; remove-first by programme), reading, and the message thread."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from loadtest.service import events
from loadtest.service import schema as s
from loadtest.service.auth import Principal, Role, principal, require
from loadtest.service.context import Outcome, Service, decode_cursor, encode_cursor, service
from loadtest.service.events import Act
from loadtest.service.filing import file_job
from loadtest.service.idempotency import check_key, idempotent, request_hash
from loadtest.service.models import (
    ListingId,
    Message,
    MessageIn,
    MessagePage,
    Notice,
    NoticeIn,
    NoticePage,
    iso,
)
from loadtest.service.problems import Problem, responses

router = APIRouter(prefix="/v1/notices", tags=["notices"])
READERS: tuple[Role, ...] = ("rights_holder", "account_manager", "admin")


def notice_json(row: Any, items: list[Any]) -> dict[str, Any]:
    """The API view of a notice row and its items."""
    return {
        "id": row.id, "brand_id": row.brand_id, "program": row.program, "mode": row.mode,
        "status": row.status, "reason": row.reason, "evidence": row.evidence,
        "created_at": iso(row.created_at), "review_pending": bool(row.review_pending),
        "decision": row.decision, "decided_at": iso(row.decided_at),
        "notifier_name": row.notifier_name, "notifier_email": row.notifier_email,
        "right_relied_on": row.right_relied_on,
        "good_faith": None if row.good_faith is None else bool(row.good_faith),
        "source_type": row.source_type,
        "items": [{"listing_id": i.listing_id, "state_at_filing": i.state_at_filing,
                   "url": i.url} for i in items],
    }  # fmt: skip


def load_notice(conn: Connection, notice_id: int) -> dict[str, Any] | None:
    """A notice as JSON, or None."""
    row = conn.execute(select(s.notices).where(s.notices.c.id == notice_id)).first()
    if row is None:
        return None
    ni = s.notice_items
    items = conn.execute(
        select(ni).where(ni.c.notice_id == notice_id).order_by(ni.c.listing_id)
    ).all()
    return notice_json(row, list(items))


def visible_notice(conn: Connection, who: Principal, notice_id: int, lock: bool = False) -> Any:
    """The notice row if ``who`` may see it, else 404 (another tenant's looks absent)."""
    query = select(s.notices).where(s.notices.c.id == notice_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or not who.sees_brand(row.brand_id):
        raise Problem(404, f"no notice {notice_id} among your brands")
    return row


@router.post(
    "", status_code=201, response_model=Notice,
    responses=responses(401, 403, 409, 413, 422, 429),
)  # fmt: skip
async def file_notice(
    body: NoticeIn,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Any:
    """A rights holder files a notice with the Art. 16 elements; joint_force (and qualifying
    good_faith) removes at once. 403 while the notifier is suspended for misuse.

    Served by ``fastpath.FastFiling`` in front of the router; this route documents it."""
    return await file(svc, who, body, idempotency_key)


async def file(svc: Service, who: Principal, body: NoticeIn, idempotency_key: str | None
               ) -> JSONResponse:  # fmt: skip
    """File ``body`` for ``who`` (with its Idempotency-Key); the one filing path."""
    require(who, "rights_holder")
    key = check_key(idempotency_key)
    act = svc.act(who)
    fingerprint = (
        "" if key is None else request_hash("POST", "/v1/notices", body.model_dump(mode="json"))
    )
    ttl_s = svc.settings.idempotency_ttl_h * 3600.0
    job = idempotent(who.id, key, fingerprint, act.now, ttl_s, file_job(svc, who, body, act))
    try:
        outcome = await svc.write(job)
    except IntegrityError:  # another process stored the same key first: replay its answer
        outcome = await svc.write(job)
    svc.record(outcome)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


def _list(conn: Connection, who: Principal, status: str | None, after: int | None,
          limit: int) -> dict[str, Any]:  # fmt: skip
    n, ni = s.notices, s.notice_items
    query = select(n)
    if who.role == "rights_holder":
        query = query.where(n.c.brand_id == who.brand_id)
    elif who.role == "account_manager":
        query = query.where(n.c.brand_id.in_(sorted(who.brand_ids)))
    if status:
        query = query.where(n.c.status == status)
    if after is not None:
        query = query.where(n.c.id < after)
    rows = conn.execute(query.order_by(n.c.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items: dict[int, list[Any]] = defaultdict(list)
    if rows:
        sel = select(ni).where(ni.c.notice_id.in_([r.id for r in rows])).order_by(ni.c.listing_id)
        for item in conn.execute(sel):
            items[item.notice_id].append(item)
    cursor = encode_cursor(rows[-1].id) if more and rows else None
    return {"items": [notice_json(r, items[r.id]) for r in rows], "next_cursor": cursor}


@router.get("", response_model=NoticePage, responses=responses(401, 403, 422, 429))
def list_notices(
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
    status: Annotated[
        str | None, Query(pattern="^(pending_review|removed|approved|rejected)$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """The caller's notices (a brand's own; a manager's brands'; all for admin), newest first."""
    require(who, *READERS)
    after = decode_cursor(cursor)
    return svc.read(lambda conn: _list(conn, who, status, after, limit))


@router.get("/{notice_id}", response_model=Notice, responses=responses(401, 403, 404, 422, 429))
def get_notice(
    notice_id: ListingId,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """One notice with its items."""
    require(who, *READERS)

    def read(conn: Connection) -> dict[str, Any] | None:
        visible_notice(conn, who, notice_id)
        return load_notice(conn, notice_id)

    return svc.read(read)


def message_json(row: Any) -> dict[str, Any]:
    """The API view of a message row."""
    return {
        "id": row.id, "notice_id": row.notice_id, "author_role": row.author_role,
        "body": row.body, "created_at": iso(row.created_at),
    }  # fmt: skip


def _message_job(who: Principal, notice_id: int, body: MessageIn, act: Act) -> Any:
    def job(conn: Connection) -> Outcome:
        row = visible_notice(conn, who, notice_id)
        values = {
            "notice_id": notice_id, "author_id": who.id, "author_role": who.role,
            "body": body.body, "created_at": act.now,
        }  # fmt: skip
        new_id = conn.execute(s.messages.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
        events.log(conn, act, "message.post", "message", int(new_id), row.brand_id,
                   notice_id=notice_id)  # fmt: skip
        return Outcome(201, message_json(conn.execute(
            select(s.messages).where(s.messages.c.id == new_id)).one()))  # fmt: skip

    return job


@router.post(
    "/{notice_id}/messages", status_code=201, response_model=Message,
    responses=responses(401, 403, 404, 413, 422, 429),
)  # fmt: skip
async def post_message(
    notice_id: ListingId,
    body: MessageIn,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """The brand or its account manager writes on a notice's thread."""
    require(who, "rights_holder", "account_manager")
    outcome = await svc.write(_message_job(who, notice_id, body, svc.act(who)))
    return JSONResponse(outcome.body, status_code=201)


@router.get(
    "/{notice_id}/messages", response_model=MessagePage,
    responses=responses(401, 403, 404, 422, 429),
)  # fmt: skip
def list_messages(
    notice_id: ListingId,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """A notice's thread, oldest first."""
    require(who, *READERS)
    after = decode_cursor(cursor)

    def read(conn: Connection) -> dict[str, Any]:
        visible_notice(conn, who, notice_id)
        m = s.messages
        query = select(m).where(m.c.notice_id == notice_id)
        if after is not None:
            query = query.where(m.c.id > after)
        rows = conn.execute(query.order_by(m.c.id).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        cursor_out = encode_cursor(rows[-1].id) if more and rows else None
        return {"items": [message_json(r) for r in rows], "next_cursor": cursor_out}

    return svc.read(read)
