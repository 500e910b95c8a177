"""Fixtures for the load-test harness tests: the real reference service on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loadtest.runner import (
    DEFAULT_SCENARIO,
    TAKEDOWN,
    Options,
    free_port,
    processes,
    start_service,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def lt_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The reference service seeded from the smoke scenario: (base URL, keys file)."""
    out = tmp_path_factory.mktemp("service")
    with processes() as procs:
        yield start_service(procs, Options(out_dir=out, scenario=DEFAULT_SCENARIO))


@pytest.fixture
def fresh_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A service of its own, seeded afresh: for a test that needs every brand's listings
    live (earlier tests' notices remove listings of the shared one)."""
    out = tmp_path_factory.mktemp("fresh-service")
    with processes() as procs:
        yield start_service(procs, Options(out_dir=out, scenario=DEFAULT_SCENARIO))


def takedown(*args: str, timeout_s: float = 150.0) -> subprocess.CompletedProcess[str]:
    """Run the ``takedown`` command as a user would, from the repository root."""
    return subprocess.run(
        [*TAKEDOWN, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO,
    )


@pytest.fixture
def slow_proxy(lt_service: tuple[str, Path]) -> Iterator[str]:
    """The service behind a proxy adding 200 ms per request and a 1 s stall at 3 s."""
    port = free_port()
    args = [
        sys.executable, "-m", "tests.loadtest.slowproxy", "--upstream", lt_service[0],
        "--port", str(port), "--delay-ms", "200", "--stall-at-s", "3", "--stall-s", "1",
    ]  # fmt: skip
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{lt_service[0]}/healthz", timeout=1.0)
                with httpx.Client() as probe:
                    probe.get(f"{url}/__probe__", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
