"""The one-listing read and the brand browse on PostgreSQL, on the event loop.

Through the pool a one-listing read made three round trips (the pool's liveness ping,
the query, the rollback on return) and a thread-pool hop, and cost the service about
1.3 ms of CPU under load; a plain query on a kept connection costs tens of
microseconds. So these reads run on a few psycopg async connections in autocommit
(each SELECT its own snapshot: one round trip, no transaction to end), which psycopg
prepares on the server after a few uses. A connection that fails is closed and the
read tried once more on a new one; connections belong to the event loop that opened
them (a test client may start the app on another loop: the old ones are dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import psycopg
from sqlalchemy.engine import make_url

from loadtest.service.db import normalise_url
from loadtest.service.inline import LISTING, OPEN_STATEMENT, ListingRow, page_sql


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class PgReader:
    """Up to ``size`` async connections for point reads; None for SQLite (``for_url``)."""

    def __init__(self, conninfo: str, size: int) -> None:
        self.conninfo = conninfo
        self.size = size
        self._idle: list[psycopg.AsyncConnection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._free = asyncio.Semaphore(size)

    @classmethod
    def for_url(cls, url: str, size: int) -> PgReader | None:
        """A reader for a PostgreSQL URL; None for SQLite."""
        parsed = make_url(normalise_url(url))
        if parsed.get_backend_name() != "postgresql":
            return None
        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return cls(conninfo, size)

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.close()
            self._loop, self._free = loop, asyncio.Semaphore(self.size)

    async def _rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        self._bind()
        async with self._free:
            try:
                return await self._query(_pg(sql), params)
            except psycopg.OperationalError:  # that connection is closed: once more on a new one
                return await self._query(_pg(sql), params)

    async def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        if self._idle:
            conn = self._idle.pop()
        else:
            conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        try:
            cur = await conn.execute(sql, params)
            rows = await cur.fetchall()
        except BaseException:  # broken, or cancelled mid-query: its state is unknown
            conn.pgconn.finish()
            raise
        self._idle.append(conn)
        return rows

    async def listing(self, listing_id: int) -> ListingRow | None:
        """The listing row, or None when there is no such listing."""
        rows = await self._rows(LISTING, listing_id)
        return ListingRow(*rows[0]) if rows else None

    async def open_statement(self, listing_id: int) -> int | None:
        """The statement of reasons of the listing's current removal, if any."""
        rows = await self._rows(OPEN_STATEMENT, listing_id)
        return int(rows[0][0]) if rows else None  # type: ignore[call-overload]

    async def live_page(self, brand_id: int | None, after: int | None,
                        limit: int) -> Sequence[ListingRow]:  # fmt: skip
        """Up to ``limit`` live listings (of ``brand_id``) after id ``after``, by id."""
        sql, params = page_sql(brand_id, after, limit)
        return [ListingRow(*r) for r in await self._rows(sql, *params)]

    def close(self) -> None:
        """Close the idle connections (synchronously: no loop needed)."""
        idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()
