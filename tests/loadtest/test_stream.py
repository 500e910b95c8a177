"""The removal stream: the service publishes each removal with its own time, the
harness reads it (and falls back to polling when there is no stream)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadtest.client import REMOVAL_STREAM, parse_time
from loadtest.runner import free_port
from loadtest.service.models import notice_elements
from loadtest.stream import Removal, RemovalStream, parse_event


def test_an_event_s_lines_make_a_removal() -> None:
    lines = [
        "id: 9",
        "event: removal",
        'data: {"listing_id": 7, "notice_id": 3, "removed_at": 1.5}',
    ]
    assert parse_event(lines) == Removal(7, 3, 1.5)
    assert parse_event([": keep-alive"]) is None
    assert parse_event(["event: other", 'data: {"listing_id": 7}']) is None
    assert parse_event(["event: removal", "data: not json"]) is None
    assert parse_event(["event: removal", 'data: {"listing_id": 7, "notice_id": null, '
                        '"removed_at": 2}']) == Removal(7, None, 2.0)  # fmt: skip


class Reports:
    """What the stream told Locust and the recorder about its own request."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.recorded: list[tuple[str, bool]] = []

    def fire(self, **kwargs: Any) -> None:
        self.events.append(kwargs)

    def record(self, name: str, _seconds: float, ok: bool) -> None:
        self.recorded.append((name, ok))


def test_no_service_there_means_no_stream_and_a_failed_request() -> None:
    reports = Reports()
    stream = RemovalStream(
        f"http://127.0.0.1:{free_port()}", lambda _r: None, reports.fire, reports.record
    )
    assert stream.open() is False
    assert reports.recorded == [(REMOVAL_STREAM, False)]
    assert reports.events[0]["exception"] is not None


@pytest.mark.timeout(60)
def test_the_service_publishes_a_removal_with_its_own_time(fresh_service: tuple[str, Path]) -> None:
    """A joint_force notice removes its listing on filing; the stream's event carries the
    same removal time the listing's 410 states."""
    url, keys_file = fresh_service
    keys = json.loads(keys_file.read_text())
    holder = next(r for r in keys["rights_holders"] if r["program"] == "joint_force")
    listing = httpx.get(f"{url}/v1/listings", params={"brand_id": holder["brand_id"]}).json()
    listing_id = listing["items"][0]["id"]
    got: list[Removal] = []
    done = threading.Event()

    def on_removal(removal: Removal) -> None:
        got.append(removal)
        if removal.listing_id == listing_id:
            done.set()

    reports = Reports()
    stream = RemovalStream(url, on_removal, reports.fire, reports.record)
    assert stream.open() is True and reports.recorded == [(REMOVAL_STREAM, True)]
    reader = threading.Thread(target=stream.run, daemon=True)
    reader.start()
    body = {"listing_ids": [listing_id], "reason": "counterfeit", "evidence": "seen for sale",
            **notice_elements([listing_id])}  # fmt: skip
    filed = httpx.post(
        f"{url}/v1/notices", json=body, headers={"Authorization": f"Bearer {holder['key']}"}
    )
    assert filed.status_code == 201, filed.text
    assert done.wait(20.0)
    stream.close()
    reader.join(5.0)
    gone = httpx.get(f"{url}/v1/listings/{listing_id}")
    assert gone.status_code == 410
    removal = next(r for r in got if r.listing_id == listing_id)
    assert removal.notice_id == filed.json()["id"]
    assert removal.removed_at == pytest.approx(parse_time(gone.json()["removed_at"]), abs=1e-3)


@pytest.mark.timeout(60)
def test_a_service_without_the_stream_answers_404_and_nothing_failed(
    fresh_service: tuple[str, Path],
) -> None:
    """A 404 at the stream's path is the service saying it has none: the harness polls,
    and the subscription shows as a request that did not fail (the service counted it)."""
    url, _keys = fresh_service
    reports = Reports()
    stream = RemovalStream(url, lambda _r: None, reports.fire, reports.record, "/v1/no-stream")
    assert stream.open() is False
    assert reports.recorded == [(REMOVAL_STREAM, True)]
    assert reports.events[0]["exception"] is None
