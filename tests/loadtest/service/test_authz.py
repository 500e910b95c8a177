"""The authorisation matrix: every endpoint x every role x own and other tenant.

Object-level (OWASP API1) and function-level (API5) authorisation: another tenant's
object answers 404, a wrong role 403, no or a bad key 401; public reads answer anyone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from loadtest.service import db
from loadtest.service import schema as s
from loadtest.service.auth import hash_key
from tests.loadtest.service.conftest import (
    Seeded,
    auth,
    brand_listing_ids,
    make_client,
    notice_body,
    reset_pg,
    seed_db,
)

ROLES = ("anonymous", "bad_key", "rights_holder", "account_manager", "seller", "admin")


@dataclass
class World:
    """A seeded service seen by one caller of each role; 'own' is a standard brand in the
    pool manager's care, 'other' a joint_force brand with its own dedicated manager."""

    c: TestClient
    seeded: Seeded
    std: dict[str, Any]
    jf: dict[str, Any]
    me: dict[str, Any]  # the seller-role caller
    engine: Engine
    statements: dict[str, int] = field(default_factory=dict)
    suspended: dict[str, int] = field(default_factory=dict)

    def key(self, role: str, endpoint: str = "") -> str | None:
        k = self.seeded.keys
        return {
            "anonymous": None, "bad_key": "td_xx_not-a-real-key",
            "rights_holder": (self.suspendee("own")["key"] if endpoint in SUSPENDED_CALLER
                              else self.std["key"]),
            "account_manager": self.seeded.manager_of(self.std["brand_id"])["key"],
            "seller": self.me["key"], "admin": k["admin"]["key"],
        }[role]  # fmt: skip

    def holder(self, tenant: str) -> dict[str, Any]:
        return self.std if tenant == "own" else self.jf

    def notice(self, tenant: str) -> int:
        h = self.holder(tenant)
        ids = brand_listing_ids(self.c, h["brand_id"], 1)
        r = self.c.post("/v1/notices", json=notice_body(ids), headers=auth(h["key"]))
        return int(r.json()["id"])

    def remove(self, item: dict[str, Any]) -> tuple[int, str]:
        """Take a listing down through its brand; returns it and its seller's key."""
        h = next(r for r in self.seeded.keys["rights_holders"] if r["brand_id"] == item["brand_id"])
        nid = self.c.post("/v1/notices", json=notice_body([item["id"]]),
                          headers=auth(h["key"])).json()["id"]  # fmt: skip
        if h["program"] != "joint_force":
            am = self.seeded.manager_of(item["brand_id"])
            self.c.post(f"/v1/notices/{nid}/decision", json={"decision": "approve"},
                        headers=auth(am["key"]))  # fmt: skip
        assert self.c.get(f"/v1/listings/{item['id']}").status_code == 410
        seller = next(s for s in self.seeded.keys["sellers"] if s["seller_id"] == item["seller_id"])
        return int(item["id"]), str(seller["key"])

    def removed_of_brand(self, tenant: str) -> tuple[int, str]:
        """A removed listing of the tenant's brand, and its seller's key."""
        h = self.holder(tenant)
        page = self.c.get("/v1/listings", params={"brand_id": h["brand_id"], "limit": 1})
        return self.remove(page.json()["items"][0])

    def removed_of_seller(self, tenant: str) -> int:
        """A removed listing of the seller-role caller (own) or of another seller (other)."""
        want = self.me["seller_id"]
        items = self._all_live()
        mine = [i for i in items if (i["seller_id"] == want) == (tenant == "own")]
        return self.remove(mine[0])[0]

    def counter(self, tenant: str) -> int:
        lid, key = self.removed_of_brand(tenant)
        r = self.c.post(f"/v1/listings/{lid}/counter-notices", json={"statement": "genuine"},
                        headers=auth(key))  # fmt: skip
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def statement(self, tenant: str) -> int:
        """A statement of reasons for the seller-role caller's (own) or another's listing
        (one per tenant: a seller has few listings to lose)."""
        if tenant not in self.statements:
            lid = self.removed_of_seller(tenant)
            sid = self.c.get(f"/v1/listings/{lid}").json()["statement_id"]
            self.statements[tenant] = int(sid)
        return self.statements[tenant]

    def rejected_notice(self, tenant: str) -> int:
        """A notice of the tenant's brand rejected by a manager other than the caller."""
        h = self.holder(tenant)
        nid = self.notice(tenant)
        mine = self.key("account_manager")
        other = next(m for m in self.seeded.keys["account_managers"]
                     if h["brand_id"] in m["brand_ids"] and m["key"] != mine)  # fmt: skip
        r = self.c.post(f"/v1/notices/{nid}/decision", json={"decision": "reject"},
                        headers=auth(other["key"]))  # fmt: skip
        assert r.status_code == 200, r.text
        return nid

    def complaint(self, tenant: str) -> int:
        """A notifier's complaint about the tenant's brand."""
        nid = self.rejected_notice(tenant)
        r = self.c.post("/v1/complaints", json={"notice_id": nid, "text": "fakes"},
                        headers=auth(self.holder(tenant)["key"]))  # fmt: skip
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def suspendee(self, tenant: str) -> dict[str, Any]:
        """A rights holder no other case files with: the caller (own) or another (other)
        on the cases about a notifier's suspension; it stays suspended."""
        spare = [r for r in self.seeded.keys["rights_holders"]
                 if r["brand_id"] not in (self.std["brand_id"], self.jf["brand_id"])]  # fmt: skip
        return spare[0] if tenant == "own" else spare[1]

    def notifier_statement(self, tenant: str) -> int:
        """The statement of reasons of the suspendee's suspension: notices rejected as
        manifestly unfounded until their share of its record (which holds approvals of
        other cases' removals) warns, then suspends it."""
        if tenant not in self.suspended:
            h = self.suspendee(tenant)
            am = self.seeded.manager_of(h["brand_id"])
            mine: list[dict[str, Any]] = []
            for _ in range(40):
                ids = brand_listing_ids(self.c, h["brand_id"], 1)
                nid = self.c.post("/v1/notices", json=notice_body(ids),
                                  headers=auth(h["key"])).json()["id"]  # fmt: skip
                r = self.c.post(f"/v1/notices/{nid}/decision", headers=auth(am["key"]), json={
                    "decision": "reject", "manifestly_unfounded": True})  # fmt: skip
                assert r.status_code == 200, r.text
                mine = self.c.get("/v1/statements", headers=auth(h["key"])).json()["items"]
                if mine:
                    break
            assert [x["restriction"] for x in mine] == ["notices_suspended"]
            self.suspended[tenant] = int(mine[0]["id"])
        return self.suspended[tenant]

    def victim(self, tenant: str, nth: int) -> int:
        """The principal id of a seller no other case uses (for key changes)."""
        sellers = self.seeded.keys["sellers"]
        key = sellers[-1 - 2 * nth - (tenant == "other")]["key"]
        p = s.principals
        with self.engine.connect() as conn:
            return int(conn.execute(select(p.c.id).where(p.c.key_hash == hash_key(key)))
                       .scalar_one())  # fmt: skip

    def _all_live(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = self.c.get("/v1/listings", params=params).json()
            out += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return out


Request = tuple[str, str, dict[str, Any] | None]
ENDPOINTS: dict[str, Callable[[World, str], Request]] = {
    "healthz": lambda w, t: ("GET", "/healthz", None),
    "metrics": lambda w, t: ("GET", "/metrics", None),
    "list listings": lambda w, t: ("GET", f"/v1/listings?brand_id={w.holder(t)['brand_id']}", None),
    "get listing": lambda w, t: ("GET", f"/v1/listings/{brand_listing_ids(w.c, w.holder(t)['brand_id'], 1)[0]}", None),  # noqa: E501
    "create listing": lambda w, t: ("POST", "/v1/listings", {"brand_id": w.holder(t)["brand_id"], "title": "bag", "price_usd": 10.0}),  # noqa: E501
    "restore listing": lambda w, t: ("POST", f"/v1/listings/{w.removed_of_brand(t)[0]}/restore", None),  # noqa: E501
    "file notice": lambda w, t: ("POST", "/v1/notices", notice_body(brand_listing_ids(w.c, w.holder(t)["brand_id"], 1))),  # noqa: E501
    "list notices": lambda w, t: ("GET", "/v1/notices", None),
    "get notice": lambda w, t: ("GET", f"/v1/notices/{w.notice(t)}", None),
    "post message": lambda w, t: ("POST", f"/v1/notices/{w.notice(t)}/messages", {"body": "hi"}),
    "list messages": lambda w, t: ("GET", f"/v1/notices/{w.notice(t)}/messages", None),
    "claim": lambda w, t: ("POST", "/v1/review-queue/claim", {"limit": 5}),
    "decide notice": lambda w, t: ("POST", f"/v1/notices/{w.notice(t)}/decision", {"decision": "approve"}),  # noqa: E501
    "file counter-notice": lambda w, t: ("POST", f"/v1/listings/{w.removed_of_seller(t)}/counter-notices", {"statement": "genuine"}),  # noqa: E501
    "decide counter-notice": lambda w, t: ("POST", f"/v1/counter-notices/{w.counter(t)}/decision", {"decision": "reject"}),  # noqa: E501
    "audit": lambda w, t: ("GET", "/v1/audit", None),
    "audit events": lambda w, t: ("GET", "/v1/audit/events", None),
    "readyz": lambda w, t: ("GET", "/readyz", None),
    "transparency": lambda w, t: ("GET", "/v1/transparency", None),
    "transparency csv": lambda w, t: ("GET", "/v1/transparency/csv", None),
    "list statements": lambda w, t: ("GET", "/v1/statements", None),
    "get statement": lambda w, t: ("GET", f"/v1/statements/{w.statement(t)}", None),
    "export statements": lambda w, t: ("GET", "/v1/statements/export", None),
    "file seller complaint": lambda w, t: ("POST", "/v1/complaints", {"statement_id": w.statement(t), "text": "genuine"}),  # noqa: E501
    "file notifier complaint": lambda w, t: ("POST", "/v1/complaints", {"notice_id": w.rejected_notice(t), "text": "fakes"}),  # noqa: E501
    "get complaint": lambda w, t: ("GET", f"/v1/complaints/{w.complaint(t)}", None),
    "decide complaint": lambda w, t: ("POST", f"/v1/complaints/{w.complaint(t)}/decision", {"decision": "reject"}),  # noqa: E501
    "get notifier statement": lambda w, t: ("GET", f"/v1/statements/{w.notifier_statement(t)}", None),  # noqa: E501
    "file suspension complaint": lambda w, t: ("POST", "/v1/complaints", {"statement_id": w.notifier_statement(t), "text": "well founded"}),  # noqa: E501
    "get principal": lambda w, t: ("GET", f"/v1/admin/principals/{w.victim(t, 0)}", None),
    "set notifier type": lambda w, t: ("PUT", f"/v1/admin/principals/{w.victim(t, 0)}/notifier", {"notifier_type": "other"}),  # noqa: E501
    "reinstate": lambda w, t: ("POST", f"/v1/admin/principals/{w.victim(t, 0)}/reinstate", None),
    "rotate key": lambda w, t: ("POST", f"/v1/admin/principals/{w.victim(t, 1)}/rotate", None),
    "revoke key": lambda w, t: ("POST", f"/v1/admin/principals/{w.victim(t, 2)}/revoke", None),
}  # fmt: skip

# the rights holder calling these is a suspended notifier (World.suspendee), not ``std``
SUSPENDED_CALLER = {"get notifier statement", "file suspension complaint"}
PUBLIC = {"healthz", "metrics", "list listings", "get listing", "readyz", "transparency",
          "transparency csv"}  # fmt: skip
# role -> (own, other) for endpoints that need a key; 422: another brand's listing in a notice
EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    "create listing": {"seller": (201, 201)},
    "restore listing": {"account_manager": (200, 404), "admin": (200, 200)},
    "file notice": {"rights_holder": (201, 422)},
    "list notices": {"rights_holder": (200, 200), "account_manager": (200, 200), "admin": (200, 200)},  # noqa: E501
    "get notice": {"rights_holder": (200, 404), "account_manager": (200, 404), "admin": (200, 200)},
    "post message": {"rights_holder": (201, 404), "account_manager": (201, 404)},
    "list messages": {"rights_holder": (200, 404), "account_manager": (200, 404), "admin": (200, 200)},  # noqa: E501
    "claim": {"account_manager": (200, 200)},
    "decide notice": {"account_manager": (200, 404)},
    "file counter-notice": {"seller": (201, 404)},
    "decide counter-notice": {"account_manager": (200, 404)},
    "audit": {"admin": (200, 200)},
    "audit events": {"admin": (200, 200)},
    "list statements": {"seller": (200, 200), "rights_holder": (200, 200), "admin": (200, 200)},
    "get statement": {"seller": (200, 404), "rights_holder": (404, 404), "admin": (200, 200)},
    "get notifier statement": {"rights_holder": (200, 404), "seller": (404, 404),
                               "admin": (200, 200)},
    "export statements": {"admin": (200, 200)},
    # a seller complains about its statements, a notifier about its rejected notices and
    # its suspension's statement (a seller's statement is none of its own: 404)
    "file seller complaint": {"seller": (201, 404), "rights_holder": (404, 404)},
    "file suspension complaint": {"rights_holder": (201, 404), "seller": (404, 404)},
    "file notifier complaint": {"rights_holder": (201, 404), "seller": (422, 422)},
    "get complaint": {"rights_holder": (200, 404), "account_manager": (200, 404),
                      "seller": (404, 404), "admin": (200, 200)},
    "decide complaint": {"account_manager": (200, 404), "admin": (200, 200)},
    # sellers are not notifiers: an admin setting one's notifier type is a 409
    "get principal": {"admin": (200, 200)},
    "set notifier type": {"admin": (409, 409)},
    "reinstate": {"admin": (200, 200)},
    "rotate key": {"admin": (200, 200)},
    "revoke key": {"admin": (200, 200)},
}  # fmt: skip


