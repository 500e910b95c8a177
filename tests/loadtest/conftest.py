"""Fixtures for the load-test harness tests: the real reference service on loopback."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtest.runner import DEFAULT_SCENARIO, TAKEDOWN, Options, processes, start_service

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def lt_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The reference service seeded from the smoke scenario: (base URL, keys file)."""
    out = tmp_path_factory.mktemp("service")
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
