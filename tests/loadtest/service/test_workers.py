"""``--workers 2`` as deployed: one metrics view over both workers, JSON logs with
request ids, and a revoked key refused by every worker."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.loadtest.service.conftest import LiveServer, Seeded, auth, notice_body


@pytest.fixture
def two(seeded: Seeded, tmp_path: Path) -> Iterator[tuple[LiveServer, Seeded]]:
    server = LiveServer(seeded.url, tmp_path / "server.log", "--rate-limit", "0", "--workers", "2")
    try:
        yield server, seeded
    finally:
        server.stop()


def _filed_total(text: str) -> float:
    return sum(float(v) for v in re.findall(r"^takedown_notices_filed_total\{[^}]*\} (\S+)$",
                                            text, flags=re.M))  # fmt: skip


def test_every_scrape_counts_both_workers_and_logs_are_json(
    two: tuple[LiveServer, Seeded], tmp_path: Path
) -> None:
    server, seeded = two
    rh = seeded.holder("standard")
    with httpx.Client(base_url=server.base) as c:
        page = c.get("/v1/listings", params={"brand_id": rh["brand_id"], "limit": 1}).json()
    ids = [page["items"][0]["id"]]
    for n in range(20):  # a fresh connection each: the kernel spreads them over the workers
        with httpx.Client(base_url=server.base) as c:
            r = c.post("/v1/notices", json=notice_body(ids),
                       headers={**auth(rh["key"]), "X-Request-ID": f"req-{n}"})  # fmt: skip
            assert r.status_code == 201
    for _ in range(8):  # whichever worker answers the scrape, it counts both
        with httpx.Client(base_url=server.base) as c:
            assert _filed_total(c.get("/metrics").text) == 20.0
    lines = [json.loads(x) for x in (tmp_path / "server.log").read_text().splitlines()
             if x.startswith("{")]  # fmt: skip
    access = [x for x in lines if x["logger"] == "takedown.access" and x["path"] == "/v1/notices"]
    assert sorted(x["request_id"] for x in access) == sorted(f"req-{n}" for n in range(20))
    assert {x["status"] for x in access} == {201} and all(x["level"] == "info" for x in access)


@pytest.mark.slow
def test_revoked_key_is_refused_by_every_worker_within_a_second(
    two: tuple[LiveServer, Seeded],
) -> None:
    """Wall-clock by nature (kept out of make test): after the revocation's answer, every
    request over a fresh connection from 1.0 s on must be 401, whichever worker serves it."""
    server, seeded = two
    rh = seeded.holder("standard")
    admin = auth(seeded.keys["admin"]["key"])
    with httpx.Client(base_url=server.base) as c:
        for _ in range(20):  # warm both workers' caches with the key
            with httpx.Client(base_url=server.base) as fresh:
                assert fresh.get("/v1/notices", headers=auth(rh["key"])).status_code == 200
        page = c.get("/v1/listings", params={"brand_id": rh["brand_id"], "limit": 1}).json()
        ids = [page["items"][0]["id"]]
        assert c.post("/v1/notices", json=notice_body(ids), headers=auth(rh["key"])).is_success
        events = c.get("/v1/audit/events", params={"limit": 1000}, headers=admin).json()
        pid = next(e["actor_id"] for e in events["items"] if e["actor_role"] == "rights_holder")
        assert c.post(f"/v1/admin/principals/{pid}/revoke", headers=admin).status_code == 200
    revoked_at = time.monotonic()
    time.sleep(max(0.0, 1.0 - (time.monotonic() - revoked_at)))
    codes = []
    for _ in range(40):
        with httpx.Client(base_url=server.base) as fresh:
            codes.append(fresh.get("/v1/notices", headers=auth(rh["key"])).status_code)
    assert set(codes) == {401}
