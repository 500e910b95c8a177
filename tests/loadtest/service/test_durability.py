"""kill -9 under concurrent writes, several times, on both databases.

Every notice that got a 2xx is there after restart, exactly once; after each restart
every request of the round before is retried with its Idempotency-Key: an
acknowledged one replays its notice, an unanswered one is filed at most once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from loadtest.service import db
from loadtest.service import schema as s
from tests.loadtest.service.conftest import LiveServer, Seeded, auth, notice_body

KILLS = 3
WRITERS = 8
HAMMER_S = 1.5

Sent = dict[str, tuple[str, dict[str, Any]]]  # reason -> (key, body)


def _post(c: httpx.Client, key: str, body: dict[str, Any]) -> httpx.Response:
    return c.post(
        "/v1/notices", json=body, headers={**auth(key), "Idempotency-Key": body["reason"]}
    )


def _hammer(base: str, key: str, ids: list[int], tag: str, stop: threading.Event,
            acked: dict[str, int], sent: Sent) -> None:  # fmt: skip
    with httpx.Client(base_url=base, timeout=10) as c:
        n = 0
        while not stop.is_set():
            reason = f"{tag}-{n}"
            body: dict[str, Any] = notice_body(ids, reason=reason, evidence="e")
            n += 1
            sent[reason] = (key, body)
            try:
                r = _post(c, key, body)
            except httpx.HTTPError:
                return  # the server died mid-request: never acknowledged
            if r.status_code == 201:
                acked[reason] = int(r.json()["id"])


def _stored(url: str) -> Counter[str]:
    engine = db.make_engine(url, pool_size=1)
    with engine.connect() as conn:
        reasons = Counter(r for (r,) in conn.execute(select(s.notices.c.reason)))
    engine.dispose()
    return reasons


def _consistent(url: str) -> int:
    """Removals, statements of reasons and events committed together survive together:
    every removed listing has exactly one open statement, every notice its filing event.
    Returns the number of open statements."""
    engine = db.make_engine(url, pool_size=1)
    with engine.connect() as conn:
        removed = {i for (i,) in conn.execute(
            select(s.listings.c.id).where(s.listings.c.status == "removed"))}  # fmt: skip
        st = s.statements
        open_ = Counter(i for (i,) in conn.execute(
            select(st.c.listing_id).where(st.c.ended_at.is_(None))))  # fmt: skip
        notices = {i for (i,) in conn.execute(select(s.notices.c.id))}
        ev = s.events
        filed = {i for (i,) in conn.execute(
            select(ev.c.object_id).where(ev.c.action == "notice.file"))}  # fmt: skip
    engine.dispose()
    assert set(open_) == removed and set(open_.values()) <= {1}, "a removal lost its statement"
    assert filed == notices, "a notice lost its audit event"
    return len(open_)


def _retry_previous(base: str, sent: Sent, acked: dict[str, int]) -> int:
    """Retry every request of the last round; returns how many had been unanswered."""
    unanswered = 0
    with httpx.Client(base_url=base, timeout=30) as c:
        for reason, (key, body) in sorted(sent.items()):
            r = _post(c, key, body)
            assert r.status_code == 201, r.text
            if reason in acked:
                assert r.json()["id"] == acked[reason], "a retry made a second notice"
            else:
                unanswered += 1
                acked[reason] = int(r.json()["id"])
    sent.clear()
    return unanswered


def _round(server: LiveServer, holders: list[dict[str, Any]], ids: dict[int, list[int]],
           tag: str, acked: dict[str, int], sent: Sent) -> None:  # fmt: skip
    stop = threading.Event()
    writers = [holders[i % len(holders)] for i in range(WRITERS)]
    threads = [
        threading.Thread(
            target=_hammer,
            args=(server.base, h["key"], ids[h["brand_id"]], f"{tag}w{w}", stop, acked, sent),
        )
        for w, h in enumerate(writers)
    ]
    for t in threads:
        t.start()
    time.sleep(HAMMER_S)
    server.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=15)


def kill_loop(seeded: Seeded, tmp_path: Path, kills: int, workers: int) -> int:
    """``kills`` rounds of writes ended by kill -9; returns the notices acknowledged."""
    holders = list(seeded.keys["rights_holders"])
    acked: dict[str, int] = {}
    sent: Sent = {}
    ids: dict[int, list[int]] = {}
    for round_ in range(kills):
        server = LiveServer(
            seeded.url, tmp_path / "server.log", "--rate-limit", "0", "--workers", str(workers)
        )
        before = dict(acked)
        _retry_previous(server.base, sent, acked)
        assert all(acked[r] == i for r, i in before.items())
        if not ids:  # named again every round: removed listings may be named (DESIGN.md)
            with httpx.Client(base_url=server.base) as c:
                for h in holders:
                    page = c.get("/v1/listings", params={"brand_id": h["brand_id"], "limit": 3})
                    ids[h["brand_id"]] = [i["id"] for i in page.json()["items"]]
        _round(server, holders, ids, f"r{round_}", acked, sent)
        stored = _stored(seeded.url)
        assert set(acked) <= set(stored), "an acknowledged notice was lost"
        assert max(stored.values()) == 1, "a notice was stored twice"
        statements = _consistent(seeded.url)
    assert statements > 0, "joint_force notices should have removed listings"
    return len(acked)


def test_acknowledged_notices_survive_kill_9(seeded: Seeded, tmp_path: Path) -> None:
    acked = kill_loop(seeded, tmp_path, KILLS, workers=1)
    assert acked > 30 * KILLS, "the writers should have been acknowledged many times"


@pytest.mark.slow
def test_kill_9_with_two_workers_many_times(seeded: Seeded, tmp_path: Path) -> None:
    acked = kill_loop(seeded, tmp_path, 8, workers=2)
    assert acked > 30 * 8
