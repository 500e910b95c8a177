"""A notifier's suspension for misuse (DSA Art. 23(2)) has its statement of reasons
(Art. 17), on both databases: the notifier reads it, it exports in the Transparency
Database's fields, a complaint against it is decided by a second reviewer, and the
transparency report's counts equal a recount from the audit log.
"""

from __future__ import annotations

import json
from collections import Counter
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

DAY_S = 86400.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def _reject_unfounded(c: TestClient, holder: dict[str, Any], am: dict[str, Any]) -> int:
    ids = brand_listing_ids(c, holder["brand_id"], 1)
    filed = c.post("/v1/notices", json=notice_body(ids), headers=auth(holder["key"]))
    nid = int(filed.json()["id"])
    r = c.post(f"/v1/notices/{nid}/decision", headers=auth(am["key"]),
               json={"decision": "reject", "manifestly_unfounded": True})  # fmt: skip
    assert r.status_code == 200, r.text
    return nid


def _events(c: TestClient, seeded: Seeded) -> list[dict[str, Any]]:
    admin = auth(seeded.keys["admin"]["key"])
    return list(c.get("/v1/audit/events", params={"limit": 1000}, headers=admin).json()["items"])


def _check_statement(mine: list[dict[str, Any]], tipping: int, until: str) -> dict[str, Any]:
    """The one statement a freshly suspended notifier reads, checked field by field."""
    assert [x["restriction"] for x in mine] == ["notices_suspended"]
    st = mine[0]
    assert (st["listing_id"], st["seller_id"], st["notice_id"]) == (None, None, tipping)
    assert (st["ground"], st["source_type"], st["automated_decision"]) == (
        "terms", "SOURCE_VOLUNTARY", True
    )  # fmt: skip
    assert st["restriction_ends_at"] == until and st["ended_at"] is None
    assert "manifestly unfounded" in st["explanation"] and st["redress"] == sor.REDRESS
    tdb = st["transparency_database"]
    assert tdb["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
    assert tdb["end_date_service_restriction"] == until[:10]
    assert tdb["category"] == "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    assert not {"decision_account", "decision_visibility", "url", "source_identity"} & set(tdb)
    return st


def test_a_suspended_notifier_reads_its_statement_and_a_complaint_reinstates(
    seeded: Seeded, clock: ManualClock
) -> None:
    with make_client(seeded.url, clock=clock, rate_limit=0, anon_rate_limit=0,
                     misuse_min_decided=2, suspension_s=7 * DAY_S) as c:  # fmt: skip
        rh = seeded.holder("standard")
        pool = [m for m in seeded.keys["account_managers"] if rh["brand_id"] in m["brand_ids"]]
        tipping = [_reject_unfounded(c, rh, pool[0]) for _ in range(3)][-1]  # warn, suspend
        pid = next(e["object_id"] for e in _events(c, seeded) if e["action"] == "notifier.suspend")
        admin = auth(seeded.keys["admin"]["key"])
        until = c.get(f"/v1/admin/principals/{pid}", headers=admin).json()["suspended_until"]
        st = _check_statement(c.get("/v1/statements", headers=auth(rh["key"])).json()["items"],
                              tipping, until)  # fmt: skip
        assert st["principal_id"] == pid
        # nobody else's: another notifier and a seller get 404, the admin reads it
        other = seeded.holder("joint_force")
        for key in (other["key"], seeded.keys["sellers"][0]["key"]):
            assert c.get(f"/v1/statements/{st['id']}", headers=auth(key)).status_code == 404
        assert c.get(f"/v1/statements/{st['id']}", headers=admin).json() == st
        lines = c.get("/v1/statements/export", headers=admin).text.splitlines()
        export = [json.loads(x) for x in lines]
        validator = jsonschema_rs.validator_for(sor.schema(), validate_formats=True)
        assert export == [st["transparency_database"]]
        assert [e.message for e in validator.iter_errors(export[0])] == []
        # the schema holds the API's rules for this decision too
        assert not validator.is_valid({k: v for k, v in export[0].items()
                                       if k != "decision_provision"})  # fmt: skip
        assert not validator.is_valid({**export[0], "decision_provision": "PARTIAL"})
        clock.advance(DAY_S)
        filed = c.post("/v1/complaints", json={"statement_id": st["id"], "text": "they were fakes"},
                       headers=auth(rh["key"]))  # fmt: skip
        assert filed.status_code == 201 and filed.json()["kind"] == "notifier"
        cid = filed.json()["id"]
        same = c.post(f"/v1/complaints/{cid}/decision", json={"decision": "uphold"},
                      headers=auth(pool[0]["key"]))  # fmt: skip
        assert same.status_code == 409 and "first decision" in same.json()["detail"]
        done = c.post(f"/v1/complaints/{cid}/decision", json={"decision": "uphold"},
                      headers=auth(pool[1]["key"]))  # fmt: skip
        assert done.status_code == 200 and done.json()["status"] == "upheld"
        ids = brand_listing_ids(c, rh["brand_id"], 1)
        assert c.post("/v1/notices", json=notice_body(ids), headers=auth(rh["key"])).is_success
        ended = c.get(f"/v1/statements/{st['id']}", headers=auth(rh["key"])).json()
        assert ended["ended_at"] is not None
        assert ended["transparency_database"]["end_date_service_restriction"] == (
            ended["ended_at"][:10]
        )  # fmt: skip
        again = c.post("/v1/complaints", json={"statement_id": st["id"], "text": "x"},
                       headers=auth(rh["key"]))  # fmt: skip
        assert again.status_code == 409  # nothing left to contest


def test_transparency_counts_notifier_suspensions_as_the_audit_log_does(
    seeded: Seeded, clock: ManualClock
) -> None:
    with make_client(seeded.url, clock=clock, rate_limit=0, anon_rate_limit=0,
                     misuse_min_decided=1) as c:  # fmt: skip
        std, two = seeded.holder("standard"), seeded.holder("standard", 1)
        for holder in (std, two):  # two suspensions: warned, then suspended
            am = seeded.manager_of(holder["brand_id"])
            for _ in range(2):
                _reject_unfounded(c, holder, am)
                clock.advance(60.0)
        pid = next(e["object_id"] for e in _events(c, seeded) if e["action"] == "notifier.suspend")
        admin = auth(seeded.keys["admin"]["key"])
        assert c.post(f"/v1/admin/principals/{pid}/reinstate", headers=admin).is_success
        jf = seeded.holder("joint_force")  # a removal on receipt, automated
        c.post("/v1/notices", json=notice_body(brand_listing_ids(c, jf["brand_id"], 1)),
               headers=auth(jf["key"]))  # fmt: skip
        ids = brand_listing_ids(c, std["brand_id"], 2)  # a reviewed removal after an hour
        nid = c.post("/v1/notices", json=notice_body(ids), headers=auth(std["key"])).json()["id"]
        clock.advance(3600.0)
        c.post(f"/v1/notices/{nid}/decision", json={"decision": "approve"},
               headers=auth(seeded.manager_of(std["brand_id"])["key"]))  # fmt: skip
        report = c.get("/v1/transparency").json()
        events = _events(c, seeded)
    actions = Counter(e["action"] for e in events)
    assert report["actions"]["by_type"] == {
        "listing_removed": actions["listing.remove"],
        "listing_restored": actions["listing.restore"],
        "notices_suspended": actions["notifier.suspend"],
        "notices_reinstated": actions["notifier.reinstate"],
    }
    assert (actions["notifier.suspend"], actions["notifier.reinstate"]) == (2, 1)
    assert actions["listing.remove"] == 3
    assert report["suspensions"] == actions["notifier.suspend"] + actions["seller.suspend"] == 2
    removals = [e for e in events if e["action"] == "listing.remove"]
    automated = sum(1 for e in removals if e["detail"]["automated"])
    assert report["automated_decisions"] == automated + actions["notifier.suspend"]
    grounds = report["actions"]["by_ground"]
    assert grounds["DECISION_GROUND_INCOMPATIBLE_CONTENT"] == actions["notifier.suspend"]
    # the suspensions' statements name the tipping notice but are no removal: the median
    # time to action is over the removals alone (0 s on receipt, 1 h, 1 h)
    assert report["median_time_to_action_s"] == 3600.0
