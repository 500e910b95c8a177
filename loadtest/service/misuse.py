"""Misuse (DSA Art. 23): notifiers who often file manifestly unfounded notices.

When a notifier's share of manifestly unfounded decisions among its decided notices,
since the later of the window's start and its last suspension's end, reaches the
threshold on at least ``misuse_min_decided`` notices, it is first warned, and on the
next unfounded decision after the warning suspended for ``suspension_s``. A suspended
notifier's notices answer 403 naming the end of the suspension. An admin reinstates.
"""

from __future__ import annotations

from typing import Any, NoReturn

from sqlalchemy import Connection, case, func, select

from loadtest.service import events
from loadtest.service import schema as s
from loadtest.service.events import Act
from loadtest.service.models import iso
from loadtest.service.problems import Problem
from loadtest.service.settings import Settings


def check_not_suspended(conn: Connection, principal_id: int, now: float) -> None:
    """403 naming the end of the suspension while ``principal_id`` is suspended."""
    p = s.principals
    until = conn.execute(
        select(p.c.suspended_until).where(p.c.id == principal_id)
    ).scalar_one_or_none()
    if until is not None and until > now:
        refuse(until)


def refuse(until: float) -> NoReturn:
    """The 403 a suspended notifier gets, naming the end of its suspension."""
    raise Problem(
        403, f"notifier suspended for misuse (DSA Art. 23) until {iso(until)}",
        suspended_until=iso(until),
    )  # fmt: skip


def _record(conn: Connection, notifier_id: int, since: float) -> tuple[int, int]:
    n = s.notices
    decided, unfounded = conn.execute(
        select(func.count(), func.coalesce(func.sum(case((n.c.unfounded.is_(True), 1),
                                                         else_=0)), 0))
        .where(n.c.filed_by == notifier_id, n.c.created_at >= since, n.c.decision.is_not(None))
    ).one()  # fmt: skip
    return int(decided), int(unfounded)


def judge(conn: Connection, act: Act, notifier: Any, settings: Settings) -> str | None:
    """After an unfounded decision: warn or suspend ``notifier`` (a principals row)."""
    now = act.now
    if notifier.suspended_until is not None and notifier.suspended_until > now:
        return None
    since = max(now - settings.misuse_window_s, notifier.suspended_until or 0.0)
    decided, unfounded = _record(conn, notifier.id, since)
    if (
        decided < settings.misuse_min_decided
        or unfounded < settings.misuse_unfounded_share * decided
    ):
        return None
    p = s.principals
    detail = {"decided": decided, "unfounded": unfounded}
    if notifier.warned_at is None or notifier.warned_at < since:
        conn.execute(p.update().where(p.c.id == notifier.id).values(warned_at=now))
        events.log(conn, act, "notifier.warn", "principal", notifier.id, **detail)
        return "warned"
    until = now + settings.suspension_s
    conn.execute(p.update().where(p.c.id == notifier.id).values(suspended_until=until,
                                                                warned_at=None))  # fmt: skip
    events.log(conn, act, "notifier.suspend", "principal", notifier.id, until=until, **detail)
    return "suspended"


def reinstate(conn: Connection, act: Act, principal_id: int) -> Any:
    """End a suspension now and clear the warning; the record starts afresh."""
    p = s.principals
    row = conn.execute(select(p).where(p.c.id == principal_id).with_for_update()).first()
    if row is None:
        raise Problem(404, f"no principal {principal_id}")
    ended = act.now if row.suspended_until is not None else None
    conn.execute(p.update().where(p.c.id == principal_id).values(suspended_until=ended,
                                                                 warned_at=None))  # fmt: skip
    events.log(conn, act, "notifier.reinstate", "principal", principal_id)
    return conn.execute(select(p).where(p.c.id == principal_id)).one()
