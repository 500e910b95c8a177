"""The review queue: managers lease pending items of their brands, then decide notices.

A lease keeps other managers off an item until it expires back into the queue. An
assigned manager may decide without claiming, unless another holds a live lease (409).
Trusted flaggers' notices (DSA Art. 22) are claimed before older ordinary ones.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import Connection, Table, func, or_, select

from loadtest.service import enforcement, events, misuse
from loadtest.service import schema as s
from loadtest.service.auth import Principal, principal, require
from loadtest.service.context import Outcome, Service, service
from loadtest.service.events import Act
from loadtest.service.models import ClaimIn, ClaimOut, DecisionIn, ListingId, Notice, iso
from loadtest.service.problems import Problem, responses
from loadtest.service.routers.notices import load_notice, visible_notice

router = APIRouter(tags=["review"])


def _lease(conn: Connection, table: Table, who: Principal, now: float, until: float,
           limit: int) -> list[Any]:  # fmt: skip
    """Lease up to ``limit`` free pending rows of ``table``; other claimers skip locked rows."""
    c = table.c
    free = select(c.id, c.brand_id, c.created_at).where(
        c.review_pending.is_(True),
        c.brand_id.in_(sorted(who.brand_ids)),
        or_(c.lease_until.is_(None), c.lease_until < now),
    )
    order = [func.coalesce(c.priority, 1), c.id] if "priority" in c else [c.id]
    rows = conn.execute(free.order_by(*order).limit(limit).with_for_update(skip_locked=True)).all()
    if rows:
        conn.execute(
            table.update()
            .where(c.id.in_([r.id for r in rows]))
            .values(lease_holder=who.id, lease_until=until)
        )
    return list(rows)


def _claim_job(who: Principal, limit: int, act: Act, lease_s: float) -> Any:
    def job(conn: Connection) -> Outcome:
        now = act.now
        until = now + lease_s
        notices = _lease(conn, s.notices, who, now, until, limit)
        counters = _lease(conn, s.counter_notices, who, now, until, max(limit - len(notices), 0))
        items = [
            {"kind": "notice", "id": r.id, "notice_id": r.id, "brand_id": r.brand_id,
             "lease_until": iso(until)} for r in notices
        ] + [
            {"kind": "counter_notice", "id": r.id, "counter_notice_id": r.id,
             "brand_id": r.brand_id, "lease_until": iso(until)} for r in counters
        ]  # fmt: skip
        events.log_rows(conn, [events.row(act, "review.claim", i["kind"], i["id"], i["brand_id"],
                                          lease_until=until) for i in items])  # fmt: skip
        return Outcome(200, {"items": items})

    return job


@router.post(
    "/v1/review-queue/claim", response_model=ClaimOut,
    responses=responses(401, 403, 413, 422, 429),
)  # fmt: skip
async def claim(
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
    body: ClaimIn | None = None,
) -> Any:
    """Lease up to ``limit`` pending items of the caller's brands: notices first (trusted
    flaggers' before others, each oldest first), then counter-notices."""
    require(who, "account_manager")
    limit = (body or ClaimIn()).limit
    outcome = await svc.write(_claim_job(who, limit, svc.act(who), svc.settings.lease_s))
    return outcome.body


def check_open(row: Any, who: Principal, now: float, what: str) -> None:
    """409 unless the item still awaits review and no other manager holds a live lease."""
    if not row.review_pending:
        raise Problem(409, f"{what} {row.id} is already decided")
    if row.lease_holder not in (None, who.id) and row.lease_until and row.lease_until > now:
        raise Problem(409, f"{what} {row.id} is leased by another manager", lease_until=iso(
            row.lease_until))  # fmt: skip


def _decide_job(svc: Service, who: Principal, notice_id: int, body: DecisionIn, act: Act) -> Any:
    approve = body.decision == "approve"
    unfounded = not approve and body.manifestly_unfounded

    def job(conn: Connection) -> Outcome:
        row = visible_notice(conn, who, notice_id, lock=True)
        check_open(row, who, act.now, "notice")
        ids = [i for (i,) in conn.execute(
            select(s.notice_items.c.listing_id).where(s.notice_items.c.notice_id == notice_id)
        )]  # fmt: skip
        removed = restored = 0
        if approve and row.mode == "review_first":
            removed = enforcement.remove(conn, act, ids, row.program, "notice", row, svc.settings)
        if not approve and row.mode == "remove_first":
            mine = [i for (i,) in conn.execute(
                select(s.listings.c.id).where(s.listings.c.removed_by_notice == notice_id)
            )]  # fmt: skip
            restored = enforcement.restore(conn, act, mine, row.program, notice_id)
        conn.execute(
            s.notices.update().where(s.notices.c.id == notice_id).values(
                review_pending=False, status="approved" if approve else "rejected",
                decision=body.decision, decided_by=who.id, decided_at=act.now,
                lease_holder=None, lease_until=None, unfounded=unfounded,
            )
        )  # fmt: skip
        events.log(conn, act, "notice.decide", "notice", notice_id, row.brand_id,
                   decision=body.decision, manifestly_unfounded=unfounded)  # fmt: skip
        if unfounded:
            p = s.principals
            notifier = conn.execute(select(p).where(p.c.id == row.filed_by)).one()
            misuse.judge(conn, act, notifier, row, svc.settings)
        out = load_notice(conn, notice_id)
        assert out is not None
        return Outcome(
            200, out, program=row.program, removed=removed, restored=restored,
            brand_id=row.brand_id, removal_delay_s=act.now - row.created_at,
        )  # fmt: skip

    return job


@router.post(
    "/v1/notices/{notice_id}/decision", response_model=Notice,
    responses=responses(401, 403, 404, 409, 413, 422, 429),
)  # fmt: skip
async def decide_notice(
    notice_id: ListingId,
    body: DecisionIn,
    who: Annotated[Principal, Depends(principal)],
    svc: Annotated[Service, Depends(service)],
) -> Any:
    """Approve (remove, or keep removed) or reject (leave up, or restore) a notice; a
    rejection may mark it manifestly unfounded, which counts towards the notifier's misuse."""
    require(who, "account_manager")
    job = _decide_job(svc, who, notice_id, body, svc.act(who))
    outcome = await svc.write(job)
    svc.record(outcome)
    return outcome.body
