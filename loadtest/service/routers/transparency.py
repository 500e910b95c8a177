"""The transparency report (DSA Art. 15 and 24) over a period, as JSON or CSV.

Counted from the domain tables (notices, statements of reasons, complaints) and, for
suspensions, the audit events; a test recomputes every count from the audit log.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import Connection, func, select

from loadtest.service import schema as s
from loadtest.service import sor
from loadtest.service.context import Service, service
from loadtest.service.models import Transparency, iso
from loadtest.service.problems import responses
from loadtest.service.routers.statements import From, To, period

router = APIRouter(prefix="/v1/transparency", tags=["transparency"])
CATEGORY = "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"


def _notices(conn: Connection, lo: float, hi: float) -> dict[str, Any]:
    n = s.notices
    rows = conn.execute(select(n.c.source_type, n.c.decision, n.c.unfounded)
                        .where(n.c.created_at >= lo, n.c.created_at < hi)).all()  # fmt: skip
    return {
        "total": len(rows),
        "by_source": dict(Counter(r.source_type or sor.SOURCE_ARTICLE_16 for r in rows)),
        "by_category": {CATEGORY: len(rows)} if rows else {},
        "by_decision": dict(Counter(r.decision or "pending" for r in rows)),
        "manifestly_unfounded": sum(1 for r in rows if r.unfounded),
    }


def _actions(conn: Connection, lo: float, hi: float) -> tuple[dict[str, Any], list[float], int]:
    """Restrictions by type, ground and source (listing removals, account suspensions),
    the notice-to-removal delays and how many decisions were automated."""
    st, n = s.statements, s.notices
    made = conn.execute(
        select(st.c.restriction, st.c.automated_decision, st.c.source_type, st.c.created_at,
               n.c.created_at.label("filed_at"))
        .outerjoin(n, n.c.id == st.c.notice_id)
        .where(st.c.created_at >= lo, st.c.created_at < hi)
    ).all()  # fmt: skip
    ended = conn.execute(select(st.c.restriction, func.count())
                         .where(st.c.ended_at >= lo, st.c.ended_at < hi)
                         .group_by(st.c.restriction)).all()  # fmt: skip
    kinds = Counter(r.restriction for r in made)
    lifted = {str(r[0]): int(r[1]) for r in ended}
    by_type = {"listing_removed": kinds[sor.LISTING_REMOVED],
               "listing_restored": lifted.get(sor.LISTING_REMOVED, 0)}  # fmt: skip
    for kind in sor.SUSPENSIONS:  # account_suspended, notices_suspended: when there are any
        if kinds[kind] or lifted.get(kind):
            by_type[kind] = kinds[kind]
            by_type[kind.replace("_suspended", "_reinstated")] = lifted.get(kind, 0)
    grounds = Counter("DECISION_GROUND_INCOMPATIBLE_CONTENT" if k in sor.SUSPENSIONS
                      else "DECISION_GROUND_ILLEGAL_CONTENT" for k in kinds.elements())  # fmt: skip
    actions = {"by_type": by_type, "by_ground": dict(grounds),
               "by_source": dict(Counter(r.source_type for r in made))}  # fmt: skip
    delays = [r.created_at - r.filed_at for r in made
              if r.restriction == sor.LISTING_REMOVED and r.filed_at is not None]  # fmt: skip
    automated = sum(1 for r in made if r.automated_decision == sor.FULLY)
    return actions, delays, automated


def _complaints(conn: Connection, lo: float, hi: float) -> dict[str, Any]:
    c = s.complaints
    rows = conn.execute(select(c.c.kind, c.c.status, c.c.created_at, c.c.decided_at)
                        .where(c.c.created_at >= lo, c.c.created_at < hi)).all()  # fmt: skip
    times = [r.decided_at - r.created_at for r in rows if r.decided_at is not None]
    return {
        "total": len(rows),
        "by_kind": dict(Counter(r.kind for r in rows)),
        "by_outcome": dict(Counter(r.status for r in rows)),
        "median_time_to_decision_s": statistics.median(times) if times else None,
    }


def report(conn: Connection, lo: float, hi: float) -> dict[str, Any]:
    """Every count of the report over ``[lo, hi)``."""
    actions, delays, automated = _actions(conn, lo, hi)
    ev = s.events
    suspensions = conn.execute(
        select(func.count()).where(
            ev.c.action.in_(["notifier.suspend", "seller.suspend"]), ev.c.at >= lo, ev.c.at < hi
        )
    ).scalar_one()
    return {
        "period": {"from": iso(lo) or "", "to": iso(min(hi, 253402300799.0)) or ""},
        "notices": _notices(conn, lo, hi),
        "actions": actions,
        "median_time_to_action_s": statistics.median(delays) if delays else None,
        "automated_decisions": automated,
        "complaints": _complaints(conn, lo, hi),
        "suspensions": int(suspensions),
    }


@router.get("", response_model=Transparency, responses=responses(422, 429))
def transparency(svc: Annotated[Service, Depends(service)], start: From = None,
                 end: To = None) -> Any:  # fmt: skip
    """Notices by source and category, actions by type and ground, median time to action,
    automated decisions, complaints and outcomes, suspensions, for ``[from, to)``."""
    lo, hi = period(start, end)
    return svc.read(lambda c: report(c, lo, hi))


def flatten(doc: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted name, value) pairs of a nested report."""
    out: list[tuple[str, Any]] = []
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += flatten(value, name + ".")
        else:
            out.append((name, value))
    return out


@router.get("/csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
                       **responses(422, 429)})  # fmt: skip
def transparency_csv(svc: Annotated[Service, Depends(service)], start: From = None,
                     end: To = None) -> Response:  # fmt: skip
    """The same report as ``metric,value`` rows."""
    lo, hi = period(start, end)
    doc = svc.read(lambda c: report(c, lo, hi))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["metric", "value"])
    writer.writerows(flatten(doc))
    return Response(buf.getvalue(), media_type="text/csv")
