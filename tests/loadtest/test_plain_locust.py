"""Plain Locust: its web UI starts, stops and restarts the harness's tests, and the
harness's arrival shapes are Locust LoadTestShapes chosen in a locustfile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadtest.profile import ROLES, load_profile
from loadtest.runner import LOCUSTFILE, free_port

pytestmark = pytest.mark.timeout(240)


def _wait(what: Callable[[], bool], timeout_s: float, says: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not what():
        assert time.monotonic() < deadline, says
        time.sleep(0.2)


@pytest.fixture
def web_ui(lt_service: tuple[str, Path], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Locust with its web UI (no --headless) on the smoke profile: (UI URL, results)."""
    _url, keys = lt_service
    (tmp_path / "keys.json").write_bytes(keys.read_bytes())
    port = free_port()
    env = {**os.environ, "LOCUST_TD_PROFILE": "smoke", "LOCUST_TD_DURATION": "6s",
           "LOCUST_TD_OUT": "results", "LOCUST_TD_SEED": "5"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--web-host", "127.0.0.1",
         "--web-port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ui = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _up(ui) or proc.poll() is not None, 60, "the web UI never came up")
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        yield ui, tmp_path / "results"
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, err[-3000:]


def _up(ui: str) -> bool:
    try:
        return httpx.get(f"{ui}/stats/requests", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _stats(ui: str) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(f"{ui}/stats/requests", timeout=5.0).json()
    return stats


def _started_wall(results: Path) -> float:
    doc = json.loads((results / "harness.json").read_text())
    return float(doc["per_worker"][0]["started_wall"])


def _swarm(ui: str, host: str) -> None:
    users = sum(load_profile("smoke").pool_of(r) for r in ROLES)
    form = {"user_count": str(users), "spawn_rate": str(users), "host": host}
    reply = httpx.post(f"{ui}/swarm", data=form, timeout=10.0).json()
    assert reply["success"] is True, reply


def test_the_web_ui_starts_stops_and_restarts_a_test(
    lt_service: tuple[str, Path], web_ui: tuple[str, Path]
) -> None:
    url, _keys = lt_service
    ui, results = web_ui
    _swarm(ui, url)  # a first run, stopped from the UI before its schedule ends
    _wait(lambda: _stats(ui)["state"] == "running", 30, "the first run never ran")
    time.sleep(1.0)
    assert httpx.post(f"{ui}/stop", timeout=30.0).json()["success"] is True
    _wait(lambda: _stats(ui)["state"] == "stopped", 30, "the first run never stopped")
    _wait(lambda: (results / "loadtest.json").is_file(), 30, "no results of the first run")
    first = json.loads((results / "loadtest.json").read_text())
    assert first["arrivals"]["started"] > 0
    first_started = _started_wall(results)

    _swarm(ui, url)  # started again: a fresh harness runs its whole schedule
    _wait(lambda: _stats(ui)["state"] == "running", 30, "the second run never ran")
    _wait(lambda: _stats(ui)["state"] == "stopped", 60, "the second run never ended")
    _wait(lambda: (results / "harness.json").is_file(), 30, "no results of the second run")
    second = json.loads((results / "loadtest.json").read_text())
    assert _started_wall(results) > first_started
    assert second["duration_s"] == 6.0 and second["arrivals"]["started"] > 0
    # the first was cut short, the second ran its whole schedule (the same, seeded)
    assert first["arrivals"]["scheduled"] < second["arrivals"]["scheduled"]
    assert len([n for n in second["timeline"]["arrivals"]["scheduled"] if n]) == 6
    assert second["e2e_takedown"]["followed"] > 0
    # the UI's own tables were reset for the second run and hold its requests
    rows = {r["name"]: r["num_requests"] for r in _stats(ui)["stats"] if r["name"] != "Aggregated"}
    assert rows == {name: row["count"] for name, row in second["requests"].items()}


SHAPED = """\
from loadtest import locust_shapes
from loadtest.locustfile import *  # noqa: F403
from loadtest.shapes import Step


class Stepped(locust_shapes.ArrivalShape):
    arrivals = Step(steps=4)
"""


def test_a_locustfile_s_shape_class_shapes_a_headless_run(
    lt_service: tuple[str, Path], tmp_path: Path
) -> None:
    """A LoadTestShape subclass of the harness's in a locustfile of one's own: its four
    steps set the arrival rate (the target, and the seeded schedule drawn from it), and
    it ends the test when the run is over (no -t)."""
    url, keys = lt_service
    (tmp_path / "keys.json").write_bytes(keys.read_bytes())
    (tmp_path / "shaped.py").write_text(SHAPED)
    env = {**os.environ, "LOCUST_TD_PROFILE": "smoke", "LOCUST_TD_DURATION": "8s",
           "LOCUST_TD_OUT": "results", "LOCUST_TD_SEED": "6"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "locust", "-f", "shaped.py", "--headless", "--host", url,
         "--csv", "locust"],
        cwd=tmp_path, capture_output=True, text=True, timeout=150, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Shape test starting" in run.stderr
    doc = json.loads((tmp_path / "results" / "loadtest.json").read_text())
    arrivals = doc["timeline"]["arrivals"]
    target = arrivals["target"][:8]
    # Step(steps=4): 1/4, 2/4, 3/4, 4/4 of the rate over quarters of the run
    rate = target[-1]
    assert rate > 0
    for quarter in range(4):
        pair = target[2 * quarter : 2 * quarter + 2]
        # within 1% of the rate: the target integrates the shape on a grid, which
        # smears a step's edge a little; the steps themselves are 25% of it apart
        assert pair == pytest.approx([rate * (quarter + 1) / 4] * 2, abs=rate / 100)
    # the schedule drawn (seeded) follows it: the second half holds more than the first
    scheduled = arrivals["scheduled"]
    assert 0 < sum(scheduled[:4]) < sum(scheduled[4:8])
    assert doc["duration_s"] == 8.0 and doc["arrivals"]["started"] > 0
