"""The one-listing read and the brand browse served on the event loop, for SQLite.

Looking one listing up by its key in SQLite's page cache takes tens of microseconds
(a page of a brand's live listings, an index range, not many more);
handing a sync handler to the thread pool and back costs more than that, and under load
the hops queue behind each other. So on SQLite the read runs inline on a connection the
event loop owns (WAL: a reader never waits for the writer). PostgreSQL answers over a
socket, so its reads stay in the pool.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple

from sqlalchemy.engine import make_url

from loadtest.service.db import normalise_url

LISTING = (
    "SELECT id, brand_id, seller_id, title, price_usd, is_fake, status, created_at, "
    "removed_at, removed_reason, removed_by_notice FROM listings WHERE id = ?"
)
OPEN_STATEMENT = (
    "SELECT id FROM statements WHERE listing_id = ? AND ended_at IS NULL "
    "AND restriction = 'listing_removed' ORDER BY id DESC LIMIT 1"
)
PAGE = (
    "SELECT id, brand_id, seller_id, title, price_usd, is_fake, status, created_at, "
    "removed_at, removed_reason, removed_by_notice FROM listings WHERE status = 'live'"
)


def page_sql(brand_id: int | None, after: int | None, limit: int) -> tuple[str, list[object]]:
    """The query of a page of live listings and its parameters (``?`` placeholders)."""
    sql, params = PAGE, list[object]()
    if brand_id is not None:
        sql, params = sql + " AND brand_id = ?", [brand_id]
    if after is not None:
        sql, params = sql + " AND id > ?", [*params, after]
    return sql + " ORDER BY id LIMIT ?", [*params, limit]


ListingRow = namedtuple(
    "ListingRow",
    "id brand_id seller_id title price_usd is_fake status created_at removed_at "
    "removed_reason removed_by_notice",
)


class InlineReader:
    """A read-only SQLite connection for point reads on the event loop's thread; opened
    on first use, so an app closed and started again (as a test client does) reads on."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    @classmethod
    def for_url(cls, url: str) -> InlineReader | None:
        """A reader for a SQLite URL; None for PostgreSQL."""
        parsed = make_url(normalise_url(url))
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            return None
        return cls(parsed.database)

    def _rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        if self._conn is None:
            # autocommit: every SELECT is its own snapshot, and fetchall() ends it at once
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA query_only=ON")
            conn.execute("PRAGMA busy_timeout=1000")
            self._conn = conn
        return self._conn.execute(sql, params).fetchall()

    def listing(self, listing_id: int) -> ListingRow | None:
        """The listing row, or None when there is no such listing."""
        rows = self._rows(LISTING, listing_id)
        return ListingRow(*rows[0]) if rows else None

    def open_statement(self, listing_id: int) -> int | None:
        """The statement of reasons of the listing's current removal, if any."""
        rows = self._rows(OPEN_STATEMENT, listing_id)
        return int(rows[0][0]) if rows else None  # type: ignore[call-overload]

    def live_page(self, brand_id: int | None, after: int | None, limit: int) -> list[ListingRow]:
        """Up to ``limit`` live listings (of ``brand_id`` when given) after id ``after``,
        by id: the range of the (brand, status, id) index, or of the key."""
        sql, params = page_sql(brand_id, after, limit)
        return [ListingRow(*r) for r in self._rows(sql, *params)]

    def close(self) -> None:
        """Close the connection (the next read opens another)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
