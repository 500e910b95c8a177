"""Fixtures for the reference service: real SQLite files, the real PostgreSQL, real servers."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadtest.processes import free_port

with warnings.catch_warnings():
    # this Starlette asks for its httpx successor; the pinned httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PG_ADMIN_URL = os.environ.get("TAKEDOWN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SCENARIO_TOML = """
[scenario]
name = "service-test"
[market]
brands = 6
products_per_brand = 5
[legit_sellers]
count = 12
listings_per_seller = 10
[counterfeiters]
count = 6
listings_per_day = 8.0
[rights_holders]
programme_mix = { standard = 0.4, good_faith = 0.3, joint_force = 0.3 }
[account_managers]
pool_size = 4
dedicated_per_enrolled_brand = 1
"""


@pytest.fixture(scope="session")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small market with brands of every programme."""
    path = tmp_path_factory.mktemp("scenario") / "service.toml"
    path.write_text(SCENARIO_TOML)
    return path


def _pg_reachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A fresh PostgreSQL database for this session (dropped after); skips only outside CI."""
    import psycopg

    problem = _pg_reachable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} unreachable in CI: {problem}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}: {problem}")
    name = f"takedown_svc_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_pg(url: str) -> None:
    """Drop every table of the service in a PostgreSQL test database."""
    from loadtest.service import db

    engine = db.make_engine(url, pool_size=1)
    db.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS schema_version CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind: a new SQLite file, or the session's PostgreSQL reset."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    url = str(request.getfixturevalue("pg_server"))
    reset_pg(url)
    return url


@dataclass
class Seeded:
    """A seeded database: its URL and the keys document."""

    url: str
    keys: dict[str, Any]

    def holder(self, program: str, nth: int = 0) -> dict[str, Any]:
        """The nth rights holder of a programme."""
        return [r for r in self.keys["rights_holders"] if r["program"] == program][nth]

    def manager_of(self, brand_id: int) -> dict[str, Any]:
        """An account manager assigned ``brand_id``."""
        return next(m for m in self.keys["account_managers"] if brand_id in m["brand_ids"])


def seed_db(url: str, scenario_file: Path, seed: int = 7) -> Seeded:
    """Migrate and seed ``url`` from the test scenario."""
    from loadtest.service import db
    from loadtest.service.seed import seed_market
    from sim.scenario import load_scenario

    engine = db.make_engine(url, pool_size=1, writer=True)
    db.migrate(engine)
    keys = seed_market(engine, load_scenario(scenario_file, ()), seed)
    engine.dispose()
    return Seeded(url, keys)


@pytest.fixture
def seeded(db_url: str, scenario_file: Path) -> Seeded:
    """A seeded database of each kind."""
    return seed_db(db_url, scenario_file)


def make_client(url: str, clock: Any = None, **settings: Any) -> TestClient:
    """An in-process client of a fresh app on ``url`` (on ``clock`` when given)."""
    from loadtest.service.app import create_app
    from loadtest.service.clock import system_clock
    from loadtest.service.settings import Settings

    app = create_app(Settings(db=url, **settings), clock=clock or system_clock)
    return TestClient(app, raise_server_exceptions=True)


def notice_body(ids: list[int], **over: Any) -> dict[str, Any]:
    """A complete notice (every DSA Art. 16 element) naming ``ids``."""
    return {
        "listing_ids": ids,
        "urls": [f"https://marketplace.example/listings/{i}" for i in ids],
        "reason": "counterfeit",
        "evidence": "test purchase, photos attached",
        "notifier_name": "Brand legal team",
        "notifier_email": "legal@brand.example",
        "right_relied_on": "EU trade mark 018000001",
        "good_faith_statement": True,
        **over,
    }


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    """The app in process over the seeded database (rate limit off)."""
    with make_client(seeded.url, rate_limit=0) as c:
        yield c


def auth(key: str) -> dict[str, str]:
    """The Authorization header of a key."""
    return {"Authorization": f"Bearer {key}"}


def brand_listing_ids(c: TestClient | httpx.Client, brand_id: int, n: int) -> list[int]:
    """The first ``n`` live listings of a brand."""
    body = c.get("/v1/listings", params={"brand_id": brand_id, "limit": n}).json()
    return [int(i["id"]) for i in body["items"]]


TAKEDOWN = [sys.executable, "-c", "from sim.cli import main; main()"]


class LiveServer:
    """``takedown serve`` as a real subprocess on a loopback port."""

    def __init__(self, url: str, log: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [*TAKEDOWN, "serve", "--db", url, "--port", str(self.port), *extra]
        self.log = log.open("ab")
        # its own process group: kill -9 reaches every worker process, not only the parent
        self.proc = subprocess.Popen(
            args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait()

    def _wait(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not answer /healthz")

    def kill9(self) -> None:
        """SIGKILL to the server and its workers, no chance to flush or clean up."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        """Terminate politely (SIGTERM), then SIGKILL if needed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def live(seeded: Seeded, tmp_path: Path) -> Iterator[tuple[LiveServer, Seeded]]:
    """A live server over the seeded database of each kind."""
    server = LiveServer(seeded.url, tmp_path / "server.log", "--rate-limit", "0")
    try:
        yield server, seeded
    finally:
        server.stop()


def keys_json(path: Path) -> dict[str, Any]:
    """Read a keys file."""
    return dict(json.loads(path.read_text()))
