"""Removing and restoring listings (with their audit rows) and the good-faith track record.

All functions run inside a write transaction handed in by the writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, case, func, select

from loadtest.service import schema as s
from loadtest.service.auth import Principal
from sim.agents.rights_holder import MIN_DECIDED_FOR_RECORD

# the model's threshold: fewer decided notices in the window give no verdict
MIN_DECIDED = MIN_DECIDED_FOR_RECORD


def _audit(
    conn: Connection, who: Principal, action: str, rows: Sequence[Any], now: float,
    program: str, notice_id: int | None = None, counter_notice_id: int | None = None,
) -> None:  # fmt: skip
    if not rows:
        return
    conn.execute(
        s.audit.insert(),
        [
            {
                "at": now, "actor_id": who.id, "actor_role": who.role, "action": action,
                "listing_id": r.id, "brand_id": r.brand_id, "program": program,
                "notice_id": notice_id, "counter_notice_id": counter_notice_id,
            }
            for r in rows
        ],
    )  # fmt: skip


def remove(
    conn: Connection, who: Principal, listing_ids: Sequence[int], now: float, program: str,
    reason: str, notice_id: int | None = None,
) -> int:  # fmt: skip
    """Take the live ones of ``listing_ids`` down; returns how many were removed."""
    if not listing_ids:
        return 0
    lt = s.listings
    live = conn.execute(
        select(lt.c.id, lt.c.brand_id)
        .where(lt.c.id.in_(listing_ids), lt.c.status == "live")
        .with_for_update()
    ).all()
    if not live:
        return 0
    conn.execute(
        lt.update()
        .where(lt.c.id.in_([r.id for r in live]), lt.c.status == "live")
        .values(status="removed", removed_at=now, removed_reason=reason,
                removed_by_notice=notice_id)
    )  # fmt: skip
    _audit(conn, who, "remove", live, now, program, notice_id=notice_id)
    return len(live)


def restore(
    conn: Connection, who: Principal, listing_ids: Sequence[int], now: float, program: str,
    notice_id: int | None = None, counter_notice_id: int | None = None,
) -> int:  # fmt: skip
    """Put the removed ones of ``listing_ids`` back live; returns how many were restored."""
    if not listing_ids:
        return 0
    lt = s.listings
    gone = conn.execute(
        select(lt.c.id, lt.c.brand_id)
        .where(lt.c.id.in_(listing_ids), lt.c.status == "removed")
        .with_for_update()
    ).all()
    if not gone:
        return 0
    conn.execute(
        lt.update()
        .where(lt.c.id.in_([r.id for r in gone]))
        .values(status="live", removed_at=None, removed_reason=None, removed_by_notice=None)
    )
    _audit(conn, who, "restore", gone, now, program, notice_id, counter_notice_id)
    return len(gone)


def track_record(conn: Connection, brand_id: int, since: float) -> tuple[float, float, int]:
    """(success rate, counter-notice rate, decided notices) of a brand since ``since``,
    as the model keeps it: approved / decided notices, and counter-notices / notices filed.
    """
    n, cn = s.notices, s.counter_notices
    decided = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((n.c.decision == "approve", 1), else_=0)), 0),
        ).where(n.c.brand_id == brand_id, n.c.created_at >= since, n.c.decision.is_not(None))
    ).one()
    total, approved = int(decided[0]), int(decided[1])
    filed = conn.execute(
        select(func.count()).where(n.c.brand_id == brand_id, n.c.created_at >= since)
    ).scalar_one()
    counters = conn.execute(
        select(func.count()).where(cn.c.brand_id == brand_id, cn.c.created_at >= since)
    ).scalar_one()
    success = approved / total if total else 1.0
    counter_rate = counters / filed if filed else 0.0
    return success, counter_rate, total


def remove_first(conn: Connection, brand: Any, params: dict[str, float], now: float) -> bool:
    """Whether a notice of ``brand`` removes before review.

    joint_force always, standard never. good_faith brands start trusted (as in the model)
    and keep it until their record over the window, once it rests on ``MIN_DECIDED``
    decided notices, falls below the bar; then they are locked out, and after the
    lock-out regain it only with a qualifying record.
    """
    if brand.program != "good_faith":
        return bool(brand.program == "joint_force")
    locked = brand.gf_locked_until
    if locked is not None and locked > now:
        return False
    success, counter_rate, decided = track_record(conn, brand.id, now - params["gf_window_s"])
    judged = decided >= MIN_DECIDED
    good = (
        success >= params["gf_min_success_rate"]
        and counter_rate <= params["gf_max_counter_notice_rate"]
    )
    trusted = locked is None or (judged and good)
    if locked is None and judged and not good:
        trusted = False
        locked = now + params["gf_lockout_s"]
    elif trusted:
        locked = None
    if locked != brand.gf_locked_until:
        conn.execute(
            s.brands.update().where(s.brands.c.id == brand.id).values(gf_locked_until=locked)
        )
    return trusted
