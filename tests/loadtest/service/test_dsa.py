"""DSA notice and action on both databases: Art. 16 notices, trusted flaggers (Art. 22),
statements of reasons (Art. 17) and their export, complaints (Art. 20), misuse (Art. 23).

Time is a ``ManualClock`` handed to the app: suspensions end by advancing it, never by
sleeping.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from loadtest.service import sor
from loadtest.service.clock import ManualClock
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


@pytest.fixture
def c(seeded: Seeded, clock: ManualClock) -> Iterator[TestClient]:
    with make_client(seeded.url, clock=clock, rate_limit=0, anon_rate_limit=0) as client:
        yield client


def admin(seeded: Seeded) -> dict[str, str]:
    return auth(seeded.keys["admin"]["key"])


def principal_id(c: TestClient, seeded: Seeded, key: str) -> int:
    """A principal's id, read from the audit event of a notice it files."""
    events = c.get("/v1/audit/events", params={"limit": 1000}, headers=admin(seeded)).json()
    ids = {e["actor_id"] for e in events["items"] if e["actor_role"] == "rights_holder"}
    assert ids, "file a notice first"
    return max(ids)


def decide(c: TestClient, key: str, nid: int, decision: str, **extra: Any) -> Any:
    return c.post(f"/v1/notices/{nid}/decision", json={"decision": decision, **extra},
                  headers=auth(key))  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"notifier_name": None}, "notifier_name"),
        ({"notifier_email": "not-an-email"}, "notifier_email"),
        ({"good_faith_statement": False}, "good_faith_statement"),
        ({"right_relied_on": ""}, "right_relied_on"),
        ({"evidence": ""}, "evidence"),
        ({"urls": []}, "urls"),
        ({"urls": ["https://marketplace.example/listings/999999"]}, "urls[0]"),
    ],
)
def test_notice_without_an_art16_element_is_422_naming_it(
    c: TestClient, seeded: Seeded, change: dict[str, Any], field: str
) -> None:
    rh = seeded.holder("standard")
    body = notice_body(brand_listing_ids(c, rh["brand_id"], 1), **change)
    body = {k: v for k, v in body.items() if v is not None}
    r = c.post("/v1/notices", json=body, headers=auth(rh["key"]))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"].startswith(field), r.json()
    listed = c.get("/v1/notices", headers=auth(rh["key"])).json()["items"]
    assert listed == []


def test_a_notice_keeps_its_art16_elements(c: TestClient, seeded: Seeded) -> None:
    rh = seeded.holder("standard")
    ids = brand_listing_ids(c, rh["brand_id"], 2)
    r = c.post("/v1/notices", json=notice_body(ids), headers=auth(rh["key"]))
    got = c.get(f"/v1/notices/{r.json()['id']}", headers=auth(rh["key"])).json()
    assert got == r.json()
    assert (got["notifier_email"], got["good_faith"], got["source_type"]) == (
        "legal@brand.example", True, "SOURCE_ARTICLE_16"
    )  # fmt: skip
    assert [i["url"] for i in got["items"]] == [
        f"https://marketplace.example/listings/{i}" for i in sorted(ids)
    ]


