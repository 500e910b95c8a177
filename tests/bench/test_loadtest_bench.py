"""The closing numbers of the load-test harness: the default profile for a minute.

Run by ``make bench``. It starts the reference service itself (no --host), drives it
with two local Locust workers, and prints the figures the harness reports on this
machine: requests per CPU-second of load generation, e2e takedown latency per
programme, achieved vs target arrival rate.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from loadtest.runner import TAKEDOWN

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.bench, pytest.mark.slow, pytest.mark.timeout(600)]


def takedown(*args: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run the ``takedown`` command from the repository root."""
    return subprocess.run(
        [*TAKEDOWN, *args], capture_output=True, text=True, timeout=timeout_s, cwd=REPO
    )


@pytest.mark.parametrize("workers", [0, 2])
def test_default_profile_closing_numbers(tmp_path: Path, workers: int) -> None:
    out = tmp_path / "out"
    run = takedown(
        "loadtest", "--profile", "default", "--duration", "60s", "--workers", str(workers),
        "--slo", "loadtest/slos/default.toml", "--out", str(out), "--seed", "1",
        timeout_s=400,
    )  # fmt: skip
    assert run.returncode in (0, 3), run.stderr
    doc = json.loads((out / "loadtest.json").read_text())
    arr, e2e, gen = doc["arrivals"], doc["e2e_takedown"], doc["load_generator"]
    print(f"\nworkers={workers} load generator: {json.dumps(gen)}")
    print(f"arrivals: {json.dumps(arr)}")
    for program, row in sorted(e2e["by_program"].items()):
        print(f"e2e {program}: {json.dumps(row)}")
    print(f"e2e crosscheck (observed - service): {json.dumps(e2e['crosscheck'])}")
    print(f"slo: {json.dumps(doc['slo'])}")
    # Poisson arrivals at ~25/s for 60 s: sd of the count ~ 39 of 1500 (2.6%)
    assert arr["achieved_rate"] == pytest.approx(arr["target_rate"], rel=0.1)
    assert e2e["count"] > 0


def test_replay_of_a_simulated_trace_keeps_its_per_minute_counts(tmp_path: Path) -> None:
    # the simulator files notices at whole hours (sweeps grouped by hour), so each
    # simulated minute with notices is a burst at its start; at speed-up 1800 a
    # minute lasts 33 ms of wall time, and each burst must land inside it
    sim = takedown(
        "run", "scenarios/smoke.toml", "--seed", "3", "--out", str(tmp_path / "sim"),
        timeout_s=300,
    )  # fmt: skip
    assert sim.returncode == 0, sim.stderr
    out = tmp_path / "out"
    run = takedown(
        "loadtest", "--profile", "replay", "--duration", "90s", "--out", str(out),
        "--replay", str(tmp_path / "sim" / "notices.csv"), "--speedup", "1800",
        timeout_s=400,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    replay = json.loads((out / "loadtest.json").read_text())["replay"]
    want = np.array(replay["per_minute_trace"])
    got = np.array(replay["per_minute_sent"])
    print(f"\nreplay: {json.dumps({k: v for k, v in replay.items() if 'per_minute' not in k})}")
    assert replay["rows"] > 10 and replay["sent"] == replay["rows"]
    assert np.all(np.abs(got - want) <= np.ceil(0.05 * want)), (want, got)
