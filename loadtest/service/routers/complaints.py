"""Internal complaints (DSA Art. 20) from both sides, decided by a second reviewer.

A seller complains against a statement of reasons (its listing's removal or its
account's suspension); a notifier against the rejection of its notice or against the
statement of its suspension. An account manager of the brand or an admin decides, but
never the one who took the first decision (409). Upholding a complaint against a
removal restores the listing; against a rejection removes the listings its notice
named; against a suspension reinstates the seller or notifier. Filing and decision
times are recorded.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select

from loadtest.service import enforcement, events, misuse, sor
from loadtest.service import schema as s
from loadtest.service.auth import Principal, principal, require
from loadtest.service.context import Outcome, Service, service
from loadtest.service.events import Act
from loadtest.service.models import Complaint, ComplaintDecisionIn, ComplaintIn, ListingId, iso
from loadtest.service.problems import Problem, responses
from loadtest.service.routers.statements import concerns
from loadtest.service.settings import Settings

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])


def complaint_json(row: Any) -> dict[str, Any]:
    """The API view of a complaint."""
    return {
        "id": row.id, "kind": row.kind, "brand_id": row.brand_id, "notice_id": row.notice_id,
        "statement_id": row.statement_id, "text": row.text, "status": row.status,
        "created_at": iso(row.created_at), "decided_at": iso(row.decided_at),
    }  # fmt: skip


def _load(conn: Connection, complaint_id: int) -> Any:
    c = s.complaints
    return conn.execute(select(c).where(c.c.id == complaint_id)).first()


def _target(conn: Connection, who: Principal, body: ComplaintIn, act: Act) -> dict[str, Any]:
    """What is complained against, checked against the caller's tenancy."""
    n = s.notices
    if body.statement_id is not None:
        st = s.statements
        row = conn.execute(select(st).where(st.c.id == body.statement_id)).first()
        if row is None or not concerns(who, row):
            raise Problem(404, f"no statement {body.statement_id} among your statements")
        ends = row.restriction_ends_at
        if row.ended_at is not None or (ends is not None and ends <= act.now):
            raise Problem(409, f"statement {row.id}'s restriction already ended")
        notice = conn.execute(select(n).where(n.c.id == row.notice_id)).first()
        first = notice.decided_by or notice.filed_by if notice is not None else None
        kind = "seller" if who.role == "seller" else "notifier"
        return {"kind": kind, "brand_id": row.brand_id, "notice_id": row.notice_id,
                "statement_id": row.id, "first_decider_id": first}  # fmt: skip
    notice = conn.execute(select(n).where(n.c.id == body.notice_id)).first()
    if notice is None or notice.brand_id != who.brand_id:
        raise Problem(404, f"no notice {body.notice_id} among your notices")
    if notice.status != "rejected":
        raise Problem(409, f"notice {notice.id} is {notice.status}; only a rejection is contested")
    return {"kind": "notifier", "brand_id": notice.brand_id, "notice_id": notice.id,
            "statement_id": None, "first_decider_id": notice.decided_by}  # fmt: skip


def _file_job(who: Principal, body: ComplaintIn, act: Act) -> Any:
    def job(conn: Connection) -> Outcome:
        target = _target(conn, who, body, act)
        c = s.complaints
        on_statement = target["statement_id"] is not None
        key = c.c.statement_id if on_statement else c.c.notice_id
        value = target["statement_id"] if on_statement else target["notice_id"]
        if conn.execute(select(c.c.id).where(key == value, c.c.status == "pending")).first():
            raise Problem(409, "a complaint about this decision is already pending")
        values = {**target, "complainant_id": who.id, "text": body.text, "status": "pending",
                  "created_at": act.now}  # fmt: skip
        new_id = int(conn.execute(c.insert().values(**values)).inserted_primary_key[0])  # type: ignore[index]
        events.log(conn, act, "complaint.file", "complaint", new_id, target["brand_id"],
                   kind=target["kind"])  # fmt: skip
        return Outcome(201, complaint_json(_load(conn, new_id)))

    return job


@router.post("", status_code=201, response_model=Complaint,
             responses=responses(401, 403, 404, 409, 413, 422, 429))  # fmt: skip