def expected(endpoint: str, role: str, tenant: str) -> int:
    """The status the matrix demands."""
    if endpoint in PUBLIC:
        return 200
    if role in ("anonymous", "bad_key"):
        return 401
    own, other = EXPECTED[endpoint].get(role, (403, 403))
    return own if tenant == "own" else other


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, scenario_file: Path
) -> Iterator[World]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('authz') / 'authz.db'}"
    else:
        url = str(request.getfixturevalue("pg_server"))
        reset_pg(url)
    seeded = seed_db(url, scenario_file)
    engine = db.make_engine(url, pool_size=1)
    with make_client(url, rate_limit=0, anon_rate_limit=0, misuse_min_decided=1) as c:
        std = next(r for r in seeded.keys["rights_holders"] if r["program"] == "standard")
        jf = next(r for r in seeded.keys["rights_holders"] if r["program"] == "joint_force")
        seller_id = c.get("/v1/listings", params={"brand_id": std["brand_id"]}).json()["items"][0][
            "seller_id"
        ]
        me = next(s for s in seeded.keys["sellers"] if s["seller_id"] == seller_id)
        yield World(c, seeded, std, jf, me, engine)
    engine.dispose()


CASES = [(e, r, t) for e in ENDPOINTS for r in ROLES for t in ("own", "other")]


