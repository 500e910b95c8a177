"""The audit log of every state change: who (actor), what, on which object, in which request.

Written inside the same transaction as the change itself, so an acknowledged change
always has its event and a rolled-back one never does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from loadtest.service import schema as s


@dataclass(frozen=True)
class Act:
    """Who acts, when, and in which request: captured when the write job is built."""

    actor_id: int
    actor_role: str
    now: float
    request_id: str


def row(act: Act, action: str, object_type: str, object_id: int, brand_id: int | None = None,
        **detail: Any) -> dict[str, Any]:  # fmt: skip
    """One event row (for batched inserts)."""
    return {
        "at": act.now, "actor_id": act.actor_id, "actor_role": act.actor_role,
        "request_id": act.request_id, "action": action, "object_type": object_type,
        "object_id": object_id, "brand_id": brand_id,
        "detail": json.dumps(detail, sort_keys=True, separators=(",", ":")),
    }  # fmt: skip


def log(conn: Connection, act: Act, action: str, object_type: str, object_id: int,
        brand_id: int | None = None, **detail: Any) -> None:  # fmt: skip
    """Record one state change."""
    conn.execute(s.events.insert(), [row(act, action, object_type, object_id, brand_id, **detail)])


def log_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Record several state changes in one statement."""
    if rows:
        conn.execute(s.events.insert(), list(rows))
