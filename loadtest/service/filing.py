"""Filing a notice: the hot write path, in few round trips of prepared SQL.

One statement checks the named listings (owner brand, state, under a pending notice),
one inserts the notice, one its items, one its event (on PostgreSQL these three are one
statement, one round trip), and for remove-first notices one removes the live listings
and one writes their audit rows. The answer is built from what was
written, not read back. The good-faith verdict is cached per brand for a few seconds
and dropped whenever a decision or counter-notice of the brand commits.
"""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, select

from loadtest.service import enforcement, events, misuse, sor
from loadtest.service import schema as s
from loadtest.service.auth import Principal
from loadtest.service.context import Outcome, Service
from loadtest.service.events import Act
from loadtest.service.models import NoticeIn, iso
from loadtest.service.problems import Problem
from loadtest.service.rawsql import Raw, in_list

CHECK = (
    "SELECT l.id, l.brand_id, l.status, EXISTS (SELECT 1 FROM notice_items ni "
    "JOIN notices n ON n.id = ni.notice_id WHERE ni.listing_id = l.id "
    "AND n.status = 'pending_review') AS pending, "
    "(SELECT suspended_until FROM principals WHERE id = :filer) AS suspended_until "
    "FROM listings l WHERE l.id IN {ids}"
)
INSERT_NOTICE = (
    "INSERT INTO notices (brand_id, filed_by, program, mode, status, reason, evidence, "
    "created_at, review_pending, notifier_name, notifier_email, right_relied_on, good_faith, "
    "source_type, priority) VALUES (:brand_id, :filed_by, :program, :mode, :status, "
    ":reason, :evidence, :created_at, :review_pending, :notifier_name, :notifier_email, "
    ":right_relied_on, :good_faith, :source_type, :priority) RETURNING id"
)
INSERT_ITEM = (
    "INSERT INTO notice_items (notice_id, listing_id, state_at_filing, url) "
    "VALUES (:notice_id, :listing_id, :state, :url)"
)
REMOVE = (
    "UPDATE listings SET status = 'removed', removed_at = :now, removed_reason = 'notice', "
    "removed_by_notice = :notice_id WHERE id IN {ids} AND status = 'live' "
    "RETURNING id, brand_id, seller_id, created_at"
)
AUDIT = (
    "INSERT INTO audit (at, actor_id, actor_role, action, listing_id, brand_id, program, "
    "notice_id) VALUES (:at, :actor_id, 'rights_holder', 'remove', :listing_id, :brand_id, "
    ":program, :notice_id)"
)
INSERT_EVENT = (
    "INSERT INTO events (at, actor_id, actor_role, request_id, action, object_type, "
    "object_id, brand_id, detail) VALUES (:at, :actor_id, :actor_role, :request_id, "
    ":action, :object_type, :object_id, :brand_id, :detail)"
)
INSERT_STATEMENT = (
    "INSERT INTO statements (puid, listing_id, seller_id, brand_id, notice_id, created_at, "
    "content_created_at, source_type, automated_decision, legal_ground, explanation, facts) "
    "VALUES (:puid, :listing_id, :seller_id, :brand_id, :notice_id, :created_at, "
    ":content_created_at, :source_type, :automated_decision, :legal_ground, :explanation, "
    ":facts)"
)
# PostgreSQL: the notice, its items and its event in one statement (foreign keys are
# checked at its end, when the notice row exists)
FILE_PG = (
    "WITH n AS (" + INSERT_NOTICE + "), "
    "i AS (INSERT INTO notice_items (notice_id, listing_id, state_at_filing, url) "
    "SELECT n.id, x.listing_id, x.state, x.url FROM n, unnest(CAST(:listing_ids AS bigint[]), "
    "CAST(:states AS text[]), CAST(:urls AS text[])) AS x(listing_id, state, url)), "
    "e AS (INSERT INTO events (at, actor_id, actor_role, request_id, action, object_type, "
    "object_id, brand_id, detail) SELECT :at, :actor_id, :actor_role, :request_id, "
    ":action, :object_type, n.id, :brand_id, :detail FROM n) "
    "SELECT id FROM n"
)
Listed = namedtuple("Listed", "id brand_id seller_id created_at")


def _states(raw: Raw, who: Principal, ids: list[int], now: float) -> dict[int, str]:
    brand_id = who.brand_id
    place, params = in_list("id", ids)
    found = {r[0]: r for r in raw.all(CHECK.format(ids=place), {"filer": who.id, **params})}
    suspended = next(iter(found.values()))[4] if found else None
    if suspended is not None and suspended > now:
        misuse.refuse(suspended)
    foreign = sorted(i for i in ids if i not in found or found[i][1] != brand_id)
    if foreign:
        shown = ", ".join(str(i) for i in foreign[:10])
        raise Problem(422, f"listing_ids: not in brand {brand_id}'s catalogue: {shown}")
    return {
        i: "removed" if found[i][2] == "removed" else "pending" if found[i][3] else "live"
        for i in ids
    }


