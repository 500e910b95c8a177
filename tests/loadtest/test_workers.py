"""Workers that never connect: named, and the run fails (exit 3) instead of hanging."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.runner import free_port
from loadtest.workers import (
    LOCAL_WAIT_S,
    REMOTE_WAIT_S,
    LocalWorker,
    Roll,
    default_wait_s,
    never_connected,
    read_roll,
)
from tests.loadtest.conftest import takedown


def test_the_roll_is_on_disk_after_every_change(tmp_path: Path) -> None:
    roll = Roll(tmp_path / "workers.json", expected=2, wait_s=7.0)
    assert read_roll(tmp_path)["connected"] == []
    roll.connected(1, "host_abc")
    roll.said_hello(1, {"host": "gen-1", "pid": 4242})
    roll.report(1)
    doc = read_roll(tmp_path)
    assert (doc["expected"], doc["wait_s"], doc["reported"]) == (2, 7.0, [1])
    entry = doc["connected"][0]
    assert (entry["index"], entry["client_id"], entry["host"], entry["pid"]) == (
        1, "host_abc", "gen-1", 4242,
    )  # fmt: skip


def test_missing_workers_are_named_local_by_process_remote_by_count() -> None:
    roll = {"connected": [{"index": 0, "pid": 100}]}
    local = [LocalWorker(0, 100, "locust-worker-0.log", None), LocalWorker(1, 101, "w1.log", 1)]
    assert never_connected(roll, 4, local, remote=2) == [
        "local worker 1 (pid 101, exited 1, log w1.log) never connected",
        "2 of 2 remote worker(s) never connected",
    ]
    assert never_connected(roll, 1, local[:1], remote=0) == []
    assert default_wait_s(0) == LOCAL_WAIT_S and default_wait_s(3) == REMOTE_WAIT_S


def test_a_bad_worker_wait_is_a_usage_error_naming_it() -> None:
    run = takedown("loadtest", "--worker-wait", "soon", "--duration", "5s")
    assert run.returncode == 2
    assert run.stderr.strip() == "error: worker_wait 'soon': expected e.g. 20s, 5m or 1h"


@pytest.mark.timeout(180)
def test_a_worker_that_never_connects_fails_the_run_naming_it(
    lt_service: tuple[str, Path], tmp_path: Path
) -> None:
    """One local worker joins; the remote one never does: after --worker-wait the run
    fails with exit 3 before any load, naming it, and workers.json says who joined."""
    url, keys = lt_service
    out = tmp_path / "out"
    run = takedown(
        "loadtest", "--host", url, "--keys", str(keys), "--profile", "smoke",
        "--duration", "5s", "--workers", "1", "--remote-workers", "1", "--worker-wait", "4s",
        "--master-bind-host", "127.0.0.1", "--master-port", str(free_port()),
        "--out", str(out),
    )  # fmt: skip
    assert run.returncode == 3, run.stderr + run.stdout
    said = " ".join(run.stdout.split())  # the terminal table wraps long cells
    assert "missing worker: 1 of 1 remote worker(s) never connected" in said
    doc = json.loads((out / "loadtest.json").read_text())
    assert doc["passed"] is False
    assert doc["missing_workers"] == ["1 of 1 remote worker(s) never connected"]
    assert doc["arrivals"]["scheduled"] == 0  # no load was sent
    roll = read_roll(out)
    assert roll["gave_up_waiting"] is True and roll["wait_s"] == 4.0
    assert [w["index"] for w in roll["connected"]] == [0]
