"""Misuse (DSA Art. 23): notifiers who often file manifestly unfounded notices, and
sellers whose listings are repeatedly removed for infringement.

When a notifier's share of manifestly unfounded decisions among its decided notices,
since the later of the window's start and its last suspension's end, reaches the
threshold on at least ``misuse_min_decided`` notices, it is first warned, and on the
next unfounded decision after the warning suspended for ``suspension_s``. A suspended
notifier's notices answer 403 naming the end of the suspension. Sellers likewise:
``seller_strikes`` removals that stood (in the window, since the last suspension) warn,
the next suspends, and a suspended seller's new listings answer 403. Every suspension
has a statement of reasons (Art. 17) its notifier or seller reads. An admin reinstates,
as does an upheld complaint against the suspension's statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

from sqlalchemy import Connection, case, func, select

from loadtest.service import events, sor
from loadtest.service import schema as s
from loadtest.service.events import Act
from loadtest.service.models import iso
from loadtest.service.problems import Problem
from loadtest.service.settings import Settings


def check_not_suspended(conn: Connection, principal_id: int, now: float,
                        who: str = "notifier") -> None:  # fmt: skip
    """403 naming the end of the suspension while ``principal_id`` is suspended."""
    p = s.principals
    until = conn.execute(
        select(p.c.suspended_until).where(p.c.id == principal_id)
    ).scalar_one_or_none()
    if until is not None and until > now:
        refuse(until, who)


def refuse(until: float, who: str = "notifier") -> NoReturn:
    """The 403 a suspended notifier (or seller) gets, naming the end of its suspension."""
    raise Problem(
        403, f"{who} suspended for misuse (DSA Art. 23) until {iso(until)}",
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


def _since(act: Act, row: Any, settings: Settings) -> float | None:
    """Start of the record that counts, or None while ``row`` is suspended."""
    if row.suspended_until is not None and row.suspended_until > act.now:
        return None
    return float(max(act.now - settings.misuse_window_s, row.suspended_until or 0.0))


def _warn_or_suspend(conn: Connection, act: Act, row: Any, since: float, kind: str,
                     settings: Settings, **detail: Any) -> float | None:  # fmt: skip
    """Warn ``row``, or suspend it when already warned; returns the suspension's end."""
    p = s.principals
    if row.warned_at is None or row.warned_at < since:
        conn.execute(p.update().where(p.c.id == row.id).values(warned_at=act.now))
        events.log(conn, act, f"{kind}.warn", "principal", row.id, **detail)
        return None
    until = act.now + settings.suspension_s
    conn.execute(p.update().where(p.c.id == row.id).values(suspended_until=until,
                                                           warned_at=None))  # fmt: skip
    events.log(conn, act, f"{kind}.suspend", "principal", row.id, until=until, **detail)
    return until


def judge(conn: Connection, act: Act, notifier: Any, notice: Any,
          settings: Settings) -> str | None:  # fmt: skip
    """After ``notice`` was rejected as manifestly unfounded: warn or suspend ``notifier``
    (a principals row); a suspension comes with its statement of reasons."""
    since = _since(act, notifier, settings)
    if since is None:
        return None
    decided, unfounded = _record(conn, notifier.id, since)
    share, least = settings.misuse_unfounded_share, settings.misuse_min_decided
    if decided < least or unfounded < share * decided:
        return None
    until = _warn_or_suspend(conn, act, notifier, since, "notifier", settings,
                             decided=decided, unfounded=unfounded)  # fmt: skip
    if until is None:
        return "warned"
    ground = sor.NOTIFIER_GROUND.format(share=share, least=least)
    conn.execute(s.statements.insert(), [sor.notifier_suspension_row(
        act, notifier, notice, until, ground, decided, unfounded)])  # fmt: skip
    return "suspended"


def judge_sellers(conn: Connection, act: Act, removed: Sequence[Any],
                  settings: Settings) -> None:  # fmt: skip
    """After the removal of ``removed`` listings (id, seller_id, brand_id, created_at): a
    seller whose removals that stood (statements of removals not ended) reach
    ``seller_strikes`` is warned; the next removal suspends its account, with a
    statement of reasons of its own (which is no strike)."""
    if not settings.seller_strikes:
        return
    p, st = s.principals, s.statements
    last = {r.seller_id: r for r in sorted(removed, key=lambda r: r.id)}
    for seller_id in sorted(last):
        row = conn.execute(
            select(p).where(p.c.seller_id == seller_id, p.c.role == "seller").limit(1)
        ).first()
        since = None if row is None else _since(act, row, settings)
        if row is None or since is None:
            continue
        strikes = [i for (i,) in conn.execute(
            select(st.c.id).where(st.c.seller_id == seller_id, st.c.created_at >= since,
                                  st.c.ended_at.is_(None),
                                  st.c.restriction == sor.LISTING_REMOVED).order_by(st.c.id)
        )]  # fmt: skip
        if len(strikes) < settings.seller_strikes:
            continue
        until = _warn_or_suspend(conn, act, row, since, "seller", settings, strikes=len(strikes))
        if until is not None:
            conn.execute(st.insert(), [sor.suspension_row(act, row, last[seller_id], until,
                                                          strikes)])  # fmt: skip


def reinstate(conn: Connection, act: Act, principal_id: int) -> Any:
    """End a suspension now and clear the warning; the record starts afresh."""
    p = s.principals
    row = conn.execute(select(p).where(p.c.id == principal_id).with_for_update()).first()
    if row is None:
        raise Problem(404, f"no principal {principal_id}")
    ended = act.now if row.suspended_until is not None else None
    conn.execute(p.update().where(p.c.id == principal_id).values(suspended_until=ended,
                                                                 warned_at=None))  # fmt: skip
    st = s.statements  # a suspension still running ends with its statement of reasons
    conn.execute(st.update().where(
        st.c.principal_id == principal_id, st.c.restriction.in_(sor.SUSPENSIONS),
        st.c.ended_at.is_(None), st.c.restriction_ends_at > act.now,
    ).values(ended_at=act.now))  # fmt: skip
    kind = "seller" if row.role == "seller" else "notifier"
    events.log(conn, act, f"{kind}.reinstate", "principal", principal_id)
    return conn.execute(select(p).where(p.c.id == principal_id)).one()
