"""Listings: public reads (410 once removed), sellers' new listings, managers' restorations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select

from loadtest.service import enforcement, events, misuse, sor
from loadtest.service import schema as s
from loadtest.service.auth import Principal, principal, require
from loadtest.service.context import Outcome, Service, decode_cursor, encode_cursor, service
from loadtest.service.events import Act
from loadtest.service.inline import InlineReader
from loadtest.service.models import Listing, ListingId, ListingIn, ListingPage, iso
from loadtest.service.problems import PROBLEM_TYPE, Problem, problem_body, responses

router = APIRouter(prefix="/v1/listings", tags=["listings"])


def listing_json(row: Any) -> dict[str, Any]:
    """The API view of a listing row."""
    return {
        "id": row.id, "brand_id": row.brand_id, "seller_id": row.seller_id,
        "title": row.title, "price_usd": row.price_usd, "is_fake": bool(row.is_fake),
        "status": row.status, "created_at": iso(row.created_at),
    }  # fmt: skip


def page_json(rows: Sequence[Any], limit: int) -> dict[str, Any]:
    """A page of ``limit`` listings from up to ``limit + 1`` rows (one more: a next page)."""
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].id) if more and rows else None
    return {"items": [listing_json(r) for r in rows], "next_cursor": cursor}


def _page(
    conn: Connection, brand_id: int | None, q: str | None, after: int | None, limit: int
) -> dict[str, Any]:
    lt = s.listings
    query = select(lt).where(lt.c.status == "live")
    if brand_id is not None:
        query = query.where(lt.c.brand_id == brand_id)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(lt.c.title.ilike(f"%{escaped}%", escape="\\"))
    if after is not None:
        query = query.where(lt.c.id > after)
    return page_json(conn.execute(query.order_by(lt.c.id).limit(limit + 1)).all(), limit)


@router.get("", response_model=ListingPage, responses=responses(422, 429))
async def list_listings(
    svc: Annotated[Service, Depends(service)],
    brand_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """Live listings, optionally of one brand or matching ``q`` in the title, by id.

    A page without ``q`` (an index range) is read on the event loop (``inline.py`` on
    SQLite, ``pgread.py`` on PostgreSQL); a title search, which may scan, in the pool."""
    after = decode_cursor(cursor)
    if svc.inline is not None and not q:
        return JSONResponse(page_json(svc.inline.live_page(brand_id, after, limit + 1), limit))
    if svc.pg_reader is not None and not q:
        rows = await svc.pg_reader.live_page(brand_id, after, limit + 1)
        return JSONResponse(page_json(rows, limit))
    page = await run_in_threadpool(svc.read, lambda conn: _page(conn, brand_id, q, after, limit))
    return JSONResponse(page)


def _lookup(conn: Connection, listing_id: int) -> tuple[Any, int | None]:
    """The listing row and, once removed, its removal's open statement of reasons."""
    lt, st = s.listings, s.statements
    row = conn.execute(select(lt).where(lt.c.id == listing_id)).first()
    if row is None or row.status != "removed":
        return row, None
    sid = conn.execute(
        select(st.c.id).where(st.c.listing_id == listing_id, st.c.ended_at.is_(None),
                              st.c.restriction == sor.LISTING_REMOVED)
        .order_by(st.c.id.desc()).limit(1)).scalar()  # fmt: skip
    return row, sid


def _inline_lookup(reader: InlineReader, listing_id: int) -> tuple[Any, int | None]:
    row = reader.listing(listing_id)
    if row is None or row.status != "removed":
        return row, None
    return row, reader.open_statement(listing_id)


