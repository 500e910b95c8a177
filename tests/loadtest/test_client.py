"""The client's reading of the service's replies (the adapter seam's parsing half)."""

from __future__ import annotations

from loadtest.client import (
    Reply,
    claimed_kind,
    is_fake,
    newly_named,
    notice_created_at,
    notice_program,
    parse_time,
    removed_at,
)


def test_notice_reply_fields() -> None:
    body = {
        "id": 4, "program": "joint_force", "created_at": "2026-01-01T00:00:00+00:00",
        "items": [{"listing_id": 1, "state_at_filing": "live"},
                  {"listing_id": 2, "state_at_filing": "removed"}],
    }  # fmt: skip
    reply = Reply(201, body, True)
    assert newly_named(reply, [1, 2]) == [1]
    assert notice_program(reply, "standard") == "joint_force"
    assert notice_created_at(reply) == 1767225600.0


def test_removed_at_and_times() -> None:
    assert removed_at(Reply(410, {"removed_at": "2026-01-01T00:00:01Z"}, True)) == 1767225601.0
    assert parse_time(12.5) == 12.5
    assert parse_time("not a time") is None
    assert removed_at(Reply(200, None, True)) is None


def test_review_items_and_fakes() -> None:
    assert claimed_kind({"kind": "notice", "id": 7, "notice_id": 7}) == ("notice", 7)
    item = {"kind": "counter_notice", "id": 3, "counter_notice_id": 3, "notice_id": 9}
    assert claimed_kind(item) == ("counter_notice", 3)
    assert is_fake({"is_fake": True}) is True
    assert is_fake({"id": 1}) is None
