"""Statements of reasons (DSA Art. 17): the affected seller or notifier reads its own;
the admin reads all and exports them as JSON lines for the Transparency Database."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import Connection, select

from loadtest.service import schema as s
from loadtest.service import sor
from loadtest.service.auth import Principal, principal, require
from loadtest.service.context import Service, decode_cursor, encode_cursor, service
from loadtest.service.models import ListingId, Statement, StatementPage
from loadtest.service.problems import Problem, responses

router = APIRouter(prefix="/v1/statements", tags=["statements"])
NDJSON = "application/x-ndjson"


def period(start: datetime | None, end: datetime | None) -> tuple[float, float]:
    """Epoch bounds of ``[from, to)``; 422 when ``to`` is not after ``from``."""
    lo = start.timestamp() if start is not None else 0.0
    hi = end.timestamp() if end is not None else float(2**53)
    if hi <= lo:
        raise Problem(422, "to: must be after from")
    return lo, hi


From = Annotated[datetime | None, Query(alias="from", description="ISO 8601, inclusive")]
To = Annotated[datetime | None, Query(alias="to", description="ISO 8601, exclusive")]


def concerns(who: Principal, row: Any) -> bool:
    """Whether ``row`` restricts ``who``: its seller's listing or account, or a notifier's
    notices (the admin sees all)."""
    if who.role == "seller":
        return bool(row.seller_id == who.seller_id)
    if who.role == "rights_holder":
        return bool(row.principal_id == who.id)
    return who.role == "admin"


def _page(conn: Connection, who: Principal, after: int | None, limit: int, base: str) -> Any:
    st = s.statements
    query = select(st)
    if who.role == "seller":
        query = query.where(st.c.seller_id == who.seller_id)
    elif who.role == "rights_holder":
        query = query.where(st.c.principal_id == who.id)
    if after is not None:
        query = query.where(st.c.id > after)
    rows = conn.execute(query.order_by(st.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].id) if more and rows else None
    return {"items": [sor.statement_json(r, base) for r in rows], "next_cursor": cursor}


@router.get("", response_model=StatementPage, responses=responses(401, 403, 422, 429))
def list_statements(
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """A seller's or notifier's statements of reasons (the admin: everyone's), oldest
    first."""
    require(who, "seller", "rights_holder", "admin")
    after = decode_cursor(cursor)
    return svc.read(lambda c: _page(c, who, after, limit, svc.settings.base_url))


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {"content": {NDJSON: {"schema": {"type": "string"}}}},
        **responses(401, 403, 422, 429),
    },
)
def export_statements(
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
    start: From = None,
    end: To = None,
) -> Response:
    """Statements issued in ``[from, to)`` as JSON lines in the Transparency Database
    submission API's fields (``tdb_statement.schema.json``)."""
    require(who, "admin")
    lo, hi = period(start, end)
    st = s.statements

    def read(conn: Connection) -> list[Any]:
        query = select(st).where(st.c.created_at >= lo, st.c.created_at < hi)
        return list(conn.execute(query.order_by(st.c.id)).all())

    base = svc.settings.base_url
    lines = [json.dumps(sor.tdb_record(r, base), sort_keys=True) for r in svc.read(read)]
    return Response("".join(line + "\n" for line in lines), media_type=NDJSON)


@router.get("/{statement_id}", response_model=Statement,
            responses=responses(401, 403, 404, 422, 429))  # fmt: skip
def get_statement(
    statement_id: ListingId,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """One statement of reasons: its seller's or notifier's or the admin's to read
    (others: 404)."""
    require(who, "seller", "rights_holder", "admin")
    st = s.statements
    row = svc.read(lambda c: c.execute(select(st).where(st.c.id == statement_id)).first())
    if row is None or not concerns(who, row):
        raise Problem(404, f"no statement {statement_id} among your statements")
    return sor.statement_json(row, svc.settings.base_url)
