"""The authorisation matrix: every endpoint x every role x own and other tenant.

Object-level (OWASP API1) and function-level (API5) authorisation: another tenant's
object answers 404, a wrong role 403, no or a bad key 401; public reads answer anyone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.loadtest.service.conftest import Seeded, auth, brand_listing_ids, make_client, seed_db

NOTICE = {"reason": "counterfeit", "evidence": "photos"}
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

    def key(self, role: str) -> str | None:
        k = self.seeded.keys
        return {
            "anonymous": None, "bad_key": "td_xx_not-a-real-key",
            "rights_holder": self.std["key"],
            "account_manager": self.seeded.manager_of(self.std["brand_id"])["key"],
            "seller": self.me["key"], "admin": k["admin"]["key"],
        }[role]  # fmt: skip

    def holder(self, tenant: str) -> dict[str, Any]:
        return self.std if tenant == "own" else self.jf

    def notice(self, tenant: str) -> int:
        h = self.holder(tenant)
        ids = brand_listing_ids(self.c, h["brand_id"], 1)
        r = self.c.post("/v1/notices", json={**NOTICE, "listing_ids": ids}, headers=auth(h["key"]))
        return int(r.json()["id"])

    def remove(self, item: dict[str, Any]) -> tuple[int, str]:
        """Take a listing down through its brand; returns it and its seller's key."""
        h = next(r for r in self.seeded.keys["rights_holders"] if r["brand_id"] == item["brand_id"])
        nid = self.c.post("/v1/notices", json={**NOTICE, "listing_ids": [item["id"]]},
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
    "file notice": lambda w, t: ("POST", "/v1/notices", {**NOTICE, "listing_ids": brand_listing_ids(w.c, w.holder(t)["brand_id"], 1)}),  # noqa: E501
    "list notices": lambda w, t: ("GET", "/v1/notices", None),
    "get notice": lambda w, t: ("GET", f"/v1/notices/{w.notice(t)}", None),
    "post message": lambda w, t: ("POST", f"/v1/notices/{w.notice(t)}/messages", {"body": "hi"}),
    "list messages": lambda w, t: ("GET", f"/v1/notices/{w.notice(t)}/messages", None),
    "claim": lambda w, t: ("POST", "/v1/review-queue/claim", {"limit": 5}),
    "decide notice": lambda w, t: ("POST", f"/v1/notices/{w.notice(t)}/decision", {"decision": "approve"}),  # noqa: E501
    "file counter-notice": lambda w, t: ("POST", f"/v1/listings/{w.removed_of_seller(t)}/counter-notices", {"statement": "genuine"}),  # noqa: E501
    "decide counter-notice": lambda w, t: ("POST", f"/v1/counter-notices/{w.counter(t)}/decision", {"decision": "reject"}),  # noqa: E501
    "audit": lambda w, t: ("GET", "/v1/audit", None),
}  # fmt: skip

PUBLIC = {"healthz", "metrics", "list listings", "get listing"}
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
}  # fmt: skip


def expected(endpoint: str, role: str, tenant: str) -> int:
    """The status the matrix demands."""
    if endpoint in PUBLIC:
        return 200
    if role in ("anonymous", "bad_key"):
        return 401
    own, other = EXPECTED[endpoint].get(role, (403, 403))
    return own if tenant == "own" else other


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, scenario_file: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('authz') / 'authz.db'}"
    seeded = seed_db(url, scenario_file)
    with make_client(url, rate_limit=0) as c:
        std = next(r for r in seeded.keys["rights_holders"] if r["program"] == "standard")
        jf = next(r for r in seeded.keys["rights_holders"] if r["program"] == "joint_force")
        seller_id = c.get("/v1/listings", params={"brand_id": std["brand_id"]}).json()["items"][0][
            "seller_id"
        ]
        me = next(s for s in seeded.keys["sellers"] if s["seller_id"] == seller_id)
        yield World(c, seeded, std, jf, me)


CASES = [(e, r, t) for e in ENDPOINTS for r in ROLES for t in ("own", "other")]


@pytest.mark.parametrize(("endpoint", "role", "tenant"), CASES)
def test_matrix(world: World, endpoint: str, role: str, tenant: str) -> None:
    method, path, body = ENDPOINTS[endpoint](world, tenant)
    key = world.key(role)
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
