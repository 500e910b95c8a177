"""Counter-notices: a seller contests a removal; the brand's account manager decides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select

from loadtest.service import enforcement, events
from loadtest.service import schema as s
from loadtest.service.auth import Principal, principal, require
from loadtest.service.context import Outcome, Service, service
from loadtest.service.events import Act
from loadtest.service.models import CounterNotice, CounterNoticeIn, DecisionIn, ListingId, iso
from loadtest.service.problems import Problem, responses
from loadtest.service.routers.review import check_open

router = APIRouter(tags=["counter-notices"])


def counter_json(row: Any) -> dict[str, Any]:
    """The API view of a counter-notice row."""
    return {
        "id": row.id, "listing_id": row.listing_id, "brand_id": row.brand_id,
        "notice_id": row.notice_id, "statement": row.statement, "status": row.status,
        "created_at": iso(row.created_at), "decided_at": iso(row.decided_at),
    }  # fmt: skip


def _load(conn: Connection, counter_id: int) -> Any:
    cn = s.counter_notices
    return conn.execute(select(cn).where(cn.c.id == counter_id)).one()


def _create_job(who: Principal, listing_id: int, body: CounterNoticeIn, act: Act) -> Any:
    def job(conn: Connection) -> Outcome:
        lt, cn = s.listings, s.counter_notices
        row = conn.execute(select(lt).where(lt.c.id == listing_id).with_for_update()).first()
        if row is None or row.seller_id != who.seller_id:
            raise Problem(404, f"no listing {listing_id} among your listings")
        if row.status != "removed":
            raise Problem(409, f"listing {listing_id} is live; nothing to contest")
        open_ = conn.execute(
            select(cn.c.id).where(cn.c.listing_id == listing_id, cn.c.review_pending.is_(True))
        ).first()
        if open_ is not None:
            raise Problem(409, f"listing {listing_id} already has counter-notice {open_.id}")
        values = {
            "listing_id": listing_id, "seller_id": who.seller_id, "brand_id": row.brand_id,
            "notice_id": row.removed_by_notice, "statement": body.statement,
            "status": "pending", "created_at": act.now, "review_pending": True,
        }  # fmt: skip
        new_id = conn.execute(cn.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
        events.log(conn, act, "counter_notice.file", "counter_notice", int(new_id),
                   row.brand_id, listing_id=listing_id)  # fmt: skip
        return Outcome(201, counter_json(_load(conn, new_id)), brand_id=row.brand_id)

    return job


@router.post(
    "/v1/listings/{listing_id}/counter-notices", status_code=201, response_model=CounterNotice,
    responses=responses(401, 403, 404, 409, 413, 422, 429),
)  # fmt: skip
async def file_counter_notice(
    listing_id: ListingId,
    body: CounterNoticeIn,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """The listing's seller contests its removal (409 while live or already contested)."""
    require(who, "seller")
    outcome = await svc.write(_create_job(who, listing_id, body, svc.act(who)))
    svc.record(outcome)
    return JSONResponse(outcome.body, status_code=201)


def _decide_job(who: Principal, counter_id: int, approve: bool, act: Act) -> Any:
    def job(conn: Connection) -> Outcome:
        cn = s.counter_notices
        row = conn.execute(select(cn).where(cn.c.id == counter_id).with_for_update()).first()
        if row is None or not who.sees_brand(row.brand_id):
            raise Problem(404, f"no counter-notice {counter_id} among your brands")
        now = act.now
        check_open(row, who, now, "counter-notice")
        program = conn.execute(
            select(s.brands.c.program).where(s.brands.c.id == row.brand_id)
        ).scalar_one()
        restored = 0
        if approve:
            restored = enforcement.restore(
                conn, act, [row.listing_id], program, row.notice_id, counter_notice_id=row.id
            )
        conn.execute(
            cn.update().where(cn.c.id == counter_id).values(
                review_pending=False, status="approved" if approve else "rejected",
                decided_by=who.id, decided_at=now, lease_holder=None, lease_until=None,
            )
        )  # fmt: skip
        events.log(conn, act, "counter_notice.decide", "counter_notice", counter_id,
                   row.brand_id, decision="approve" if approve else "reject")  # fmt: skip
        return Outcome(200, counter_json(_load(conn, counter_id)), program=program,
                       restored=restored, brand_id=row.brand_id)  # fmt: skip

    return job


@router.post(
    "/v1/counter-notices/{counter_notice_id}/decision", response_model=CounterNotice,
    responses=responses(401, 403, 404, 409, 413, 422, 429),
)  # fmt: skip
async def decide_counter_notice(
    counter_notice_id: ListingId,
    body: DecisionIn,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """Approve (restore the listing) or reject (it stays down) a counter-notice."""
    require(who, "account_manager")
    job = _decide_job(who, counter_notice_id, body.decision == "approve", svc.act(who))
    outcome = await svc.write(job)
    svc.record(outcome)
    return outcome.body