def _program(conn: Connection, svc: Service, brand_id: int) -> str:
    program = svc.programs.get(brand_id)
    if program is None:  # programmes never change while serving
        program = conn.execute(
            select(s.brands.c.program).where(s.brands.c.id == brand_id)
        ).scalar_one()
        svc.programs[brand_id] = program
    return str(program)


def _remove_first(conn: Connection, svc: Service, brand_id: int, program: str, now: float) -> bool:
    if program != "good_faith":
        return program == "joint_force"
    hit = svc.verdicts.get(brand_id)
    if hit is not None and hit[1] > now:
        return hit[0]
    brand = conn.execute(select(s.brands).where(s.brands.c.id == brand_id)).one()
    verdict = enforcement.remove_first(conn, brand, svc.params, now)
    svc.verdicts[brand_id] = (verdict, now + svc.settings.verdict_ttl_s)
    return verdict


def _values(who: Principal, body: NoticeIn, program: str, first: bool, now: float
            ) -> dict[str, Any]:  # fmt: skip
    trusted = who.notifier_type == "trusted_flagger"
    assert who.brand_id is not None
    return {
        "brand_id": who.brand_id, "filed_by": who.id, "program": program,
        "mode": "remove_first" if first else "review_first",
        "status": "removed" if first else "pending_review", "reason": body.reason,
        "evidence": body.evidence, "created_at": now, "review_pending": True,
        "notifier_name": body.notifier_name, "notifier_email": body.notifier_email,
        "right_relied_on": body.right_relied_on, "good_faith": True,
        "source_type": sor.SOURCE_TRUSTED_FLAGGER if trusted else sor.SOURCE_ARTICLE_16,
        "priority": 0 if trusted else 1,
    }  # fmt: skip


def _remove_now(conn: Connection, raw: Raw, svc: Service, act: Act, notice: Any,
                ids: list[int]) -> list[Any]:  # fmt: skip
    place, params = in_list("id", ids)
    rows = raw.all(REMOVE.format(ids=place), {"now": act.now, "notice_id": notice.id, **params})
    removed = sorted((Listed(*r) for r in rows), key=lambda r: r.id)
    if removed:
        raw.many(AUDIT, [{"at": act.now, "actor_id": act.actor_id, "listing_id": r.id,
                          "brand_id": r.brand_id, "program": notice.program,
                          "notice_id": notice.id} for r in removed])  # fmt: skip
        raw.many(INSERT_STATEMENT, sor.rows_for(act, removed, notice, sor.FULLY))
        raw.many(INSERT_EVENT, [
            events.row(act, "listing.remove", "listing", r.id, r.brand_id, automated=True,
                       notice_id=notice.id) for r in removed
        ])  # fmt: skip
        misuse.judge_sellers(conn, act, removed, svc.settings)
    return removed


def _insert(raw: Raw, values: dict[str, Any], event: dict[str, Any], ids: list[int],
            states: dict[int, str], urls: dict[int, str]) -> int:  # fmt: skip
    """Insert the notice, its items and its event (``object_id`` filled in); its id."""
    if raw.pyformat:
        params = {**event, **values, "listing_ids": ids, "states": [states[i] for i in ids],
                  "urls": [urls[i] for i in ids]}  # fmt: skip
        return int(raw.one(FILE_PG, params)[0])
    notice_id = int(raw.one(INSERT_NOTICE, values)[0])
    raw.many(INSERT_ITEM, [{"notice_id": notice_id, "listing_id": i, "state": states[i],
                            "url": urls[i]} for i in ids])  # fmt: skip
    raw.many(INSERT_EVENT, [{**event, "object_id": notice_id}])
    return notice_id


def file_job(svc: Service, who: Principal, body: NoticeIn, act: Act) -> Any:
    """The write job filing ``body`` for ``who``'s brand."""

    def job(conn: Connection) -> Outcome:
        assert who.brand_id is not None
        now = act.now
        raw = Raw(conn)
        brand_id = who.brand_id
        urls = dict(zip(body.listing_ids, body.urls, strict=True))
        ids = list(urls)
        states = _states(raw, who, ids, now)
        program = _program(conn, svc, brand_id)
        first = _remove_first(conn, svc, brand_id, program, now)
        values = _values(who, body, program, first, now)
        detail = {"mode": values["mode"], "source_type": values["source_type"],
                  "listings": len(ids)}  # fmt: skip
        event = events.row(act, "notice.file", "notice", 0, brand_id, **detail)
        notice_id = _insert(raw, values, event, ids, states, urls)
        notice_row = SimpleNamespace(id=notice_id, **values)
        removed = _remove_now(conn, raw, svc, act, notice_row, ids) if first else []
        notice = {
            **values, "id": notice_id, "created_at": iso(now), "decision": None,
            "decided_at": None,
            "items": [{"listing_id": i, "state_at_filing": states[i], "url": urls[i]}
                      for i in sorted(ids)],
        }  # fmt: skip
        for private in ("filed_by", "priority"):
            del notice[private]
        return Outcome(201, notice, program=program, removed=len(removed), filed=True,
                       removal_delay_s=0.0)  # fmt: skip

    return job
