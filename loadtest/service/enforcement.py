"""Removing and restoring listings (with their audit rows) and the good-faith track record.

All functions run inside a write transaction handed in by the writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from loadtest.service import schema as s
from loadtest.service.auth import Principal

MIN_SAMPLE = 20


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
    """(success rate, counter-notice rate, decided notices) of a brand since ``since``.

    Success rate: approved / decided notices filed in the window. Counter-notice rate:
    counter-notices against the brand / listings its notices removed in the window.
    Each rate counts only once it rests on ``MIN_SAMPLE`` cases (before that: 1.0 and 0.0).
    """
    n = s.notices
    decided = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((n.c.decision == "approve", 1), else_=0)), 0),
        ).where(n.c.brand_id == brand_id, n.c.created_at >= since, n.c.decision.is_not(None))
    ).one()
    total, approved = int(decided[0]), int(decided[1])
    removed = conn.execute(
        select(func.count()).where(
            and_(s.audit.c.brand_id == brand_id, s.audit.c.at >= since,
                 s.audit.c.action == "remove", s.audit.c.notice_id.is_not(None))
        )
    ).scalar_one()  # fmt: skip
    counters = conn.execute(
        select(func.count()).where(
            s.counter_notices.c.brand_id == brand_id, s.counter_notices.c.created_at >= since
        )
    ).scalar_one()
    # too few cases say nothing yet: judge each rate only over MIN_SAMPLE cases
    success = approved / total if total >= MIN_SAMPLE else 1.0
    counter_rate = counters / removed if removed >= MIN_SAMPLE else 0.0
    return success, counter_rate, total


def remove_first(conn: Connection, brand: Any, params: dict[str, float], now: float) -> bool:
    """Whether a notice of ``brand`` removes before review.

    joint_force always; good_faith while the brand's track record over the window meets
    the bar (a brand with no decided notices yet starts trusted), with a lock-out after
    it falls below; standard never.
    """
    if brand.program == "joint_force":
        return True
    if brand.program != "good_faith":
        return False
    if brand.gf_locked_until is not None and brand.gf_locked_until > now:
        return False
    success, counter_rate, _ = track_record(conn, brand.id, now - params["gf_window_s"])
    if (
        success >= params["gf_min_success_rate"]
        and counter_rate <= params["gf_max_counter_notice_rate"]
    ):
        return True
    conn.execute(
        s.brands.update()
        .where(s.brands.c.id == brand.id)
        .values(gf_locked_until=now + params["gf_lockout_s"])
    )
    return False
