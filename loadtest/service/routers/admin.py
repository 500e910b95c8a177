"""Admin: key revocation and rotation, notifier types (trusted flaggers), reinstatement.

A key change is written with a row in ``key_changes``, which every worker process
checks at most every ``key_refresh_s``: a revoked key is refused everywhere within it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import Connection, select

from loadtest.service import events, misuse
from loadtest.service import schema as s
from loadtest.service.auth import Principal, hash_key, new_key, principal, require
from loadtest.service.context import Outcome, Service, service
from loadtest.service.events import Act
from loadtest.service.models import ListingId, NotifierIn, PrincipalOut, RotatedKey, iso
from loadtest.service.problems import Problem, responses

router = APIRouter(prefix="/v1/admin/principals", tags=["admin"])


def principal_json(row: Any) -> dict[str, Any]:
    """The admin's view of a principal (never its key or key hash)."""
    return {
        "id": row.id, "role": row.role, "name": row.name, "notifier_type": row.notifier_type,
        "revoked": row.revoked_at is not None, "warned_at": iso(row.warned_at),
        "suspended_until": iso(row.suspended_until),
    }  # fmt: skip


def _row(conn: Connection, principal_id: int, lock: bool = False) -> Any:
    p = s.principals
    query = select(p).where(p.c.id == principal_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise Problem(404, f"no principal {principal_id}")
    return row


def _key_change(conn: Connection, act: Act, principal_id: int, action: str, **detail: Any) -> None:
    conn.execute(s.key_changes.insert().values(at=act.now, principal_id=principal_id))
    events.log(conn, act, action, "principal", principal_id, **detail)


def _revoke_job(act: Act, principal_id: int) -> Any:
    def job(conn: Connection) -> Outcome:
        row = _row(conn, principal_id, lock=True)
        if row.revoked_at is not None:
            raise Problem(409, f"principal {principal_id}'s key is already revoked")
        if row.id == act.actor_id:
            raise Problem(409, "an admin may not revoke its own key")
        p = s.principals
        conn.execute(p.update().where(p.c.id == principal_id).values(revoked_at=act.now))
        _key_change(conn, act, principal_id, "key.revoke")
        return Outcome(200, principal_json(_row(conn, principal_id)), keys_changed=True)

    return job


def _rotate_job(act: Act, principal_id: int) -> Any:
    def job(conn: Connection) -> Outcome:
        row = _row(conn, principal_id, lock=True)
        key = new_key(row.role)
        p = s.principals
        conn.execute(p.update().where(p.c.id == principal_id)
                     .values(key_hash=hash_key(key), revoked_at=None))  # fmt: skip
        _key_change(conn, act, principal_id, "key.rotate")
        return Outcome(200, {"id": principal_id, "key": key}, keys_changed=True)

    return job


def _notifier_job(act: Act, principal_id: int, kind: str) -> Any:
    def job(conn: Connection) -> Outcome:
        row = _row(conn, principal_id, lock=True)
        if row.role != "rights_holder":
            raise Problem(409, f"principal {principal_id} is a {row.role}, not a notifier")
        p = s.principals
        conn.execute(p.update().where(p.c.id == principal_id).values(notifier_type=kind))
        _key_change(conn, act, principal_id, "principal.notifier_type", notifier_type=kind,
                    before=row.notifier_type)  # fmt: skip
        return Outcome(200, principal_json(_row(conn, principal_id)), keys_changed=True)

    return job


def _reinstate_job(act: Act, principal_id: int) -> Any:
    def job(conn: Connection) -> Outcome:
        return Outcome(200, principal_json(misuse.reinstate(conn, act, principal_id)))

    return job


Admin = Annotated[Principal, Depends(principal)]
Svc = Annotated[Service, Depends(service)]


async def _run(svc: Service, job: Any) -> Any:
    outcome = await svc.write(job)
    svc.record(outcome)
    return outcome.body


@router.get("/{principal_id}", response_model=PrincipalOut,
            responses=responses(401, 403, 404, 422, 429))  # fmt: skip
def get_principal(principal_id: ListingId, who: Admin, svc: Svc) -> Any:
    """A principal's role, notifier type, revocation, warning and suspension."""
    require(who, "admin")
    return svc.read(lambda c: principal_json(_row(c, principal_id)))


@router.post("/{principal_id}/revoke", response_model=PrincipalOut,
             responses=responses(401, 403, 404, 409, 422, 429))  # fmt: skip
async def revoke_key(principal_id: ListingId, who: Admin, svc: Svc) -> Any:
    """Revoke a principal's key: refused by every worker within ``key_refresh_s``."""
    require(who, "admin")
    return await _run(svc, _revoke_job(svc.act(who), principal_id))


@router.post("/{principal_id}/rotate", response_model=RotatedKey,
             responses=responses(401, 403, 404, 422, 429))  # fmt: skip
async def rotate_key(principal_id: ListingId, who: Admin, svc: Svc) -> Any:
    """A fresh key for the principal (shown once); the old one stops working."""
    require(who, "admin")
    return await _run(svc, _rotate_job(svc.act(who), principal_id))


@router.put("/{principal_id}/notifier", response_model=PrincipalOut,
            responses=responses(401, 403, 404, 409, 413, 422, 429))  # fmt: skip
async def set_notifier_type(principal_id: ListingId, body: NotifierIn, who: Admin,
                            svc: Svc) -> Any:  # fmt: skip
    """Set a notifier's type: rights holder, trusted flagger (Art. 22 priority) or other."""
    require(who, "admin")
    return await _run(svc, _notifier_job(svc.act(who), principal_id, body.notifier_type))


@router.post("/{principal_id}/reinstate", response_model=PrincipalOut,
             responses=responses(401, 403, 404, 422, 429))  # fmt: skip
async def reinstate(principal_id: ListingId, who: Admin, svc: Svc) -> Any:
    """End a misuse suspension (and warning) now."""
    require(who, "admin")
    return await _run(svc, _reinstate_job(svc.act(who), principal_id))
