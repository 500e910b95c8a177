"""Which workers joined a distributed run, which reported, and which never did.

On the master, ``Roll`` records each worker as it connects (its index, and the host
and process id it says hello with) and as its results arrive, and keeps
``workers.json`` in the results folder up to date. The master waits at most
``--worker-wait`` for every worker to connect; when one never does, Locust gives up
before any load is sent, and the runner turns that into a failed run (exit 3) whose
gate names each missing worker (``missing``), a local one by its process and log.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKERS_FILE = "workers.json"
LOCAL_WAIT_S = 60.0  # how long the master waits for local workers to connect
REMOTE_WAIT_S = 300.0  # ... and for workers on other machines
GAVE_UP = "Gave up waiting for workers to connect"  # what Locust's master logs then


def default_wait_s(remote_workers: int) -> float:
    """The master's default wait for workers: a minute locally, 5 minutes with remote ones."""
    return REMOTE_WAIT_S if remote_workers else LOCAL_WAIT_S


def hello() -> dict[str, Any]:
    """What a worker tells the master when it joins (so a missing one can be named)."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def process_ended(info: Mapping[str, Any]) -> bool:
    """Whether the worker that said hello with ``info`` (host, pid) is a process of this
    machine that has ended (exited, or a zombie its parent has not reaped yet); a worker
    on another machine, or one that never said hello, is never known to have ended."""
    pid = int(info.get("pid", 0) or 0)
    if pid <= 0 or info.get("host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc: the process exists, which is all we can tell
    return stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"])


class Roll:
    """The master's record of its workers, written to ``workers.json`` on every change."""

    def __init__(self, path: Path, expected: int, wait_s: float) -> None:
        self.path = path
        self.expected = expected
        self.wait_s = wait_s
        self.t0 = time.monotonic()
        self.joined: dict[int, dict[str, Any]] = {}
        self.reported: set[int] = set()
        self.write()

    def connected(self, index: int, client_id: str) -> None:
        """Worker ``index`` connected (Locust's ``worker_connect``)."""
        entry = self.joined.setdefault(index, {"index": index})
        entry.update(client_id=client_id, connected_at_s=round(time.monotonic() - self.t0, 3))
        self.write()

    def said_hello(self, index: int, info: Mapping[str, Any]) -> None:
        """Worker ``index`` named its host and process."""
        self.joined.setdefault(index, {"index": index}).update(
            host=str(info.get("host", "")), pid=int(info.get("pid", 0))
        )
        self.write()

    def report(self, index: int) -> None:
        """Worker ``index`` sent its final results."""
        self.reported.add(index)
        self.write()

    def doc(self) -> dict[str, Any]:
        """The ``workers.json`` document."""
        return {
            "expected": self.expected,
            "wait_s": self.wait_s,
            "connected": [self.joined[k] for k in sorted(self.joined)],
            "reported": sorted(self.reported),
        }

    def write(self) -> None:
        """Save ``doc()`` (atomically: the runner may read it at any moment)."""
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.doc(), indent=1, sort_keys=True))
        tmp.replace(self.path)


@dataclass(frozen=True)
class LocalWorker:
    """A worker process this machine started: its number, process id, log and exit code."""

    number: int
    pid: int
    log: str
    exit_code: int | None


def read_roll(folder: Path) -> dict[str, Any]:
    """The master's ``workers.json`` (an empty roll when it wrote none)."""
    path = folder / WORKERS_FILE
    if not path.is_file():
        return {"connected": [], "reported": []}
    return dict(json.loads(path.read_text()))


def never_connected(
    roll: Mapping[str, Any], expected: int, local: Sequence[LocalWorker], remote: int
) -> list[str]:
    """Each worker that never connected, named: a local one by its process and log, the
    ones on other machines by how many of them are missing."""
    pids = {int(w.get("pid", 0)) for w in roll.get("connected", [])}
    absent = [w for w in local if w.pid not in pids]
    names = []
    for w in absent:
        ended = f", exited {w.exit_code}" if w.exit_code is not None else ""
        names.append(f"local worker {w.number} (pid {w.pid}{ended}, log {w.log}) never connected")
    short = expected - len(roll.get("connected", [])) - len(absent)
    if short > 0 and remote:
        names.append(f"{short} of {remote} remote worker(s) never connected")
    elif short > 0:
        names.append(f"{short} worker(s) never connected")
    return names


def write_no_show(path: Path, expected: int, seen: list[int], missing: list[str]) -> None:
    """``harness.json`` of a run that never started (the master gave up waiting for
    workers): nothing measured, every connected worker seen, the missing ones named."""
    doc = {
        "workers": expected, "merged": {}, "merged_counts": {}, "steady": None,
        "timeline": None, "seen_workers": sorted(seen), "aborted": None,
        "missing": missing, "per_worker": [],
    }  # fmt: skip
    path.write_text(json.dumps(doc, indent=1, sort_keys=True))


def finish_roll(folder: Path, gave_up: bool, missing: Sequence[str]) -> dict[str, Any]:
    """Add the run's outcome to ``workers.json``: whether the master gave up waiting,
    and every missing worker by name."""
    roll = read_roll(folder)
    roll["gave_up_waiting"] = gave_up
    roll["missing"] = list(missing)
    (folder / WORKERS_FILE).write_text(json.dumps(roll, indent=1, sort_keys=True))
    return roll
