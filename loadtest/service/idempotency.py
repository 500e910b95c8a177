"""Idempotency-Key with Stripe's semantics, stored in the same transaction as the write.

A retry with the same key and body replays the first answer; the same key with
another body is 409; keys are kept ``idempotency_ttl_h`` (at least 24 h). Only
successful answers are stored: a failed request may be retried with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

from loadtest.service.context import Outcome
from loadtest.service.problems import Problem

MAX_KEY_LEN = 255
_WHERE = " WHERE principal_id = :principal_id AND idem_key = :idem_key"
FIND = text("SELECT request_hash, status_code, body, created_at FROM idempotency" + _WHERE)
DELETE = text("DELETE FROM idempotency" + _WHERE)
STORE = text(
    "INSERT INTO idempotency (principal_id, idem_key, request_hash, status_code, body, "
    "created_at) VALUES (:principal_id, :idem_key, :request_hash, :status_code, :body, "
    ":created_at)"
)


def request_hash(method: str, path: str, body: Any) -> str:
    """A fingerprint of what was asked, to tell a retry from a different request."""
    canon = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    """The header value if usable, else 422 naming the header."""
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LEN or not key.isprintable():
        raise Problem(422, f"Idempotency-Key: 1-{MAX_KEY_LEN} printable characters")
    return key


def idempotent(
    principal_id: int, key: str | None, fingerprint: str, now: float, ttl_s: float,
    work: Callable[[Connection], Outcome],
) -> Callable[[Connection], Outcome]:  # fmt: skip
    """Wrap a write job so that a retry of ``key`` replays the stored answer."""
    if key is None:
        return work
    params = {"principal_id": principal_id, "idem_key": key}

    def job(conn: Connection) -> Outcome:
        row = conn.execute(FIND, params).first()
        if row is not None and row.created_at < now - ttl_s:
            conn.execute(DELETE, params)
            row = None
        if row is not None:
            if row.request_hash != fingerprint:
                raise Problem(409, "Idempotency-Key was used with a different request")
            return Outcome(row.status_code, json.loads(row.body), replayed=True)
        outcome = work(conn)
        conn.execute(
            STORE,
            {**params, "request_hash": fingerprint, "status_code": outcome.status,
             "body": json.dumps(outcome.body), "created_at": now},
        )  # fmt: skip
        return outcome

    return job
