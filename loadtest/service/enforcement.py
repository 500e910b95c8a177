"""Removing and restoring listings (with their audit rows) and the good-faith track record.

All functions run inside a write transaction handed in by the writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, case, func, select

from loadtest.service import events, misuse, sor
from loadtest.service import schema as s
from loadtest.service.events import Act
from loadtest.service.settings import Settings
from sim.agents.rights_holder import MIN_DECIDED_FOR_RECORD

# the model's threshold: fewer decided notices in the window give no verdict
MIN_DECIDED = MIN_DECIDED_FOR_RECORD


def _audit(
    conn: Connection, act: Act, action: str, rows: Sequence[Any], program: str,
    notice_id: int | None = None, counter_notice_id: int | None = None,
) -> None:  # fmt: skip
    if not rows:
        return
    conn.execute(
        s.audit.insert(),
        [
            {
                "at": act.now, "actor_id": act.actor_id, "actor_role": act.actor_role,
                "action": action, "listing_id": r.id, "brand_id": r.brand_id,
                "program": program, "notice_id": notice_id,
                "counter_notice_id": counter_notice_id,
            }
            for r in rows
        ],
    )  # fmt: skip
    events.log_rows(conn, [
        events.row(act, f"listing.{action}", "listing", r.id, r.brand_id, notice_id=notice_id,
                   counter_notice_id=counter_notice_id,
                   **({"automated": False} if action == "remove" else {})) for r in rows
    ])  # fmt: skip


def remove(
    conn: Connection, act: Act, listing_ids: Sequence[int], program: str, reason: str,
    notice: Any, settings: Settings,
) -> int:  # fmt: skip
    """Take the live ones of ``listing_ids`` down on ``notice`` after review, each with
    its statement of reasons; returns how many were removed."""
    if not listing_ids:
        return 0
    lt = s.listings
    live = conn.execute(
        select(lt.c.id, lt.c.brand_id, lt.c.seller_id, lt.c.created_at)
        .where(lt.c.id.in_(listing_ids), lt.c.status == "live")
        .with_for_update()
    ).all()
    if not live:
        return 0
    conn.execute(
        lt.update()
        .where(lt.c.id.in_([r.id for r in live]), lt.c.status == "live")
        .values(status="removed", removed_at=act.now, removed_reason=reason,
                removed_by_notice=notice.id)
    )  # fmt: skip
    _audit(conn, act, "remove", live, program, notice_id=notice.id)
    conn.execute(s.statements.insert(), sor.rows_for(act, live, notice, sor.NOT_AUTOMATED))
    misuse.judge_sellers(conn, act, live, settings)
    return len(live)


def restore(
    conn: Connection, act: Act, listing_ids: Sequence[int], program: str,
    notice_id: int | None = None, counter_notice_id: int | None = None,
) -> int:  # fmt: skip
    """Put the removed ones of ``listing_ids`` back live, ending their statements of
    reasons; returns how many were restored."""
    if not listing_ids:
        return 0
    lt, st = s.listings, s.statements
    gone = conn.execute(
        select(lt.c.id, lt.c.brand_id)
        .where(lt.c.id.in_(listing_ids), lt.c.status == "removed")
        .with_for_update()
    ).all()
    if not gone:
        return 0
    ids = [r.id for r in gone]
    conn.execute(
        lt.update()
        .where(lt.c.id.in_(ids))
        .values(status="live", removed_at=None, removed_reason=None, removed_by_notice=None)
    )
    conn.execute(
        st.update().where(st.c.listing_id.in_(ids), st.c.ended_at.is_(None),
                          st.c.restriction == sor.LISTING_REMOVED)
        .values(ended_at=act.now)
    )  # fmt: skip
    _audit(conn, act, "restore", gone, program, notice_id, counter_notice_id)
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
