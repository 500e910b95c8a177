"""End-to-end behaviour of the service in process, on SQLite files and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.testclient import TestClient

from loadtest.service.routers.listings import _lookup, _page, listing_json, page_json
from tests.loadtest.service.conftest import Seeded, auth, brand_listing_ids, notice_body


def file(c: TestClient, key: str, ids: list[int], **headers: str):  # type: ignore[no-untyped-def,unused-ignore]
    return c.post("/v1/notices", json=notice_body(ids), headers={**auth(key), **headers})


def test_standard_notice_waits_for_review_then_removes(client: TestClient, seeded: Seeded) -> None:
    rh = seeded.holder("standard")
    ids = brand_listing_ids(client, rh["brand_id"], 3)
    r = file(client, rh["key"], ids)
    assert r.status_code == 201 and r.json()["status"] == "pending_review"
    assert client.get(f"/v1/listings/{ids[0]}").status_code == 200
    am = seeded.manager_of(rh["brand_id"])
    d = client.post(f"/v1/notices/{r.json()['id']}/decision", json={"decision": "approve"},
                    headers=auth(am["key"]))  # fmt: skip
    assert d.status_code == 200 and d.json()["status"] == "approved"
    gone = client.get(f"/v1/listings/{ids[0]}")
    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert gone.json()["removed_at"] and gone.json()["reason"] == "notice"


def test_joint_force_removes_in_the_same_transaction(client: TestClient, seeded: Seeded) -> None:
    rh = seeded.holder("joint_force")
    ids = brand_listing_ids(client, rh["brand_id"], 2)
    r = file(client, rh["key"], ids)
    assert r.status_code == 201
    assert (r.json()["status"], r.json()["mode"]) == ("removed", "remove_first")
    assert all(client.get(f"/v1/listings/{i}").status_code == 410 for i in ids)
    # the dedicated manager reviews afterwards and can restore by rejecting
    am = seeded.manager_of(rh["brand_id"])
    d = client.post(f"/v1/notices/{r.json()['id']}/decision", json={"decision": "reject"},
                    headers=auth(am["key"]))  # fmt: skip
    assert d.json()["status"] == "rejected"
    assert all(client.get(f"/v1/listings/{i}").status_code == 200 for i in ids)
    log = client.get("/v1/audit", headers=auth(seeded.keys["admin"]["key"])).json()["items"]
    assert [(e["action"], e["listing_id"]) for e in log] == [
        ("remove", ids[0]), ("remove", ids[1]), ("restore", ids[0]), ("restore", ids[1])
    ]  # fmt: skip


def test_good_faith_loses_remove_first_after_rejections(client: TestClient, seeded: Seeded) -> None:
    rh = seeded.holder("good_faith")
    am = seeded.manager_of(rh["brand_id"])
    ids = brand_listing_ids(client, rh["brand_id"], 1)
    modes = []
    for _ in range(11):  # 10 decided notices make a verdict; all rejected: success rate 0
        r = file(client, rh["key"], ids)
        modes.append(r.json()["mode"])
        client.post(f"/v1/notices/{r.json()['id']}/decision", json={"decision": "reject"},
                    headers=auth(am["key"]))  # fmt: skip
    assert modes[:10] == ["remove_first"] * 10
    assert modes[10] == "review_first"
    assert file(client, rh["key"], ids).json()["status"] == "pending_review"  # locked out


def test_notice_records_state_of_removed_and_pending_items(
    client: TestClient, seeded: Seeded
) -> None:
    std, jf = seeded.holder("standard"), seeded.holder("joint_force")
    a, b = brand_listing_ids(client, std["brand_id"], 2)
    file(client, std["key"], [a])
    r = file(client, std["key"], [a, b])
    assert {i["listing_id"]: i["state_at_filing"] for i in r.json()["items"]} == {
        a: "pending", b: "live"
    }  # fmt: skip
    (c,) = brand_listing_ids(client, jf["brand_id"], 1)
    file(client, jf["key"], [c])
    again = file(client, jf["key"], [c])
    assert again.status_code == 201 and again.json()["items"][0]["state_at_filing"] == "removed"


def test_idempotency_key_replays_and_conflicts(client: TestClient, seeded: Seeded) -> None:
    rh = seeded.holder("standard")
    ids = brand_listing_ids(client, rh["brand_id"], 2)
    first = file(client, rh["key"], ids, **{"Idempotency-Key": "k-1"})
    again = file(client, rh["key"], ids, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    other = file(client, rh["key"], ids[:1], **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    listed = client.get("/v1/notices", headers=auth(rh["key"])).json()["items"]
    assert len(listed) == 1


def test_counter_notice_restores_on_approval(client: TestClient, seeded: Seeded) -> None:
    jf = seeded.holder("joint_force")
    listing = client.get("/v1/listings", params={"brand_id": jf["brand_id"], "limit": 100}).json()
    item = next(i for i in listing["items"] if not i["is_fake"])
    seller = next(s for s in seeded.keys["sellers"] if s["seller_id"] == item["seller_id"])
    path = f"/v1/listings/{item['id']}/counter-notices"
    body = {"statement": "genuine, invoice attached"}
    assert client.post(path, json=body, headers=auth(seller["key"])).status_code == 409  # live
    file(client, jf["key"], [item["id"]])
    cn = client.post(path, json=body, headers=auth(seller["key"]))
    assert cn.status_code == 201 and cn.json()["status"] == "pending"
    assert client.post(path, json=body, headers=auth(seller["key"])).status_code == 409  # open
    am = seeded.manager_of(jf["brand_id"])
    claimed = client.post("/v1/review-queue/claim", json={"limit": 10}, headers=auth(am["key"]))
    kinds = {(i["kind"], i["id"]) for i in claimed.json()["items"]}
    assert ("counter_notice", cn.json()["id"]) in kinds
    d = client.post(f"/v1/counter-notices/{cn.json()['id']}/decision",
                    json={"decision": "approve"}, headers=auth(am["key"]))  # fmt: skip
    assert d.status_code == 200 and d.json()["status"] == "approved"
    assert client.get(f"/v1/listings/{item['id']}").status_code == 200


def test_lease_blocks_other_managers_until_it_expires(seeded: Seeded) -> None:
    from loadtest.service.clock import ManualClock
    from tests.loadtest.service.conftest import make_client

    clock = ManualClock()
    with make_client(seeded.url, clock=clock, rate_limit=0, lease_s=60.0) as c:
        rh = seeded.holder("standard")
        pool = [m for m in seeded.keys["account_managers"] if rh["brand_id"] in m["brand_ids"]]
        nid = file(c, rh["key"], brand_listing_ids(c, rh["brand_id"], 1)).json()["id"]
        got = c.post("/v1/review-queue/claim", json={"limit": 5}, headers=auth(pool[0]["key"]))
        assert [i["id"] for i in got.json()["items"]] == [nid]
        other = c.post("/v1/review-queue/claim", json={"limit": 5}, headers=auth(pool[1]["key"]))
        assert other.json()["items"] == []
        path = f"/v1/notices/{nid}/decision"
        blocked = c.post(path, json={"decision": "approve"}, headers=auth(pool[1]["key"]))
        assert blocked.status_code == 409
        clock.advance(59.0)  # still leased one second before the end
        early = c.post("/v1/review-queue/claim", json={"limit": 5}, headers=auth(pool[1]["key"]))
        assert early.json()["items"] == []
        clock.advance(1.5)
        back = c.post("/v1/review-queue/claim", json={"limit": 5}, headers=auth(pool[1]["key"]))
        assert [i["id"] for i in back.json()["items"]] == [nid]


def test_messages_thread_between_brand_and_manager(client: TestClient, seeded: Seeded) -> None:
    rh = seeded.holder("standard")
    am = seeded.manager_of(rh["brand_id"])
    nid = file(client, rh["key"], brand_listing_ids(client, rh["brand_id"], 1)).json()["id"]
    path = f"/v1/notices/{nid}/messages"
    assert (
        client.post(path, json={"body": "more evidence?"}, headers=auth(am["key"])).status_code
        == 201
    )
    assert client.post(path, json={"body": "attached"}, headers=auth(rh["key"])).status_code == 201
    thread = client.get(path, headers=auth(rh["key"])).json()["items"]
    assert [(m["author_role"], m["body"]) for m in thread] == [
        ("account_manager", "more evidence?"), ("rights_holder", "attached")
    ]  # fmt: skip


def test_listings_page_through_every_live_listing(client: TestClient, seeded: Seeded) -> None:
    brand = seeded.keys["rights_holders"][0]["brand_id"]
    seen: list[int] = []
    cursor = None
    while True:
        params = {"brand_id": brand, "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/listings", params=params).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = client.get("/v1/listings", params={"brand_id": brand, "limit": 100}).json()
    assert seen == [i["id"] for i in everything["items"]] and len(seen) == len(set(seen))
    assert client.get("/v1/listings", params={"cursor": "nonsense"}).status_code == 422


def test_limits_answer_413_422_and_429(seeded: Seeded) -> None:
    from loadtest.service.clock import ManualClock
    from tests.loadtest.service.conftest import make_client

    rh = seeded.holder("standard")
    clock = ManualClock()
    with make_client(seeded.url, clock=clock, rate_limit=2, rate_burst=3, anon_rate_limit=2,
                     max_body_bytes=2048) as c:  # fmt: skip
        big = notice_body([1], evidence="x" * 5000)
        too_big = c.post("/v1/notices", json=big, headers=auth(rh["key"]))
        assert too_big.status_code == 413
        assert too_big.headers["content-type"].startswith("application/problem+json")
        clock.advance(10)
        many = notice_body(list(range(1, 302)), urls=["https://marketplace.example/listings/1"])
        over = c.post("/v1/notices", json=many, headers=auth(rh["key"]))
        assert over.status_code == 422 and "listing_ids" in over.json()["detail"]
        clock.advance(10)  # a full bucket of 3
        codes = [c.get("/v1/notices", headers=auth(rh["key"])).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = c.get("/v1/notices", headers=auth(rh["key"]))
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.headers["ratelimit-remaining"] == "0"
        clock.advance(0.5)  # one token back at 2 per second
        assert c.get("/v1/notices", headers=auth(rh["key"])).status_code == 200
        # other keys have their own bucket; anonymous reads have their address's
        other = seeded.holder("joint_force")
        assert c.get("/v1/notices", headers=auth(other["key"])).status_code == 200
        anon = [c.get("/v1/listings").status_code for _ in range(5)]
        assert anon == [200, 200, 200, 200, 429]


def test_metrics_count_notices_removals_and_queue(client: TestClient, seeded: Seeded) -> None:
    jf, std = seeded.holder("joint_force"), seeded.holder("standard")
    file(client, jf["key"], brand_listing_ids(client, jf["brand_id"], 2))
    file(client, std["key"], brand_listing_ids(client, std["brand_id"], 1))
    text = client.get("/metrics").text
    assert 'takedown_notices_filed_total{program="joint_force"} 1.0' in text
    assert 'takedown_removals_total{channel="notice",program="joint_force"} 2.0' in text
    assert 'takedown_review_queue_depth{kind="notice"} 2.0' in text
    assert (
        'takedown_http_requests_total{method="POST",route="/v1/notices",status="201"} 2.0' in text
    )


def test_search_matches_titles_case_blind_and_only_live(client: TestClient, seeded: Seeded) -> None:
    jf = seeded.holder("joint_force")
    page = client.get("/v1/listings", params={"brand_id": jf["brand_id"], "limit": 1}).json()
    target = page["items"][0]
    word = target["title"].split()[0]
    hits = client.get("/v1/listings", params={"q": word.upper(), "limit": 100}).json()["items"]
    assert all(word in i["title"] for i in hits)

    def found() -> bool:
        cursor, seen = None, set()
        while True:
            params = {"q": word, "limit": 100, **({"cursor": cursor} if cursor else {})}
            body = client.get("/v1/listings", params=params).json()
            seen |= {i["id"] for i in body["items"]}
            cursor = body["next_cursor"]
            if cursor is None:
                return target["id"] in seen

    assert found()
    file(client, jf["key"], [target["id"]])
    assert not found()
    assert client.get("/v1/listings", params={"q": "%_\\"}).json()["items"] == []


class OnLoop:
    """The service's event-loop reader (inline on SQLite, async on PostgreSQL) called
    from a test on a loop of its own, as the pool's reads are."""

    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self.loop = asyncio.new_event_loop()
        assert (svc.inline is None) != (svc.pg_reader is None)

    def listing(self, listing_id: int) -> tuple[Any, int | None]:
        if self.svc.inline is not None:
            row = self.svc.inline.listing(listing_id)
            return row, self.svc.inline.open_statement(listing_id)
        reader = self.svc.pg_reader
        row = self.loop.run_until_complete(reader.listing(listing_id))
        return row, self.loop.run_until_complete(reader.open_statement(listing_id))

    def page(self, brand_id: int | None, after: int | None, limit: int) -> dict[str, Any]:
        if self.svc.inline is not None:
            return page_json(self.svc.inline.live_page(brand_id, after, limit + 1), limit)
        rows = self.loop.run_until_complete(self.svc.pg_reader.live_page(brand_id, after,
                                                                         limit + 1))  # fmt: skip
        return page_json(rows, limit)

    def close(self) -> None:
        if self.svc.pg_reader is not None:
            self.svc.pg_reader.close()
        self.loop.close()


