"""Plain DBAPI statements on the writer's connection, for the hottest write path.

SQLAlchemy Core costs about 0.1 ms of CPU per statement on top of the driver, most of
a notice's write. Statements here are written once with ``:name`` parameters and run
on the connection's own DBAPI cursor (inside the same transaction and SAVEPOINT),
rewritten to ``%(name)s`` for psycopg.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

_NAME = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=64)
def _pyformat(sql: str) -> str:
    return _NAME.sub(r"%(\1)s", sql.replace("%", "%%"))


class Raw:
    """A DBAPI cursor on ``conn`` that takes ``:name`` parameters on every database."""

    def __init__(self, conn: Connection) -> None:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        self.cur = dbapi.cursor()
        self.pyformat = conn.dialect.name != "sqlite"

    def _sql(self, sql: str) -> str:
        return _pyformat(sql) if self.pyformat else sql

    def all(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of a query."""
        self.cur.execute(self._sql(sql), params)
        return list(self.cur.fetchall())

    def one(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
        """The single row a statement returns."""
        self.cur.execute(self._sql(sql), params)
        row = self.cur.fetchone()
        assert row is not None
        return tuple(row)

    def many(self, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        """One statement over several parameter sets."""
        if rows:
            self.cur.executemany(self._sql(sql), list(rows))


def in_list(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``(:name0, :name1, ...)`` and its parameters, for ``IN``."""
    keys = [f"{name}{i}" for i in range(len(values))]
    return "(" + ", ".join(f":{k}" for k in keys) + ")", dict(zip(keys, values, strict=True))
