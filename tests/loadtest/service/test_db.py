"""Storage: versioned migrations on both databases, URL handling, group commit."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import pytest
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.exc import IntegrityError

from loadtest.service import db
from loadtest.service import schema as s
from loadtest.service.writer import Writer


def test_migrations_apply_in_order_once(db_url: str) -> None:
    engine = db.make_engine(db_url, pool_size=1, writer=True)
    assert db.migrate(engine) == len(db.MIGRATIONS) == 5
    assert db.migrate(engine) == 5  # a restart applies nothing twice
    with engine.connect() as conn:
        versions = [v for (v,) in conn.execute(select(s.schema_version.c.version))]
    engine.dispose()
    assert versions == [1, 2, 3, 4, 5]


def test_migration_3_adds_its_columns_to_an_older_database(db_url: str) -> None:
    engine = db.make_engine(db_url, pool_size=1, writer=True)
    db.migrate(engine)
    with engine.begin() as conn:  # back to version 2: without migration 3's columns
        for table, names in s.V3_COLUMNS.items():
            for name in names:
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {name}")
        conn.execute(s.schema_version.delete().where(s.schema_version.c.version >= 3))
    assert db.migrate(engine) == len(db.MIGRATIONS)
    with engine.connect() as conn:
        have = {c["name"] for c in inspect(conn).get_columns("notices")}
    engine.dispose()
    assert set(s.V3_COLUMNS["notices"]) <= have


def test_migration_4_marks_older_statements_as_listing_removals(db_url: str) -> None:
    engine = db.make_engine(db_url, pool_size=1, writer=True)
    db.migrate(engine)
    with engine.begin() as conn:  # back to version 3, with a statement of that time
        conn.exec_driver_sql("DROP INDEX ix_statements_principal")  # migration 5's
        for name in s.V4_COLUMNS["statements"]:
            conn.exec_driver_sql(f"ALTER TABLE statements DROP COLUMN {name}")
        conn.execute(s.schema_version.delete().where(s.schema_version.c.version >= 4))
        conn.execute(s.brands.insert().values(id=1, name="b", program="standard"))
        conn.execute(s.sellers.insert().values(id=1, name="s", kind="legit"))
        conn.execute(s.listings.insert().values(
            id=1, seller_id=1, brand_id=1, title="t", price_usd=1.0, is_fake=False,
            status="removed", created_at=0.0))  # fmt: skip
        conn.exec_driver_sql(
            "INSERT INTO statements (puid, listing_id, seller_id, brand_id, created_at, "
            "content_created_at, source_type, automated_decision, legal_ground, explanation, "
            "facts) VALUES ('p1', 1, 1, 1, 1.0, 0.0, 'SOURCE_ARTICLE_16', "
            "'AUTOMATED_DECISION_FULLY', 'tm', 'x', 'y')"
        )
    assert db.migrate(engine) == len(db.MIGRATIONS)
    with engine.connect() as conn:
        row = conn.execute(select(s.statements)).one()
        nullable = {c["name"]: c["nullable"] for c in inspect(conn).get_columns("statements")}
    engine.dispose()
    assert (row.restriction, row.restriction_ends_at, row.principal_id) == (
        "listing_removed", None, None
    )  # fmt: skip
    assert nullable["restriction"] is False


def test_migration_5_makes_a_statements_listing_optional_and_keeps_its_rows(
    db_url: str,
) -> None:
    engine = db.make_engine(db_url, pool_size=1, writer=True)
    db.migrate(engine)
    old = MetaData()
    for table in s.metadata.sorted_tables:
        table.to_metadata(old)
    for name in s.V5_OPTIONAL["statements"]:
        old.tables["statements"].c[name].nullable = False
    with engine.begin() as conn:  # back to version 4: the NOT NULL columns, one statement
        s.statements.drop(conn)
        old.tables["statements"].create(conn)
        conn.execute(s.schema_version.delete().where(s.schema_version.c.version == 5))
        conn.execute(s.brands.insert().values(id=1, name="b", program="standard"))
        conn.execute(s.sellers.insert().values(id=1, name="s", kind="legit"))
        conn.execute(s.listings.insert().values(
            id=1, seller_id=1, brand_id=1, title="t", price_usd=1.0, is_fake=False,
            status="removed", created_at=0.0))  # fmt: skip
        conn.execute(s.statements.insert().values(
            puid="p1", listing_id=1, seller_id=1, brand_id=1, created_at=1.0,
            content_created_at=0.0, source_type="SOURCE_ARTICLE_16",
            automated_decision="AUTOMATED_DECISION_FULLY", legal_ground="tm",
            explanation="x", facts="y"))  # fmt: skip
    with engine.connect() as conn:
        before = {c["name"]: c["nullable"] for c in inspect(conn).get_columns("statements")}
    assert db.migrate(engine) == 5
    with engine.begin() as conn:
        nullable = {c["name"]: c["nullable"] for c in inspect(conn).get_columns("statements")}
        indexes = {i["name"] for i in inspect(conn).get_indexes("statements")}
        rows = [(r.id, r.puid, r.listing_id) for r in conn.execute(select(s.statements))]
        conn.execute(s.statements.insert().values(
            puid="p2", created_at=2.0, content_created_at=1.0, source_type="SOURCE_VOLUNTARY",
            automated_decision="AUTOMATED_DECISION_FULLY", legal_ground="terms",
            explanation="x", facts="y", principal_id=1))  # fmt: skip
        with pytest.raises(IntegrityError), conn.begin_nested():  # the puid is still unique
            conn.execute(s.statements.insert().values(
                puid="p2", created_at=2.0, content_created_at=1.0, source_type="S",
                automated_decision="A", legal_ground="t", explanation="x", facts="y"))  # fmt: skip
    engine.dispose()
    assert [before[n] for n in s.V5_OPTIONAL["statements"]] == [False, False, False]
    assert [nullable[n] for n in s.V5_OPTIONAL["statements"]] == [True, True, True]
    assert rows == [(1, "p1", 1)]
    assert {"ix_statements_seller", "ix_statements_created", "ix_statements_principal"} <= indexes


def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path}/w.db", pool_size=1)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("postgresql://postgres@127.0.0.1:5432/test",
         "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    ],
)  # fmt: skip
def test_urls_normalise(url: str, expected: str) -> None:
    assert db.normalise_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://a/b", "sqlite://", "sqlite:///:memory:", "::nonsense"])
def test_bad_urls_name_the_flag(url: str) -> None:
    with pytest.raises(db.DatabaseUrlError, match="--db"):
        db.normalise_url(url)


def test_group_commit_batches_concurrent_writes_and_isolates_failures(db_url: str) -> None:
    engine = db.make_engine(db_url, pool_size=1, writer=True)
    db.migrate(engine)
    writer = Writer(engine, batch_max=64)
    gate = threading.Event()
    # hold the writer busy so the next 200 submissions queue up behind it
    blocker = writer.submit(lambda conn: gate.wait(5))

    def insert(i: int):  # type: ignore[no-untyped-def,unused-ignore]
        def job(conn):  # type: ignore[no-untyped-def,unused-ignore]
            if i % 50 == 0:
                raise ValueError(f"job {i} fails alone")
            conn.execute(s.params.insert().values(name=f"p{i}", value=float(i)))
            return i

        return job

    futures = [writer.submit(insert(i)) for i in range(200)]
    gate.set()
    blocker.result(10)
    results = [f.exception(10) or f.result() for f in futures]
    writer.close()
    failed = [r for r in results if isinstance(r, ValueError)]
    assert len(failed) == 4
    engine2 = db.make_engine(db_url, pool_size=1)
    with engine2.connect() as conn:
        stored = conn.execute(select(s.params.c.name)).all()
    engine2.dispose()
    assert len(stored) == 196
    assert writer.jobs == 201 and writer.batches <= 1 + 200 // 64 + 1


def test_jobs_of_one_loop_turn_cross_in_one_bundle_and_answer_after_commit(
    db_url: str,
) -> None:
    """``run`` from the event loop: the 100 jobs one turn submits reach the writer as one
    bundle (one batch), each answer comes after the COMMIT (another connection sees the
    row when it arrives), and a failing job fails alone."""
    engine = db.make_engine(db_url, pool_size=1, writer=True)
    db.migrate(engine)
    writer = Writer(engine, batch_max=256)
    seen = db.make_engine(db_url, pool_size=1)

    def insert(i: int):  # type: ignore[no-untyped-def,unused-ignore]
        def job(conn):  # type: ignore[no-untyped-def,unused-ignore]
            if i == 13:
                raise ValueError("job 13 fails alone")
            conn.execute(s.params.insert().values(name=f"p{i}", value=float(i)))
            return i

        return job

    async def main() -> list[object]:
        async def one(i: int) -> object:
            try:
                value = await writer.run(insert(i))
            except ValueError as exc:
                return exc
            with seen.connect() as conn:  # committed before the answer
                stored = conn.execute(select(s.params.c.value).where(s.params.c.name == f"p{i}"))
                assert stored.scalar_one() == float(i)
            return value

        return await asyncio.gather(*(one(i) for i in range(100)))

    results = asyncio.run(main())
    writer.close()
    seen.dispose()
    assert [r for r in results if not isinstance(r, ValueError)] == [
        i for i in range(100) if i != 13
    ]  # fmt: skip
    assert isinstance(results[13], ValueError)
    assert (writer.jobs, writer.batches) == (100, 1)


def test_a_batch_runs_once_and_again_with_savepoints_only_when_a_job_fails(
    db_url: str,
) -> None:
    """Without a failure every job runs once; a failing job sends the batch round again,
    each job in its savepoint: the first pass leaves nothing behind, the rest commits."""
    engine = db.make_engine(db_url, pool_size=1, writer=True)
    db.migrate(engine)
    writer = Writer(engine, batch_max=64)
    calls: Counter[str] = Counter()

    def insert(name: str, fail: bool = False):  # type: ignore[no-untyped-def,unused-ignore]
        def job(conn):  # type: ignore[no-untyped-def,unused-ignore]
            calls[name] += 1
            conn.execute(s.params.insert().values(name=name, value=1.0))
            if fail:
                raise ValueError(name)
            return name

        return job

    def batch(names: list[str], failing: str | None = None) -> list[object]:
        gate = threading.Event()
        blocker = writer.submit(lambda conn: gate.wait(5))  # the rest queue as one batch
        futures = [writer.submit(insert(n, n == failing)) for n in names]
        gate.set()
        blocker.result(10)
        return [f.exception(10) or f.result() for f in futures]

    assert batch(["a", "b", "c"]) == ["a", "b", "c"]
    assert dict(calls) == {"a": 1, "b": 1, "c": 1}
    second = batch(["d", "e", "f"], failing="e")
    writer.close()
    assert second[0] == "d" and isinstance(second[1], ValueError) and second[2] == "f"
    assert [calls[n] for n in "def"] == [2, 2, 1]  # the first pass stops at "e"
    with engine.connect() as conn:
        names = sorted(n for (n,) in conn.execute(select(s.params.c.name)))
    engine.dispose()
    assert names == ["a", "b", "c", "d", "f"]
