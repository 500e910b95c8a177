"""The second test service, run as a real process on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loadtest.runner import free_port

REPO = Path(__file__).resolve().parents[3]
MAPPING = Path(__file__).with_name("other.toml")


STREAM_PATH = "/api/v2/removals"  # where the streaming second service publishes removals


@pytest.fixture(scope="module")
def other_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, keys file) of a fresh second service (no removal stream)."""
    yield from _serve(tmp_path_factory, [])


@pytest.fixture(scope="module")
def streaming_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, keys file) of a fresh second service publishing removals at STREAM_PATH."""
    yield from _serve(tmp_path_factory, ["--stream", STREAM_PATH])


def _serve(factory: pytest.TempPathFactory, extra: list[str]) -> Iterator[tuple[str, Path]]:
    keys = factory.mktemp("other") / "keys.json"
    port = free_port()
    args = [sys.executable, "-m", "tests.loadtest.adapters.other_service",
            "--port", str(port), "--keys-out", str(keys), *extra]  # fmt: skip
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        yield url, keys
    finally:
        proc.terminate()
        proc.wait(timeout=10)
