"""Workers starved of CPU still count; a worker whose process ended is named, not waited for.

A stalled worker is made deterministic by stopping its process (SIGSTOP) for longer
than Locust's missing-heartbeat limit (about 4 s) and the master's former 20 s wait
for final results, then letting it go on (SIGCONT).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadtest.runner import TAKEDOWN
from loadtest.workers import process_ended, read_roll
from tests.loadtest.conftest import REPO

STALL_S = 35.0  # past Locust's ~4 s missing limit plus the former 20 s wait, with margin
GATES_SLO = """\
[thresholds]
"e2e_takedown" = ["count > 0"]
"arrivals" = ["dropped_ratio < 0.05"]
"""


def test_a_local_process_has_ended_once_it_exits_reaped_or_not() -> None:
    here = socket.gethostname()
    assert process_ended({"host": here, "pid": os.getpid()}) is False
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
    assert process_ended({"host": here, "pid": child.pid}) is True  # a zombie
    child.wait()
    assert process_ended({"host": here, "pid": child.pid}) is True  # gone altogether
    # another machine's worker, or one that never said hello: never known to have ended
    assert process_ended({"host": f"not-{here}", "pid": child.pid}) is False
    assert process_ended({}) is False


def _start_run(url: str, keys: Path, out: Path, slo: Path) -> subprocess.Popen[str]:
    args = [
        *TAKEDOWN, "loadtest", "--host", url, "--keys", str(keys), "--profile", "smoke",
        "--duration", "8s", "--workers", "2", "--slo", str(slo), "--out", str(out),
        "--seed", "11",
    ]  # fmt: skip
    return subprocess.Popen(
        args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _worker_pids(out: Path, run: subprocess.Popen[str]) -> list[int]:
    """The two workers' process ids, once both have said hello to the master."""
    while run.poll() is None:
        pids = [int(w["pid"]) for w in read_roll(out).get("connected", []) if w.get("pid")]
        if len(pids) == 2:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"the run ended before both workers joined: {run.communicate()}")


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_workers_stalled_past_the_old_bounds_are_still_counted(
    lt_service: tuple[str, Path], tmp_path: Path
) -> None:
    """Both workers stop for 35 s as soon as they join: before, Locust took them for
    missing and stopped the test, the plan gave them no users and the master gave up
    on their results after 20 s (exit 3, 0 arrivals); now the run is whole (exit 0)."""
    url, keys = lt_service
    slo, out = tmp_path / "slo.toml", tmp_path / "out"
    slo.write_text(GATES_SLO)
    run = _start_run(url, keys, out, slo)
    pids = _worker_pids(out, run)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(STALL_S)  # the stall itself, not a wait for something to happen
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr + stdout
    doc = json.loads((out / "loadtest.json").read_text())
    workers = [json.loads((out / f"worker-{k}.json").read_text()) for k in range(2)]
    # each worker had its share of the load, and all of it is in the merged result
    assert all(sum(w["arrivals"]["scheduled"].values()) > 0 for w in workers)
    assert doc["arrivals"]["scheduled"] == sum(
        sum(w["arrivals"]["scheduled"].values()) for w in workers
    )
    assert doc["e2e_takedown"]["count"] == sum(w["counts"].get("e2e_takedown", 0) for w in workers)
    roll = read_roll(out)
    assert roll["reported"] == [0, 1] and roll["missing"] == []


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_worker_killed_on_joining_is_named_missing_not_waited_for(
    lt_service: tuple[str, Path], tmp_path: Path
) -> None:
    """A worker whose process ended is gone at once (not after 60 s of silence): the
    other worker's results end the run, which fails (exit 3) naming the dead one."""
    url, keys = lt_service
    slo, out = tmp_path / "slo.toml", tmp_path / "out"
    slo.write_text(GATES_SLO)
    run = _start_run(url, keys, out, slo)
    pids = _worker_pids(out, run)
    dead = next(int(w["index"]) for w in read_roll(out)["connected"] if w.get("pid") == pids[1])
    os.kill(pids[1], signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 3, stderr + stdout
    roll = read_roll(out)
    assert roll["reported"] == [1 - dead] and roll["missing"] == [f"worker {dead}"]
    said = " ".join(stdout.split())
    assert f"missing worker: worker {dead}" in said
