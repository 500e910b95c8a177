"""Concurrency against a real server: one notice per Idempotency-Key, disjoint claims."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.loadtest.service.conftest import (
    LiveServer,
    Seeded,
    auth,
    notice_body,
    reset_pg,
    seed_db,
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, scenario_file: Path
) -> Iterator[tuple[LiveServer, Seeded]]:
    """One seeded live server per database for this module's tests."""
    tmp = tmp_path_factory.mktemp("concurrency")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'service.db'}"
    else:
        url = str(request.getfixturevalue("pg_server"))
        reset_pg(url)
    seeded = seed_db(url, scenario_file)
    server = LiveServer(url, tmp / "server.log", "--rate-limit", "0")
    try:
        yield server, seeded
    finally:
        server.stop()


def test_200_concurrent_retries_make_one_notice(live: tuple[LiveServer, Seeded]) -> None:
    server, seeded = live
    rh = seeded.holder("joint_force")
    with httpx.Client(base_url=server.base, timeout=30) as c:
        ids = [
            i["id"]
            for i in c.get("/v1/listings", params={"brand_id": rh["brand_id"]}).json()["items"][:3]
        ]
    body = notice_body(ids)
    headers = {**auth(rh["key"]), "Idempotency-Key": "retry-storm-1"}

    def send(_: int) -> tuple[int, int]:
        with httpx.Client(base_url=server.base, timeout=60) as c:
            r = c.post("/v1/notices", json=body, headers=headers)
            return r.status_code, int(r.json()["id"])

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(send, range(200)))
    assert {status for status, _ in answers} == {201}
    assert len({nid for _, nid in answers}) == 1
    with httpx.Client(base_url=server.base, timeout=30) as c:
        listed = c.get("/v1/notices", params={"limit": 100}, headers=auth(rh["key"])).json()
    assert [n["id"] for n in listed["items"]] == [answers[0][1]]


def test_four_managers_claiming_never_decide_the_same_item(
    live: tuple[LiveServer, Seeded],
) -> None:
    server, seeded = live
    rh = seeded.holder("standard")
    pool_keys = [
        m["key"] for m in seeded.keys["account_managers"] if rh["brand_id"] in m["brand_ids"]
    ]
    assert len(pool_keys) == 4
    with httpx.Client(base_url=server.base, timeout=30) as c:
        ids = [
            i["id"]
            for i in c.get("/v1/listings", params={"brand_id": rh["brand_id"]}).json()["items"]
        ]
        filed = set()
        for k in range(60):
            r = c.post("/v1/notices", json=notice_body([ids[k % len(ids)]]),
                       headers=auth(rh["key"]))  # fmt: skip
            filed.add(r.json()["id"])

    def work(key: str) -> tuple[list[int], list[int]]:
        decided: list[int] = []
        conflicts: list[int] = []
        with httpx.Client(base_url=server.base, timeout=60) as c:
            while True:
                items = c.post("/v1/review-queue/claim", json={"limit": 3}, headers=auth(key))
                batch = items.json()["items"]
                if not batch:
                    return decided, conflicts
                for item in batch:
                    r = c.post(f"/v1/notices/{item['id']}/decision", json={"decision": "approve"},
                               headers=auth(key))  # fmt: skip
                    (decided if r.status_code == 200 else conflicts).append(item["id"])

    with ThreadPoolExecutor(max_workers=4) as ex:
        results = list(ex.map(work, pool_keys))
    decided = [nid for d, _ in results for nid in d]
    assert [c for _, c in results] == [[], [], [], []]
    assert len(decided) == len(set(decided))
    assert set(decided) == filed
    assert sum(1 for d, _ in results if d) >= 2  # the work really was shared