async def file_complaint(
    body: ComplaintIn,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """A seller (``statement_id``) or a notifier (``notice_id``, or ``statement_id`` of
    its suspension) files a complaint."""
    require(who, "seller", "rights_holder")
    if who.role == "seller" and body.statement_id is None:
        raise Problem(422, "statement_id: a seller complains with statement_id")
    outcome = await svc.write(_file_job(who, body, svc.act(who)))
    return JSONResponse(outcome.body, status_code=201)


def _sees(who: Principal, row: Any) -> bool:
    if who.role in ("seller", "rights_holder"):
        return bool(row.complainant_id == who.id)
    return who.sees_brand(row.brand_id)


@router.get("/{complaint_id}", response_model=Complaint,
            responses=responses(401, 403, 404, 422, 429))  # fmt: skip
def get_complaint(
    complaint_id: ListingId,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """A complaint: its complainant, the brand's managers and the admin may read it."""
    row = svc.read(lambda c: _load(c, complaint_id))
    if row is None or not _sees(who, row):
        raise Problem(404, f"no complaint {complaint_id} among yours")
    return complaint_json(row)


def _uphold(conn: Connection, act: Act, row: Any, settings: Settings) -> tuple[str, int, int]:
    n = s.notices
    if row.statement_id is not None:
        st = s.statements
        statement = conn.execute(select(st).where(st.c.id == row.statement_id)).one()
        if statement.restriction in sor.SUSPENSIONS:  # the account comes back
            misuse.reinstate(conn, act, statement.principal_id)
            return "", 0, 0
        notice = conn.execute(select(n).where(n.c.id == row.notice_id).with_for_update()).one()
        return notice.program, 0, enforcement.restore(conn, act, [statement.listing_id],
                                                      notice.program, notice.id)  # fmt: skip
    notice = conn.execute(select(n).where(n.c.id == row.notice_id).with_for_update()).one()
    ids = [
        i
        for (i,) in conn.execute(
            select(s.notice_items.c.listing_id).where(s.notice_items.c.notice_id == notice.id)
        )
    ]
    removed = enforcement.remove(conn, act, ids, notice.program, "notice", notice, settings)
    conn.execute(n.update().where(n.c.id == notice.id).values(
        status="approved", decision="approve", unfounded=False))  # fmt: skip
    return notice.program, removed, 0


def _decide_job(who: Principal, complaint_id: int, uphold: bool, act: Act,
                settings: Settings) -> Any:  # fmt: skip
    def job(conn: Connection) -> Outcome:
        c = s.complaints
        row = conn.execute(select(c).where(c.c.id == complaint_id).with_for_update()).first()
        if row is None or not who.sees_brand(row.brand_id):
            raise Problem(404, f"no complaint {complaint_id} among your brands")
        if row.status != "pending":
            raise Problem(409, f"complaint {complaint_id} is already decided")
        if row.first_decider_id == who.id:
            raise Problem(409, "the first decision's reviewer may not decide its complaint")
        program, removed, restored = _uphold(conn, act, row, settings) if uphold else ("", 0, 0)
        conn.execute(
            c.update()
            .where(c.c.id == complaint_id)
            .values(
                status="upheld" if uphold else "rejected", decided_by=who.id, decided_at=act.now
            )
        )
        events.log(conn, act, "complaint.decide", "complaint", complaint_id, row.brand_id,
                   kind=row.kind, outcome="upheld" if uphold else "rejected")  # fmt: skip
        return Outcome(200, complaint_json(_load(conn, complaint_id)), program=program,
                       removed=removed, restored=restored, brand_id=row.brand_id)  # fmt: skip

    return job


@router.post("/{complaint_id}/decision", response_model=Complaint,
             responses=responses(401, 403, 404, 409, 413, 422, 429))  # fmt: skip
async def decide_complaint(
    complaint_id: ListingId,
    body: ComplaintDecisionIn,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """Uphold or reject a complaint (a manager of the brand or an admin, not the first
    decision's reviewer)."""
    require(who, "account_manager", "admin")
    job = _decide_job(who, complaint_id, body.decision == "uphold", svc.act(who), svc.settings)
    outcome = await svc.write(job)
    svc.record(outcome)
    return outcome.body