@router.get(
    "/{listing_id}",
    response_model=Listing,
    responses=responses(404, 410, 422, 429),
)
async def get_listing(listing_id: ListingId, svc: Annotated[Service, Depends(service)]) -> Any:
    """One listing: 200 while live; 410 with ``removed_at`` and ``reason`` once removed.

    The lookup runs on the event loop (``inline.py`` on SQLite, ``pgread.py`` on
    PostgreSQL)."""
    if svc.inline is not None:
        row, sid = _inline_lookup(svc.inline, listing_id)
    elif svc.pg_reader is not None:
        row = await svc.pg_reader.listing(listing_id)
        removed = row is not None and row.status == "removed"
        sid = await svc.pg_reader.open_statement(listing_id) if removed else None
    else:
        row, sid = await run_in_threadpool(svc.read, lambda c: _lookup(c, listing_id))
    if row is None:
        raise Problem(404, f"no listing {listing_id}")
    if row.status == "removed":
        body = problem_body(
            410, f"listing {listing_id} was removed", id=row.id, brand_id=row.brand_id,
            removed_at=iso(row.removed_at), reason=row.removed_reason,
            notice_id=row.removed_by_notice, statement_id=sid,
            statement_of_reasons=f"/v1/statements/{sid}" if sid else None,
        )  # fmt: skip
        return JSONResponse(body, status_code=410, media_type=PROBLEM_TYPE)
    return JSONResponse(listing_json(row))  # already the documented shape: no re-validation


def _create_job(who: Principal, body: ListingIn, act: Act) -> Any:
    def job(conn: Connection) -> Outcome:
        misuse.check_not_suspended(conn, who.id, act.now, "seller")
        if (
            conn.execute(select(s.brands.c.id).where(s.brands.c.id == body.brand_id)).first()
            is None
        ):
            raise Problem(422, f"brand_id: no brand {body.brand_id}")
        kind = conn.execute(
            select(s.sellers.c.kind).where(s.sellers.c.id == who.seller_id)
        ).scalar_one()
        values = {
            "seller_id": who.seller_id, "brand_id": body.brand_id, "title": body.title,
            "price_usd": body.price_usd, "is_fake": kind == "counterfeit", "status": "live",
            "created_at": act.now,
        }  # fmt: skip
        new_id = conn.execute(s.listings.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
        events.log(conn, act, "listing.create", "listing", int(new_id), body.brand_id)
        row = conn.execute(select(s.listings).where(s.listings.c.id == new_id)).one()
        return Outcome(201, listing_json(row))

    return job


@router.post(
    "", status_code=201, response_model=Listing, responses=responses(401, 403, 413, 422, 429)
)
async def create_listing(
    body: ListingIn,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """A seller lists an item (its fake flag follows the seller's kind in the seed data);
    403 while the seller is suspended for repeated infringements."""
    require(who, "seller")
    outcome = await svc.write(_create_job(who, body, svc.act(who)))
    return JSONResponse(outcome.body, status_code=201)


def _restore_job(who: Principal, listing_id: int, act: Act) -> Any:
    def job(conn: Connection) -> Outcome:
        lt = s.listings
        row = conn.execute(select(lt).where(lt.c.id == listing_id)).first()
        if row is None or not who.sees_brand(row.brand_id):
            raise Problem(404, f"no listing {listing_id} among your brands")
        if row.status != "removed":
            raise Problem(409, f"listing {listing_id} is live; nothing to restore")
        program = conn.execute(
            select(s.brands.c.program).where(s.brands.c.id == row.brand_id)
        ).scalar_one()
        n = enforcement.restore(conn, act, [listing_id], program, row.removed_by_notice)
        fresh = conn.execute(select(lt).where(lt.c.id == listing_id)).one()
        return Outcome(200, listing_json(fresh), program=program, restored=n)

    return job


@router.post(
    "/{listing_id}/restore",
    response_model=Listing,
    responses=responses(401, 403, 404, 409, 422, 429),
)
async def restore_listing(
    listing_id: ListingId,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """An account manager (of the listing's brand) or an admin puts a removed listing back."""
    require(who, "account_manager", "admin")
    outcome = await svc.write(_restore_job(who, listing_id, svc.act(who)))
    svc.record(outcome)
    return outcome.body