@pytest.mark.parametrize(("endpoint", "role", "tenant"), CASES)
def test_matrix(world: World, endpoint: str, role: str, tenant: str) -> None:
    method, path, body = ENDPOINTS[endpoint](world, tenant)
    key = world.key(role, endpoint)
    headers = auth(key) if key else {}
    r = world.c.request(method, path, json=body, headers=headers)
    assert r.status_code == expected(endpoint, role, tenant), r.text
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["status"] == r.status_code


def test_lists_show_only_the_callers_tenants(world: World) -> None:
    own, other = world.notice("own"), world.notice("other")
    for role in ("rights_holder", "account_manager"):
        key = world.key(role)
        assert key is not None
        ids = {
            n["id"] for n in world.c.get("/v1/notices?limit=100", headers=auth(key)).json()["items"]
        }
        assert own in ids and other not in ids
        if role == "account_manager":
            claimed = world.c.post("/v1/review-queue/claim", json={"limit": 100}, headers=auth(key))
            brands = {i["brand_id"] for i in claimed.json()["items"]}
            assert world.jf["brand_id"] not in brands
    admin = world.seeded.keys["admin"]["key"]
    ids = {
        n["id"] for n in world.c.get("/v1/notices?limit=100", headers=auth(admin)).json()["items"]
    }
    assert {own, other} <= ids


def test_a_notifier_lists_only_its_own_statements(world: World) -> None:
    own, other = world.notifier_statement("own"), world.notifier_statement("other")
    mine = world.c.get("/v1/statements", headers=auth(world.suspendee("own")["key"])).json()
    assert [x["id"] for x in mine["items"]] == [own]
    assert world.c.get("/v1/statements", headers=auth(world.std["key"])).json()["items"] == []
    admin = world.seeded.keys["admin"]["key"]
    everyone = world.c.get("/v1/statements?limit=100", headers=auth(admin)).json()["items"]
    assert {own, other} <= {x["id"] for x in everyone}
