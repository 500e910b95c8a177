"""The closing numbers of the load-test harness: the default profile for a minute.

Run by ``make bench``. It starts the reference service itself (no --host), drives it
with two local Locust workers, and prints the figures the harness reports on this
machine: requests per CPU-second of load generation, e2e takedown latency per
programme, achieved vs target arrival rate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.loadtest.conftest import takedown

pytestmark = [pytest.mark.bench, pytest.mark.slow, pytest.mark.timeout(600)]


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