def test_one_listing_is_read_on_the_event_loop_as_the_pool_would(
    client: TestClient, seeded: Seeded
) -> None:
    svc = client.app.state.service  # type: ignore[attr-defined]
    assert (svc.inline is not None) == seeded.url.startswith("sqlite")
    assert (svc.pg_reader is not None) == seeded.url.startswith("postgresql")
    jf = seeded.holder("joint_force")
    live, gone = brand_listing_ids(client, jf["brand_id"], 2)
    client.post("/v1/notices", json=notice_body([gone]), headers=auth(jf["key"]))
    on_loop = OnLoop(svc)
    for lid in (live, gone, 999999):  # the row and the removal's statement, as the pool's
        row, sid = svc.read(lambda c, i=lid: _lookup(c, i))
        fast, fast_sid = on_loop.listing(lid)
        assert (fast is None) == (row is None) and fast_sid == sid
        if row is not None:
            assert listing_json(fast) == listing_json(row)
    assert on_loop.listing(gone)[1] is not None
    on_loop.close()  # as an app's shutdown does: a later start reads on
    assert client.get(f"/v1/listings/{live}").json()["id"] == live
    removed = client.get(f"/v1/listings/{gone}")
    assert removed.status_code == 410 and removed.json()["statement_id"] is not None
    assert client.get("/v1/listings/999999").status_code == 404


