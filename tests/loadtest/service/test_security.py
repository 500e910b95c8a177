"""Security and operations: per-principal limits whatever the header's spelling,
bounded limiter and key-cache memory, revocation and rotation seen by every process,
the bearer scheme in OpenAPI, request ids, readiness, metrics, the transparency report.
"""

from __future__ import annotations

import secrets
import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loadtest.service import db
from loadtest.service.auth import MAX_UNKNOWN, KeyStore, hash_key
from loadtest.service.clock import ManualClock
from loadtest.service.ratelimit import TokenBuckets
from tests.loadtest.service.conftest import (
    Seeded,
    auth,
    brand_listing_ids,
    make_client,
    notice_body,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def admin(seeded: Seeded) -> dict[str, str]:
    return auth(seeded.keys["admin"]["key"])


@pytest.mark.parametrize(
    "spelling", ["Bearer {}", "bearer {}", "BEARER {}", "Bearer  {}", " Bearer {} ", "Bearer\t{}"]
)
def test_a_key_has_one_bucket_however_its_header_is_spelled(
    seeded: Seeded, clock: ManualClock, spelling: str
) -> None:
    rh = seeded.holder("standard")
    with make_client(seeded.url, clock=clock, rate_limit=1, rate_burst=2) as c:
        ok = [c.get("/v1/notices", headers=auth(rh["key"])).status_code for _ in range(2)]
        assert ok == [200, 200]
        again = c.get("/v1/notices", headers={"Authorization": spelling.format(rh["key"])})
        assert again.status_code == 429
        assert again.headers["ratelimit-limit"] == "2" and again.headers["retry-after"] == "1"


def test_random_keys_count_against_the_address_and_memory_stays_bounded(
    seeded: Seeded, clock: ManualClock
) -> None:
    with make_client(seeded.url, clock=clock, rate_limit=1, anon_rate_limit=1000) as c:
        codes = Counter(
            c.get("/v1/notices", headers=auth(secrets.token_urlsafe(24))).status_code
            for _ in range(2500)
        )
        assert codes == {401: 2000, 429: 500}  # one bucket of 2000 for the address
        rh = seeded.holder("standard")
        # a key not seen yet is looked up only on the address's budget: none left now
        assert c.get("/v1/notices", headers=auth(rh["key"])).status_code == 429
        clock.advance(1.0)
        assert c.get("/v1/notices", headers=auth(rh["key"])).status_code == 200
        known, unknown = c.app.state.keys.sizes()  # type: ignore[attr-defined]
        assert known == 1 and unknown <= 2000


def test_limiter_holds_at_most_max_keys_after_200k_random_keys(clock: ManualClock) -> None:
    buckets = TokenBuckets(1.0, 2.0, max_keys=10_000, clock=clock)
    for _ in range(200_000):
        assert buckets.take(secrets.token_hex(16)).allowed
    assert len(buckets) == 10_000
    hot = "p:1"
    assert [buckets.take(hot).allowed for _ in range(3)] == [True, True, False]
    for _ in range(5_000):  # other keys come and go; the busy key keeps its bucket
        buckets.take(secrets.token_hex(16))
        clock.advance(0.0001)
    assert not buckets.take(hot).allowed


def test_key_cache_forgets_unknown_keys_beyond_its_bound(seeded: Seeded) -> None:
    from loadtest.service import db

    engine = db.make_engine(seeded.url, pool_size=1)
    store = KeyStore(engine, ManualClock())
    for _ in range(MAX_UNKNOWN + 2_000):
        assert store.lookup(hash_key(secrets.token_urlsafe(24))) is None
    engine.dispose()
    assert store.sizes() == (0, MAX_UNKNOWN)


@pytest.fixture
def two_workers(seeded: Seeded, clock: ManualClock) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps on one database, as two worker processes would be."""
    settings = {"clock": clock, "rate_limit": 0, "key_refresh_s": 0.5}
    with make_client(seeded.url, **settings) as a, make_client(seeded.url, **settings) as b:
        yield a, b


def _pid(c: TestClient, seeded: Seeded, key: str) -> int:
    rh_ids = [r for r in seeded.keys["rights_holders"] if r["key"] == key]
    nid = c.post("/v1/notices", json=notice_body(brand_listing_ids(c, rh_ids[0]["brand_id"], 1)),
                 headers=auth(key)).json()["id"]  # fmt: skip
    events = c.get("/v1/audit/events", params={"limit": 1000}, headers=admin(seeded)).json()
    return next(e["actor_id"] for e in events["items"] if e["object_id"] == nid
                and e["action"] == "notice.file")  # fmt: skip


def test_revoked_key_is_refused_by_every_worker_within_the_refresh(
    seeded: Seeded, clock: ManualClock, two_workers: tuple[TestClient, TestClient]
) -> None:
    a, b = two_workers
    rh = seeded.holder("standard")
    pid = _pid(a, seeded, rh["key"])
    assert b.get("/v1/notices", headers=auth(rh["key"])).status_code == 200  # cached in b
    r = a.post(f"/v1/admin/principals/{pid}/revoke", headers=admin(seeded))
    assert r.status_code == 200 and r.json()["revoked"] is True
    assert a.get("/v1/notices", headers=auth(rh["key"])).status_code == 401  # at once here
    clock.advance(0.5)  # the other worker's next check
    assert b.get("/v1/notices", headers=auth(rh["key"])).status_code == 401
    again = a.post(f"/v1/admin/principals/{pid}/revoke", headers=admin(seeded))
    assert again.status_code == 409
    events = a.get("/v1/audit/events", params={"limit": 1000}, headers=admin(seeded)).json()
    assert [e["actor_role"] for e in events["items"] if e["action"] == "key.revoke"] == ["admin"]


def test_rotated_key_replaces_the_old_one(
    seeded: Seeded, clock: ManualClock, two_workers: tuple[TestClient, TestClient]
) -> None:
    a, b = two_workers
    rh = seeded.holder("standard")
    pid = _pid(a, seeded, rh["key"])
    r = a.post(f"/v1/admin/principals/{pid}/rotate", headers=admin(seeded))
    assert r.status_code == 200
    new = r.json()["key"]
    assert new != rh["key"]
    clock.advance(0.5)
    for c in (a, b):
        assert c.get("/v1/notices", headers=auth(rh["key"])).status_code == 401
        assert c.get("/v1/notices", headers=auth(new)).status_code == 200


def test_openapi_declares_the_bearer_scheme_on_keyed_operations(seeded: Seeded) -> None:
    with make_client(seeded.url, rate_limit=0) as c:
        spec = c.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert [(s["type"], s["scheme"]) for s in schemes.values()] == [("http", "bearer")]
    (name,) = schemes
    keyed = {(m, p) for p, item in spec["paths"].items() for m, op in item.items()
             if {name: []} in op.get("security", [])}  # fmt: skip
    assert ("post", "/v1/notices") in keyed and ("get", "/v1/statements/{statement_id}") in keyed
    assert ("get", "/v1/listings/{listing_id}") not in keyed
    assert ("get", "/healthz") not in keyed


def test_request_id_is_echoed_and_recorded_with_the_change(seeded: Seeded) -> None:
    with make_client(seeded.url, rate_limit=0) as c:
        rh = seeded.holder("standard")
        ids = brand_listing_ids(c, rh["brand_id"], 1)
        r = c.post("/v1/notices", json=notice_body(ids),
                   headers={**auth(rh["key"]), "X-Request-ID": "trace-abc-123"})  # fmt: skip
        assert r.headers["x-request-id"] == "trace-abc-123"
        fresh = c.get("/v1/listings").headers["x-request-id"]
        assert len(fresh) == 16
        events = c.get("/v1/audit/events", headers=admin(seeded)).json()["items"]
        filed = [e for e in events if e["action"] == "notice.file"]
        assert [(e["request_id"], e["actor_role"]) for e in filed] == [
            ("trace-abc-123", "rights_holder")
        ]  # fmt: skip


def test_readyz_checks_the_database_and_metrics_time_removals(seeded: Seeded) -> None:
    with make_client(seeded.url, rate_limit=0) as c:
        assert c.get("/readyz").json()["schema_version"] == len(db.MIGRATIONS)
        jf = seeded.holder("joint_force")
        c.post("/v1/notices", json=notice_body(brand_listing_ids(c, jf["brand_id"], 2)),
               headers=auth(jf["key"]))  # fmt: skip
        text = c.get("/metrics").text
        line = 'takedown_notice_to_removal_seconds_count{program="joint_force"} 2.0'
        assert line in text
        assert "takedown_write_transactions_total" in text


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _recount(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's counts, recomputed from the audit events alone."""
    filed = {e["object_id"]: e for e in events if e["action"] == "notice.file"}
    removals = [e for e in events if e["action"] == "listing.remove"]
    decided = [e for e in events if e["action"] == "complaint.decide"]
    return {
        "notices": len(filed),
        "by_source": dict(Counter(e["detail"]["source_type"] for e in filed.values())),
        "removed": len(removals),
        "restored": sum(1 for e in events if e["action"] == "listing.restore"),
        "automated": sum(1 for e in removals if e["detail"]["automated"]),
        "median_delay_s": statistics.median(
            _epoch(e["at"]) - _epoch(filed[e["detail"]["notice_id"]]["at"]) for e in removals
        ),
        "complaints": sum(1 for e in events if e["action"] == "complaint.file"),
        "upheld": sum(1 for e in decided if e["detail"]["outcome"] == "upheld"),
        "suspensions": sum(1 for e in events if e["action"].endswith(".suspend")),
    }


def test_transparency_counts_equal_a_recount_of_the_audit_log(
    seeded: Seeded, clock: ManualClock
) -> None:
    with make_client(seeded.url, clock=clock, rate_limit=0, misuse_min_decided=1) as c:
        std, jf = seeded.holder("standard"), seeded.holder("joint_force")
        std_am, jf_am = seeded.manager_of(std["brand_id"]), seeded.manager_of(jf["brand_id"])
        for k in range(3):
            ids = brand_listing_ids(c, std["brand_id"], 1)
            nid = c.post("/v1/notices", json=notice_body(ids), headers=auth(std["key"])).json()[
                "id"
            ]
            clock.advance(3600.0 * (k + 1))
            c.post(f"/v1/notices/{nid}/decision", json={"decision": "approve"},
                   headers=auth(std_am["key"]))  # fmt: skip
        ids = brand_listing_ids(c, jf["brand_id"], 2)
        nid = c.post("/v1/notices", json=notice_body(ids), headers=auth(jf["key"])).json()["id"]
        c.post(f"/v1/notices/{nid}/decision", json={"decision": "reject",
               "manifestly_unfounded": True}, headers=auth(jf_am["key"]))  # fmt: skip
        report = c.get("/v1/transparency").json()
        events = c.get("/v1/audit/events", params={"limit": 1000}, headers=admin(seeded))
        recount = _recount(events.json()["items"])
        csv_text = c.get("/v1/transparency/csv").text
    assert report["notices"]["total"] == recount["notices"] == 4
    assert report["notices"]["by_source"] == recount["by_source"]
    assert report["actions"]["by_type"] == {
        "listing_removed": recount["removed"], "listing_restored": recount["restored"]
    }  # fmt: skip
    assert report["automated_decisions"] == recount["automated"] == 2
    # removals after 1 h, 2 h, 3 h of review and two at filing: the median is 1 h
    assert report["median_time_to_action_s"] == recount["median_delay_s"] == 3600.0
    assert report["complaints"]["total"] == recount["complaints"]
    assert report["suspensions"] == recount["suspensions"]
    assert "notices.total,4" in csv_text
