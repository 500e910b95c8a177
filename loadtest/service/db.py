"""Storage: engines for SQLite (WAL) or PostgreSQL, versioned migrations, reads.

Writes go through ``writer.Writer`` (group commit); reads use a small pool here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.schema import CreateTable

from loadtest.service import schema as s


class DatabaseUrlError(ValueError):
    """The --db value is not a supported database URL."""


def normalise_url(url: str) -> str:
    """``sqlite:///path`` or ``postgresql://...`` (driver psycopg 3) as SQLAlchemy wants it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(
            f"--db {url!r}: expected sqlite:///path or postgresql://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseUrlError(f"--db {url!r}: SQLite needs a file path (sqlite:///path)")
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise DatabaseUrlError(
        f"--db {url!r}: unsupported database {backend!r}; use sqlite or postgresql"
    )


def _sqlite_pragmas(dbapi_conn: object, _: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    # WAL + NORMAL: a commit is in the WAL (OS page cache) when it returns, so it survives
    # kill -9 of this process (not a power cut); readers never block the writer.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_manual_tx(dbapi_conn: object, _: object) -> None:
    dbapi_conn.isolation_level = None  # type: ignore[attr-defined]


def make_engine(url: str, pool_size: int, writer: bool = False) -> Engine:
    """An engine of ``pool_size`` connections; the writer's SQLite engine opens
    transactions with BEGIN IMMEDIATE.

    No overflow: more concurrent readers than connections wait for one. With overflow,
    every burst past the pool opened connections and closed them again on return (on
    PostgreSQL a server process each: measured under wrk with 16 connections, a
    one-listing read cost 1.2 ms of the service's CPU with that churn)."""
    full = normalise_url(url)
    if full.startswith("sqlite"):
        engine = create_engine(
            full,
            pool_size=pool_size,
            max_overflow=0,
            connect_args={"check_same_thread": False, "timeout": 10},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if writer:
            # take the write lock up front: two processes never deadlock upgrading a read lock
            event.listen(engine, "connect", _sqlite_manual_tx)
            event.listen(engine, "begin", lambda c: c.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(full, pool_size=pool_size, max_overflow=0, pool_pre_ping=True)


@dataclass(frozen=True)
class Migration:
    """One schema version: what it adds and how."""

    version: int
    note: str
    apply: Callable[[Connection], None]


def _create(tables: list) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        for table in tables:
            table.create(conn, checkfirst=True)

    return apply


def _add_columns(tables: list, columns: dict[str, list[str]]) -> Callable[[Connection], None]:
    """Create ``tables`` and add ``columns`` where a table lacks them (nullable, or NOT
    NULL with the column's server default filling the rows already there)."""

    def apply(conn: Connection) -> None:
        _create(tables)(conn)
        inspector = inspect(conn)
        for table_name, names in columns.items():
            have = {c["name"] for c in inspector.get_columns(table_name)}
            table = s.metadata.tables[table_name]
            for name in names:
                if name in have:
                    continue
                column = table.c[name]
                kind = column.type.compile(dialect=conn.dialect)
                default = column.server_default
                if default is not None:  # older rows take the default: NOT NULL holds
                    kind += f" NOT NULL DEFAULT '{default.arg}'"  # type: ignore[attr-defined]
                conn.exec_driver_sql(f"ALTER TABLE {table_name} ADD COLUMN {name} {kind}")

    return apply


def _make_optional(columns: dict[str, list[str]]) -> Callable[[Connection], None]:
    """Drop NOT NULL from ``columns`` (as ``schema`` declares them now) and create the
    tables' missing indexes. PostgreSQL alters the columns; SQLite cannot, so the table
    is rebuilt from the current declaration and its rows copied (no table references
    these tables, so the rebuild leaves foreign keys whole)."""

    def apply(conn: Connection) -> None:
        for table_name, names in columns.items():
            table = s.metadata.tables[table_name]
            declared = {c["name"]: c["nullable"] for c in inspect(conn).get_columns(table_name)}
            if all(declared[name] for name in names):
                pass  # created nullable (a new database) or migrated already
            elif conn.dialect.name == "sqlite":
                _rebuild_sqlite(conn, table)
            else:
                for name in names:
                    conn.exec_driver_sql(
                        f"ALTER TABLE {table_name} ALTER COLUMN {name} DROP NOT NULL"
                    )
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                index.create(conn, checkfirst=True)

    return apply


def _rebuild_sqlite(conn: Connection, table: Table) -> None:
    """SQLite's way to change a column's constraints: a new table, the rows copied over,
    the old one dropped and the new one renamed (the indexes follow from ``table``)."""
    copy = MetaData()  # with the tables its foreign keys name
    for other in s.metadata.sorted_tables:
        if other is not table:
            other.to_metadata(copy)
    fresh = table.to_metadata(copy, name=f"{table.name}_new")
    fresh.indexes.clear()  # the old table holds these names until it is dropped
    conn.execute(CreateTable(fresh))
    names = ", ".join(c.name for c in table.columns)
    conn.exec_driver_sql(
        f"INSERT INTO {fresh.name} ({names}) SELECT {names} FROM {table.name}"
    )  # fmt: skip
    conn.exec_driver_sql(f"DROP TABLE {table.name}")
    conn.exec_driver_sql(f"ALTER TABLE {fresh.name} RENAME TO {table.name}")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "brands, sellers, principals, listings, notices, reviews, audit", _create(s.V1_TABLES)
    ),
    Migration(2, "Idempotency-Key records", _create(s.V2_TABLES)),
    Migration(
        3,
        "Art. 16 notices, statements of reasons, complaints, misuse, events, key changes",
        _add_columns(s.V3_TABLES, s.V3_COLUMNS),
    ),
    Migration(
        4,
        "statements of reasons for account suspensions: restriction, its end, the account",
        _add_columns([], s.V4_COLUMNS),
    ),
    Migration(
        5,
        "statements of reasons for notifiers' suspensions: listing, seller, brand optional",
        _make_optional(s.V5_OPTIONAL),
    ),
)


def current_version(conn: Connection) -> int:
    """The highest applied migration (0 for an empty database)."""
    if not conn.dialect.has_table(conn, "schema_version"):
        return 0
    return int(conn.execute(select(func.max(s.schema_version.c.version))).scalar() or 0)


def migrate(engine: Engine, clock: Callable[[], float] = time.time) -> int:
    """Apply pending migrations in order, each in its own transaction; returns the version."""
    version = 0
    for migration in MIGRATIONS:
        with engine.begin() as conn:
            version = current_version(conn)
            if migration.version <= version:
                continue
            migration.apply(conn)
            conn.execute(
                s.schema_version.insert().values(
                    version=migration.version, applied_at=clock(), note=migration.note
                )
            )
            version = migration.version
    return version


def has_data(engine: Engine) -> bool:
    """Whether the database already holds seeded data."""
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, "principals"):
            return False
        return conn.execute(select(s.principals.c.id).limit(1)).first() is not None


def drop_all(engine: Engine) -> None:
    """Remove every table of the service (for ``--reset``)."""
    with engine.begin() as conn:
        s.metadata.drop_all(conn)
