"""PostgreSQL reads on the event loop: a connection the server dropped is replaced, a
new loop gets new connections, and SQLite gets no such reader."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest

from loadtest.service.pgread import PgReader
from tests.loadtest.service.conftest import reset_pg, seed_db


def test_sqlite_has_no_postgresql_reader() -> None:
    assert PgReader.for_url("sqlite:///x.db", 2) is None


@pytest.mark.postgres
def test_a_dropped_connection_is_replaced_and_each_loop_has_its_own(
    pg_server: str, scenario_file: Path
) -> None:
    reset_pg(pg_server)
    seeded = seed_db(pg_server, scenario_file)
    reader = PgReader.for_url(seeded.url, 2)
    assert reader is not None

    async def read_twice_with_a_kill_between() -> tuple[int, int, int]:
        first = await reader.live_page(None, None, 5)
        pid = reader._idle[0].info.backend_pid
        async with await psycopg.AsyncConnection.connect(reader.conninfo, autocommit=True) as a:
            await a.execute("SELECT pg_terminate_backend(%s)", (pid,))
        again = await reader.live_page(None, None, 5)  # on a new connection, no error
        return first[0].id, again[0].id, reader._idle[0].info.backend_pid - pid

    first, again, moved = asyncio.run(read_twice_with_a_kill_between())
    assert first == again and moved != 0
    one = asyncio.run(reader.listing(first))  # another loop: another connection
    assert one is not None and one.id == first and len(reader._idle) == 1
    reader.close()
    assert reader._idle == []
