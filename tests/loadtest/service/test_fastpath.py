"""POST /v1/notices through the fast path answers as the FastAPI route does.

Two apps on one database: as built (the ``FastFiling`` middleware serves filings) and
the same without it (the FastAPI route serves them). Every request below gets the same
status and the same body from both, ids and times aside.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loadtest.service.fastpath import FastFiling
from tests.loadtest.service.conftest import (
    Seeded,
    auth,
    brand_listing_ids,
    make_client,
    notice_body,
)

VOLATILE = {"id", "created_at"}


@pytest.fixture
def pair(seeded: Seeded) -> Iterator[tuple[TestClient, TestClient]]:
    with make_client(seeded.url, rate_limit=0) as fast:
        slow_client = make_client(seeded.url, rate_limit=0)
        app = slow_client.app
        app.user_middleware = [m for m in app.user_middleware if m.cls is not FastFiling]  # type: ignore[attr-defined]
        with slow_client as slow:
            yield fast, slow


def _same(body: Any) -> Any:
    """The body without what differs between two filings (ids, times, listings named)."""
    if isinstance(body, dict):
        out = {k: _same(v) for k, v in body.items() if k not in VOLATILE}
        if "items" in body:  # each app names listings of its own: compare their states
            out["items"] = [i["state_at_filing"] for i in body["items"]]
        return out
    return body


def _cases(seeded: Seeded, ids: list[int], mine: list[int], app: str
           ) -> list[tuple[str, dict[str, str], Any]]:  # fmt: skip
    """Requests: refused ones on shared ``ids``; filings on the app's own ``mine``."""
    rh = seeded.holder("standard")
    seller = seeded.keys["sellers"][0]
    good, own = notice_body(ids), notice_body(mine)
    keyed = {**auth(rh["key"]), "Idempotency-Key": f"k-{app}"}  # a key per app
    return [
        ("no key", {}, good),
        ("unknown key", auth("nope"), good),
        ("a seller", auth(seller["key"]), good),
        ("not json", auth(rh["key"]), b"{not json"),
        ("not utf-8", auth(rh["key"]), b"\xff\xfe"),
        ("a list", auth(rh["key"]), [1, 2]),
        ("missing reason", auth(rh["key"]), {k: v for k, v in good.items() if k != "reason"}),
        ("wrong url", auth(rh["key"]), {**good, "urls": ["https://x.example/l/1"] * len(ids)}),
        ("no good faith", auth(rh["key"]), {**good, "good_faith_statement": False}),
        ("foreign listing", auth(rh["key"]), notice_body([10**9])),
        ("bad idempotency key", {**auth(rh["key"]), "Idempotency-Key": ""}, good),
        ("filed with a key", keyed, own),
        ("replayed", keyed, own),
        ("filed again", auth(rh["key"]), own),
    ]  # fmt: skip


def test_fast_path_answers_as_the_route_does(
    pair: tuple[TestClient, TestClient], seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = pair
    served: list[str] = []  # which app's filings the fast path served
    original = FastFiling._file

    async def counted(self: FastFiling, request: Any) -> Any:
        served.append("fast" if request.app is fast.app else "slow")
        return await original(self, request)

    monkeypatch.setattr(FastFiling, "_file", counted)
    ids = brand_listing_ids(fast, seeded.holder("standard")["brand_id"], 5)
    # each app files on listings of its own, so neither sees the other's pending notice
    cases = {"fast": _cases(seeded, ids[:1], ids[1:3], "fast"),
             "slow": _cases(seeded, ids[:1], ids[3:5], "slow")}  # fmt: skip
    for n, (name, _, _) in enumerate(cases["fast"]):
        answers = []
        for app, client in (("fast", fast), ("slow", slow)):
            _, headers, body = cases[app][n]
            if isinstance(body, bytes):
                headers = {**headers, "Content-Type": "application/json"}
                r = client.post("/v1/notices", content=body, headers=headers)
            else:
                r = client.post("/v1/notices", json=body, headers=headers)
            replayed = r.headers.get("idempotent-replayed")
            answers.append((r.status_code, r.headers["content-type"], replayed, _same(r.json())))
        assert answers[0] == answers[1], name
        assert answers[0][0] in {201, 401, 403, 422}, name
    assert answers[0][3]["items"] == ["pending", "pending"]  # the keyed filing's listings
    assert served == ["fast"] * len(cases["fast"])
    metrics = fast.get("/metrics").text
    assert 'route="/v1/notices",status="201"' in metrics
    assert 'route="/v1/notices",status="422"' in metrics