def test_a_browse_reads_on_the_event_loop_as_the_pool_would(
    client: TestClient, seeded: Seeded
) -> None:
    """Every page of every brand and of all brands, walked by cursor after removals, is
    the same from the inline reader and over HTTP as from the pool's query."""
    svc = client.app.state.service  # type: ignore[attr-defined]
    on_loop = OnLoop(svc)
    jf = seeded.holder("joint_force")
    client.post("/v1/notices", json=notice_body(brand_listing_ids(client, jf["brand_id"], 2)),
                headers=auth(jf["key"]))  # fmt: skip
    brands = sorted({r["brand_id"] for r in seeded.keys["rights_holders"]})
    pages = 0
    for brand_id in [None, *brands]:
        for limit in (1, 7, 100):
            cursor, after = None, None
            while True:
                pool = svc.read(lambda c, a=after, b=brand_id, n=limit: _page(c, b, None, a, n))
                assert on_loop.page(brand_id, after, limit) == pool
                params = {"limit": limit, "brand_id": brand_id, "cursor": cursor}
                got = client.get("/v1/listings", params={k: v for k, v in params.items() if v})
                assert got.json() == pool
                assert all(i["status"] == "live" for i in pool["items"])
                pages += 1
                if pool["next_cursor"] is None:
                    break
                cursor, after = pool["next_cursor"], pool["items"][-1]["id"]
    on_loop.close()
    assert pages > 2 * len(brands) * 3