def test_trusted_flagger_items_are_claimed_before_older_ordinary_ones(
    c: TestClient, seeded: Seeded
) -> None:
    ordinary, flagger = seeded.holder("standard", 0), seeded.holder("standard", 1)
    am = seeded.manager_of(ordinary["brand_id"])
    assert flagger["brand_id"] in am["brand_ids"]
    first = c.post("/v1/notices", json=notice_body(brand_listing_ids(c, flagger["brand_id"], 1)),
                   headers=auth(flagger["key"])).json()["id"]  # fmt: skip
    pid = principal_id(c, seeded, flagger["key"])
    r = c.put(f"/v1/admin/principals/{pid}/notifier", json={"notifier_type": "trusted_flagger"},
              headers=admin(seeded))  # fmt: skip
    assert r.status_code == 200 and r.json()["notifier_type"] == "trusted_flagger"
    older = [
        c.post("/v1/notices", json=notice_body(brand_listing_ids(c, ordinary["brand_id"], 1)),
               headers=auth(ordinary["key"])).json()["id"]
        for _ in range(3)
    ]  # fmt: skip
    trusted = c.post("/v1/notices", json=notice_body(brand_listing_ids(c, flagger["brand_id"], 1)),
                     headers=auth(flagger["key"])).json()  # fmt: skip
    assert trusted["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    claimed = c.post("/v1/review-queue/claim", json={"limit": 5}, headers=auth(am["key"]))
    order = [i["id"] for i in claimed.json()["items"] if i["kind"] == "notice"]
    assert order == [trusted["id"], first, *older]


def _removed_by_notice(c: TestClient, seeded: Seeded) -> tuple[dict[str, Any], dict[str, Any]]:
    """A standard brand's listing removed after review; (listing, its seller)."""
    rh = seeded.holder("standard")
    item = c.get("/v1/listings", params={"brand_id": rh["brand_id"], "limit": 1}).json()["items"][0]
    nid = c.post("/v1/notices", json=notice_body([item["id"]]), headers=auth(rh["key"])).json()[
        "id"
    ]
    assert decide(c, seeded.manager_of(rh["brand_id"])["key"], nid, "approve").status_code == 200
    seller = next(s for s in seeded.keys["sellers"] if s["seller_id"] == item["seller_id"])
    return item, seller


def test_every_removal_has_a_statement_its_seller_reads(c: TestClient, seeded: Seeded) -> None:
    item, seller = _removed_by_notice(c, seeded)
    gone = c.get(f"/v1/listings/{item['id']}").json()
    sid = gone["statement_id"]
    st = c.get(f"/v1/statements/{sid}", headers=auth(seller["key"]))
    assert st.status_code == 200
    body = st.json()
    assert (body["listing_id"], body["ground"], body["automated_decision"]) == (
        item["id"], "illegal_content", False
    )  # fmt: skip
    assert "Art. 20" in body["redress"] and body["legal_ground"] == "EU trade mark 018000001"
    other = next(s for s in seeded.keys["sellers"] if s["seller_id"] != seller["seller_id"])
    assert c.get(f"/v1/statements/{sid}", headers=auth(other["key"])).status_code == 404
    mine = c.get("/v1/statements", headers=auth(seller["key"])).json()["items"]
    assert [s["id"] for s in mine] == [sid]
    assert c.get("/v1/statements", headers=auth(other["key"])).json()["items"] == []


def test_every_export_line_validates_against_the_tdb_schema(c: TestClient, seeded: Seeded) -> None:
    _removed_by_notice(c, seeded)
    jf = seeded.holder("joint_force")
    ids = brand_listing_ids(c, jf["brand_id"], 3)
    nid = c.post("/v1/notices", json=notice_body(ids), headers=auth(jf["key"])).json()["id"]
    decide(c, seeded.manager_of(jf["brand_id"])["key"], nid, "reject")  # restores: end dates
    r = c.get("/v1/statements/export", headers=admin(seeded))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == 4
    validator = jsonschema_rs.validator_for(sor.schema(), validate_formats=True)
    for line in lines:
        errors = [e.message for e in validator.iter_errors(line)]
        assert errors == [], errors
    assert sum(1 for x in lines if x["automated_decision"] == "AUTOMATED_DECISION_FULLY") == 3
    assert sum(1 for x in lines if "end_date_visibility_restriction" in x) == 3
    # the schema is not a rubber stamp: a wrong key or a missing ground fails it
    bad = {**lines[0], "decision_ground": "ILLEGAL"}
    assert not validator.is_valid(bad)
    assert not validator.is_valid({k: v for k, v in lines[0].items() if k != "puid"})


def test_seller_complaint_is_decided_by_a_different_reviewer(c: TestClient, seeded: Seeded) -> None:
    item, seller = _removed_by_notice(c, seeded)
    sid = c.get(f"/v1/listings/{item['id']}").json()["statement_id"]
    filed = c.post("/v1/complaints", json={"statement_id": sid, "text": "genuine, invoice"},
                   headers=auth(seller["key"]))  # fmt: skip
    assert filed.status_code == 201 and filed.json()["kind"] == "seller"
    cid = filed.json()["id"]
    first = seeded.manager_of(item["brand_id"])
    same = c.post(f"/v1/complaints/{cid}/decision", json={"decision": "uphold"},
                  headers=auth(first["key"]))  # fmt: skip
    assert same.status_code == 409 and "first decision" in same.json()["detail"]
    second = next(m for m in seeded.keys["account_managers"]
                  if item["brand_id"] in m["brand_ids"] and m["key"] != first["key"])  # fmt: skip
    done = c.post(f"/v1/complaints/{cid}/decision", json={"decision": "uphold"},
                  headers=auth(second["key"]))  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "upheld"
    assert done.json()["decided_at"] is not None
    assert c.get(f"/v1/listings/{item['id']}").status_code == 200
    ended = c.get(f"/v1/statements/{sid}", headers=auth(seller["key"])).json()
    assert ended["ended_at"] is not None


def test_notifier_complaint_against_a_rejection(c: TestClient, seeded: Seeded) -> None:
    rh = seeded.holder("standard")
    pool = [m for m in seeded.keys["account_managers"] if rh["brand_id"] in m["brand_ids"]]
    ids = brand_listing_ids(c, rh["brand_id"], 2)
    nid = c.post("/v1/notices", json=notice_body(ids), headers=auth(rh["key"])).json()["id"]
    early = c.post("/v1/complaints", json={"notice_id": nid, "text": "x"}, headers=auth(rh["key"]))
    assert early.status_code == 409  # nothing rejected yet
    decide(c, pool[0]["key"], nid, "reject")
    filed = c.post("/v1/complaints", json={"notice_id": nid, "text": "they are fakes"},
                   headers=auth(rh["key"]))  # fmt: skip
    assert filed.status_code == 201 and filed.json()["kind"] == "notifier"
    cid = filed.json()["id"]
    assert c.get(f"/v1/complaints/{cid}", headers=auth(rh["key"])).status_code == 200
    assert c.post(f"/v1/complaints/{cid}/decision", json={"decision": "uphold"},
                  headers=auth(pool[0]["key"])).status_code == 409  # fmt: skip
    done = c.post(f"/v1/complaints/{cid}/decision", json={"decision": "uphold"},
                  headers=auth(pool[1]["key"]))  # fmt: skip
    assert done.json()["status"] == "upheld"
    assert all(c.get(f"/v1/listings/{i}").status_code == 410 for i in ids)
    assert c.get(f"/v1/notices/{nid}", headers=auth(rh["key"])).json()["status"] == "approved"


def test_unfounded_notifier_is_warned_then_suspended_then_reinstated(
    seeded: Seeded, clock: ManualClock
) -> None:
    with make_client(seeded.url, clock=clock, rate_limit=0, misuse_min_decided=4,
                     suspension_s=86400.0) as c:  # fmt: skip
        rh = seeded.holder("standard")
        am = seeded.manager_of(rh["brand_id"])
        ids = brand_listing_ids(c, rh["brand_id"], 1)

        def unfounded() -> None:
            nid = c.post("/v1/notices", json=notice_body(ids), headers=auth(rh["key"])).json()["id"]
            assert decide(c, am["key"], nid, "reject", manifestly_unfounded=True).status_code == 200

        for _ in range(4):
            unfounded()
        pid = principal_id(c, seeded, rh["key"])
        state = c.get(f"/v1/admin/principals/{pid}", headers=admin(seeded)).json()
        assert state["warned_at"] is not None and state["suspended_until"] is None
        unfounded()
        state = c.get(f"/v1/admin/principals/{pid}", headers=admin(seeded)).json()
        assert state["suspended_until"] is not None
        before = len(c.get("/v1/notices?limit=100", headers=auth(rh["key"])).json()["items"])
        retry = {**auth(rh["key"]), "Idempotency-Key": "while-suspended"}
        for _ in range(2):  # the retry with the same key does not file either
            r = c.post("/v1/notices", json=notice_body(ids), headers=retry)
            assert r.status_code == 403
            assert r.json()["suspended_until"] == state["suspended_until"]
            assert state["suspended_until"] in r.json()["detail"]
        after = len(c.get("/v1/notices?limit=100", headers=auth(rh["key"])).json()["items"])
        assert after == before
        back = c.post(f"/v1/admin/principals/{pid}/reinstate", headers=admin(seeded))
        assert back.status_code == 200 and back.json()["warned_at"] is None
        r = c.post("/v1/notices", json=notice_body(ids), headers=retry)
        assert r.status_code == 201
        actions = [e["action"] for e in c.get("/v1/audit/events", params={"limit": 1000},
                                              headers=admin(seeded)).json()["items"]]  # fmt: skip
        assert [a for a in actions if a.startswith("notifier.")] == [
            "notifier.warn", "notifier.suspend", "notifier.reinstate"
        ]  # fmt: skip


def test_a_suspension_ends_when_its_time_is_up(seeded: Seeded, clock: ManualClock) -> None:
    with make_client(seeded.url, clock=clock, rate_limit=0, misuse_min_decided=1,
                     suspension_s=3600.0) as c:  # fmt: skip
        rh = seeded.holder("standard")
        am = seeded.manager_of(rh["brand_id"])
        ids = brand_listing_ids(c, rh["brand_id"], 1)
        for _ in range(2):  # warned, then suspended
            nid = c.post("/v1/notices", json=notice_body(ids), headers=auth(rh["key"])).json()["id"]
            decide(c, am["key"], nid, "reject", manifestly_unfounded=True)
        assert (
            c.post("/v1/notices", json=notice_body(ids), headers=auth(rh["key"])).status_code == 403
        )
        clock.advance(3599.0)
        assert (
            c.post("/v1/notices", json=notice_body(ids), headers=auth(rh["key"])).status_code == 403
        )
        clock.advance(2.0)
        assert (
            c.post("/v1/notices", json=notice_body(ids), headers=auth(rh["key"])).status_code == 201
        )


def test_a_seller_with_repeated_removals_is_warned_then_suspended(
    seeded: Seeded, clock: ManualClock
) -> None:
    with make_client(seeded.url, clock=clock, rate_limit=0, anon_rate_limit=0,
                     seller_strikes=2) as c:  # fmt: skip
        jf = seeded.holder("joint_force")
        seller, lids = _busiest_seller(c, seeded, jf)
        new = {"brand_id": jf["brand_id"], "title": "bag", "price_usd": 10.0}
        for lid in lids[:2]:  # two removals that stand: a warning, still allowed to list
            c.post("/v1/notices", json=notice_body([lid]), headers=auth(jf["key"]))
        assert c.post("/v1/listings", json=new, headers=auth(seller["key"])).status_code == 201
        c.post("/v1/notices", json=notice_body([lids[2]]), headers=auth(jf["key"]))
        refused = c.post("/v1/listings", json=new, headers=auth(seller["key"]))
        assert refused.status_code == 403 and refused.json()["suspended_until"]
        assert refused.json()["detail"].startswith("seller suspended")
        events = c.get("/v1/audit/events", params={"limit": 1000}, headers=admin(seeded)).json()
        marks = [e for e in events["items"] if e["action"].startswith("seller.")]
        assert [e["action"] for e in marks] == ["seller.warn", "seller.suspend"]
        pid = marks[0]["object_id"]
        assert c.post(f"/v1/admin/principals/{pid}/reinstate", headers=admin(seeded)).is_success
        assert c.post("/v1/listings", json=new, headers=auth(seller["key"])).status_code == 201


def _busiest_seller(
    c: TestClient, seeded: Seeded, holder: dict[str, Any]
) -> tuple[dict[str, Any], list[int]]:
    """The seller (its keys entry) with the most live listings of ``holder``'s brand, and
    those listings' ids; at least three, enough for a warning and a suspension."""
    items = c.get("/v1/listings", params={"brand_id": holder["brand_id"], "limit": 100}).json()
    by_seller: dict[int, list[int]] = {}
    for item in items["items"]:
        by_seller.setdefault(item["seller_id"], []).append(item["id"])
    sid, lids = max(by_seller.items(), key=lambda kv: len(kv[1]))
    assert len(lids) >= 3
    return next(s for s in seeded.keys["sellers"] if s["seller_id"] == sid), lids


def _suspend_a_seller(c: TestClient, seeded: Seeded) -> tuple[dict[str, Any], list[int]]:
    """Three joint_force removals of one seller's listings (strikes 2): warned, then
    suspended. Returns the seller and its listings (the first three removed)."""
    jf = seeded.holder("joint_force")
    seller, lids = _busiest_seller(c, seeded, jf)
    for lid in lids[:3]:
        c.post("/v1/notices", json=notice_body([lid]), headers=auth(jf["key"]))
    return seller, lids


def test_an_account_suspension_has_a_statement_and_an_upheld_complaint_reinstates(
    seeded: Seeded, clock: ManualClock
) -> None:
    with make_client(seeded.url, clock=clock, rate_limit=0, anon_rate_limit=0,
                     seller_strikes=2, suspension_s=7 * 86400.0) as c:  # fmt: skip
        seller, lids = _suspend_a_seller(c, seeded)
        mine = c.get("/v1/statements", headers=auth(seller["key"])).json()["items"]
        assert [s["restriction"] for s in mine] == ["listing_removed"] * 3 + ["account_suspended"]
        susp = mine[-1]
        assert (susp["ground"], susp["source_type"], susp["automated_decision"]) == (
            "terms", "SOURCE_VOLUNTARY", True
        )  # fmt: skip
        assert susp["restriction_ends_at"] is not None and susp["notice_id"] is None
        tdb = susp["transparency_database"]
        assert tdb["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
        assert tdb["end_date_account_restriction"] == susp["restriction_ends_at"][:10]
        assert "decision_visibility" not in tdb and "source_identity" not in tdb
        # the listing that tipped it still names its removal's statement, not the suspension
        assert c.get(f"/v1/listings/{lids[2]}").json()["statement_id"] == mine[2]["id"]
        new = {"brand_id": seeded.holder("joint_force")["brand_id"], "title": "bag",
               "price_usd": 10.0}  # fmt: skip
        assert c.post("/v1/listings", json=new, headers=auth(seller["key"])).status_code == 403
        export = c.get("/v1/statements/export", headers=admin(seeded)).text
        lines = [json.loads(x) for x in export.splitlines()]
        validator = jsonschema_rs.validator_for(sor.schema(), validate_formats=True)
        assert len(lines) == 4 and all(validator.is_valid(x) for x in lines)
        assert not validator.is_valid({**tdb, "source_identity": "someone"})
        assert not validator.is_valid({k: v for k, v in tdb.items() if k != "decision_account"})
        clock.advance(3600.0)
        filed = c.post("/v1/complaints", json={"statement_id": susp["id"], "text": "genuine"},
                       headers=auth(seller["key"]))  # fmt: skip
        assert filed.status_code == 201
        am = seeded.manager_of(new["brand_id"])
        done = c.post(f"/v1/complaints/{filed.json()['id']}/decision",
                      json={"decision": "uphold"}, headers=auth(am["key"]))  # fmt: skip
        assert done.status_code == 200 and done.json()["status"] == "upheld"
        assert c.post("/v1/listings", json=new, headers=auth(seller["key"])).status_code == 201
        after = c.get(f"/v1/statements/{susp['id']}", headers=auth(seller["key"])).json()
        assert after["ended_at"] is not None
        assert after["transparency_database"]["end_date_account_restriction"] == (
            after["ended_at"][:10]
        )  # fmt: skip
        assert all(c.get(f"/v1/listings/{i}").status_code == 410 for i in lids[:3])
        report = c.get("/v1/transparency").json()
        assert report["actions"]["by_type"] == {
            "listing_removed": 3, "listing_restored": 0,
            "account_suspended": 1, "account_reinstated": 1,
        }  # fmt: skip
        assert report["actions"]["by_source"]["SOURCE_VOLUNTARY"] == 1
        assert report["actions"]["by_ground"]["DECISION_GROUND_INCOMPATIBLE_CONTENT"] == 1
        assert report["suspensions"] == 1
        events = c.get("/v1/audit/events", params={"limit": 1000}, headers=admin(seeded)).json()
        actions = Counter(e["action"] for e in events["items"])
        assert [e["action"] for e in events["items"] if e["action"].startswith("seller.")] == [
            "seller.warn", "seller.suspend", "seller.reinstate"
        ]  # fmt: skip
        # the same counts, recomputed from the audit log
        assert report["actions"]["by_type"] == {
            "listing_removed": actions["listing.remove"],
            "listing_restored": actions["listing.restore"],
            "account_suspended": actions["seller.suspend"],
            "account_reinstated": actions["seller.reinstate"],
        }
        automated = [e for e in events["items"] if e["action"] == "listing.remove"
                     and e["detail"]["automated"]]  # fmt: skip
        assert report["automated_decisions"] == len(automated) + actions["seller.suspend"] == 4


def test_restoring_the_tipping_listing_leaves_the_suspension_running(
    seeded: Seeded, clock: ManualClock
) -> None:
    with make_client(seeded.url, clock=clock, rate_limit=0, anon_rate_limit=0,
                     seller_strikes=2) as c:  # fmt: skip
        seller, lids = _suspend_a_seller(c, seeded)
        jf = seeded.holder("joint_force")
        am = seeded.manager_of(jf["brand_id"])
        r = c.post(f"/v1/listings/{lids[2]}/restore", headers=auth(am["key"]))
        assert r.status_code == 200
        mine = c.get("/v1/statements", headers=auth(seller["key"])).json()["items"]
        ended = {s["restriction"]: s["ended_at"] for s in mine if s["listing_id"] == lids[2]}
        assert ended["listing_removed"] is not None and ended["account_suspended"] is None
        new = {"brand_id": jf["brand_id"], "title": "bag", "price_usd": 10.0}
        assert c.post("/v1/listings", json=new, headers=auth(seller["key"])).status_code == 403
