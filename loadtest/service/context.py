"""The per-app service context the routers depend on: engines, writer, keys, metrics."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import Connection, Engine, func, select

from loadtest.service import schema as s
from loadtest.service.auth import KeyStore, Principal
from loadtest.service.clock import Clock, system_clock
from loadtest.service.events import Act
from loadtest.service.inline import InlineReader
from loadtest.service.logs import request_id
from loadtest.service.metrics import ServiceMetrics
from loadtest.service.pgread import PgReader
from loadtest.service.problems import Problem
from loadtest.service.settings import Settings
from loadtest.service.writer import Writer

T = TypeVar("T")

# Track-record rule defaults when the database was not seeded from a scenario
DEFAULT_PARAMS = {
    "gf_min_success_rate": 0.9,
    "gf_max_counter_notice_rate": 0.015,
    "gf_window_s": 90 * 86400.0,
    "gf_lockout_s": 90 * 86400.0,
}


@dataclass
class Outcome:
    """What a write job did: the answer, and counts the metrics need."""

    status: int
    body: dict[str, Any]
    program: str = ""
    removed: int = 0
    restored: int = 0
    channel: str = "notice"
    filed: bool = False
    replayed: bool = False
    brand_id: int | None = None  # set when the brand's track record changed
    removal_delay_s: float | None = None  # notice filed -> listings removed
    keys_changed: bool = False


@dataclass
class Service:
    """Everything a request handler may touch; one per app."""

    settings: Settings
    engine: Engine
    writer: Writer
    keys: KeyStore
    metrics: ServiceMetrics
    params: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    schema_version: int = 0
    programs: dict[int, str] = field(default_factory=dict)
    # brand -> (remove-first verdict, valid until); written by the writer thread only,
    # dropped after any decision or counter-notice of the brand commits
    verdicts: dict[int, tuple[bool, float]] = field(default_factory=dict)
    clock: Clock = system_clock
    # SQLite: point reads on the event loop (inline.py); None on PostgreSQL
    inline: InlineReader | None = None
    # PostgreSQL: the same reads on async connections (pgread.py); None on SQLite
    pg_reader: PgReader | None = None

    def now(self) -> float:
        """The service's time (epoch seconds): the only clock handlers read."""
        return self.clock()

    def act(self, who: Principal) -> Act:
        """The actor, time and request id a write job records in the audit log."""
        return Act(who.id, who.role, self.clock(), request_id())

    async def write(self, job: Callable[[Connection], T]) -> T:
        """Run ``job`` in the group-commit writer; returns once it is committed."""
        return await self.writer.run(job)

    def read(self, job: Callable[[Connection], T]) -> T:
        """Run ``job`` on a pooled read connection (call from a worker thread)."""
        with self.engine.connect() as conn:
            return job(conn)

    def queue_depth(self) -> dict[str, int]:
        """Items awaiting review, by kind (for /metrics)."""
        with self.engine.connect() as conn:
            n = conn.execute(
                select(func.count()).where(s.notices.c.review_pending.is_(True))
            ).scalar_one()
            c = conn.execute(
                select(func.count()).where(s.counter_notices.c.review_pending.is_(True))
            ).scalar_one()
        return {"notice": int(n), "counter_notice": int(c)}

    def record(self, outcome: Outcome) -> None:
        """Update the metrics after a committed write."""
        if outcome.replayed:
            return
        if outcome.brand_id is not None:
            self.verdicts.pop(outcome.brand_id, None)
        if outcome.filed:
            self.metrics.notices.labels(outcome.program).inc()
        if outcome.removed:
            self.metrics.removals.labels(outcome.program, outcome.channel).inc(outcome.removed)
            if outcome.removal_delay_s is not None:
                hist = self.metrics.notice_to_removal.labels(outcome.program)
                for _ in range(outcome.removed):
                    hist.observe(max(outcome.removal_delay_s, 0.0))
        if outcome.restored:
            self.metrics.restorations.labels(outcome.program).inc(outcome.restored)
        if outcome.keys_changed:
            self.keys.refresh(force=True)


async def service(request: Request) -> Service:
    """FastAPI dependency: the app's service context (async: no thread hop)."""
    svc: Service = request.app.state.service
    return svc


def load_params(engine: Engine) -> dict[str, float]:
    """Track-record parameters stored at seeding, over the defaults."""
    out = dict(DEFAULT_PARAMS)
    with engine.connect() as conn:
        for name, value in conn.execute(select(s.params.c.name, s.params.c.value)):
            out[str(name)] = float(value)
    return out


def encode_cursor(last_id: int) -> str:
    """An opaque cursor after row ``last_id``."""
    return base64.urlsafe_b64encode(f"c1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The row id a cursor points after; 422 for a cursor this service did not issue."""
    if cursor is None or cursor == "":
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, _, value = text.partition(":")
        if tag != "c1":
            raise ValueError(tag)
        last = int(value)
        if not 0 <= last < 2**62:
            raise ValueError(value)
        return last
    except (ValueError, UnicodeDecodeError):
        raise Problem(422, "cursor: not a cursor this service issued") from None
