"""The load test's child processes (service, Locust master and workers): started in their
own process groups, stopped together on the way out, and waited on until healthy."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sim.errors import UserError

HEALTH_TIMEOUT_S = 120.0
PORT_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
PORT_FLOOR = 10_000  # below it sit well-known and registered services


class LoadtestError(UserError, RuntimeError):
    """A run could not be made: every problem, and ``code`` the exit code (2: the user's
    input, 1: the run failed)."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, chosen below the kernel's ephemeral range.

    A port the kernel hands out for bind(0) comes from the range it also uses for every
    outgoing connection, so in the moment between this check and the server's own bind, a
    load test's clients could take it; a port below that range is never handed out so."""
    low = _ephemeral_low()
    for _ in range(200):
        port = PORT_FLOOR + secrets.randbelow(max(1, low - PORT_FLOOR))
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:  # a crowded range: let the kernel choose
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    """The lowest port of the kernel's ephemeral range (32768 where it cannot be read)."""
    try:
        return int(PORT_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


class Processes:
    """Child processes of one run, each in its own group, stopped together."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> Any:
        """Start ``args`` with output to ``log``."""
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                args, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, env=env
            )
        self.children.append(proc)
        return proc

    def stop_all(self, grace_s: float = 10.0) -> None:
        """SIGTERM each child's group, then SIGKILL what is left after ``grace_s``."""
        for proc in self.children:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in self.children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)


def _terminated(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def processes() -> Iterator[Processes]:
    """A process set that is always stopped on the way out (SIGTERM included)."""
    procs = Processes()
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        yield procs
    finally:
        procs.stop_all()
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def wait_healthy(url: str, proc: Any, log: Path, timeout_s: float = HEALTH_TIMEOUT_S) -> None:
    """Poll ``url/healthz`` until 200; LoadtestError if the service exits or never answers."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LoadtestError(f"the service exited ({proc.returncode}): {tail(log)}", 1)
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise LoadtestError(f"the service did not answer {url}/healthz within {timeout_s:.0f}s", 1)
