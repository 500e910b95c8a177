"""Gates on whole runs against the real service: abort, missing workers, baselines,
and Locust started by hand. Every run is bounded (at most ~20 s of arrivals)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from loadtest.runner import LOCUSTFILE, TAKEDOWN
from tests.loadtest.conftest import REPO, takedown

pytestmark = pytest.mark.timeout(300)

ABORT_SLO = """\
[thresholds]
"GET /v1/listings" = [{ threshold = "p50 < 1us", abort_on_fail = true, delay = "2s" }]
"""
BASELINE_SLO = """\
[thresholds]
"arrivals" = ["count > 0"]
[baseline]
"GET /v1/listings" = ["p50 +300%"]
"""


def _doc(out: Path) -> dict[str, Any]:
    return json.loads((out / "loadtest.json").read_text())


def _locust_counts(path: Path) -> dict[str, int]:
    with path.open() as fh:
        rows = csv.DictReader(fh)
        return {r["Name"]: int(r["Request Count"]) for r in rows if r["Name"] != "Aggregated"}


def test_abort_on_fail_stops_a_breaching_run_early(
    lt_service: tuple[str, Path], tmp_path: Path
) -> None:
    url, keys = lt_service
    slo = tmp_path / "slo.toml"
    slo.write_text(ABORT_SLO)
    out = tmp_path / "out"
    run = takedown(
        "loadtest", "--host", url, "--keys", str(keys), "--profile", "smoke",
        "--duration", "60s", "--workers", "2", "--slo", str(slo), "--out", str(out),
    )  # fmt: skip
    assert run.returncode == 3, run.stderr + run.stdout
    doc = _doc(out)
    assert any("abort_on_fail: stopped the run" in v["threshold"] for v in doc["slo"])
    aborted = doc["aborted"]
    assert (aborted["metric"], aborted["threshold"]) == ("GET /v1/listings", "p50 < 1us")
    assert aborted["at_s"] >= 2.0  # not before its delay
    # 12.5 arrivals/s for 60 s would be 750: the run stopped long before (counted, not timed)
    assert 0 < doc["arrivals"]["scheduled"] < 375
    assert doc["missing_workers"] == []  # both workers were flushed and reported


CHECK_ABORT_SLO = """\
[checks."listings as text"]
request = "GET /v1/listings"
body = [{ path = "items", type = "string" }]

[thresholds]
"check.listings as text" = [
  { threshold = "success_rate > 99%", abort_on_fail = true, delay = "2s" },
]
"""


def test_abort_on_fail_on_a_check_stops_the_run_early_naming_it(
    lt_service: tuple[str, Path], tmp_path: Path
) -> None:
    """A content check whose success rate breaches its threshold stops a local run (no
    workers: the local runner's own watch) with exit 3, the check named."""
    url, keys = lt_service
    slo = tmp_path / "slo.toml"
    slo.write_text(CHECK_ABORT_SLO)
    out = tmp_path / "out"
    run = takedown(
        "loadtest", "--host", url, "--keys", str(keys), "--profile", "smoke",
        "--duration", "60s", "--slo", str(slo), "--out", str(out),
    )  # fmt: skip
    assert run.returncode == 3, run.stderr + run.stdout
    doc = _doc(out)
    aborted = doc["aborted"]
    assert (aborted["metric"], aborted["threshold"]) == (
        "check.listings as text", "success_rate > 99%"
    )  # fmt: skip
    assert aborted["at_s"] >= 2.0 and aborted["value"] == 0.0
    assert "check.listings as text" in run.stdout and "BREACH" in run.stdout
    assert any("abort_on_fail: stopped the run" in v["threshold"] for v in doc["slo"])
    assert doc["stats"]["check.listings as text"]["success_rate"] == 0.0
    assert doc["requests"]["GET /v1/listings"]["failures"] == 0  # a check fails no request
    assert 0 < doc["arrivals"]["scheduled"] < 375  # of 750 over 60 s: stopped early


def _worker_pids(run_json: Path) -> list[int]:
    """The Locust worker processes this test's run started (found by their config path)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--worker" in args and str(run_json).encode() in args:
            pids.append(int(entry.name))
    return sorted(pids)


def test_a_worker_that_never_reports_fails_the_run_naming_it(
    lt_service: tuple[str, Path], tmp_path: Path
) -> None:
    url, keys = lt_service
    out = tmp_path / "out"
    args = [
        *TAKEDOWN, "loadtest", "--host", url, "--keys", str(keys), "--profile", "smoke",
        "--duration", "20s", "--workers", "2", "--out", str(out), "--seed", "5",
    ]  # fmt: skip
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        history = out / "locust_stats_history.csv"
        deadline = time.monotonic() + 120
        # load is flowing once Locust's history has a few rows (both workers are running)
        while time.monotonic() < deadline:
            if history.exists() and len(history.read_text().splitlines()) > 4:
                break
            time.sleep(0.2)
        pids = _worker_pids(out / "run.json")
        assert len(pids) == 2
        os.kill(pids[-1], signal.SIGKILL)  # one worker dies mid-run: it never reports
        stdout, stderr = proc.communicate(timeout=200)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3, stderr.decode() + stdout.decode()
    assert b"missing" in stdout
    doc = _doc(out)
    assert doc["passed"] is False and len(doc["missing_workers"]) == 1
    workers = [s for s in doc["slo"] if s["metric"] == "workers"]
    assert workers[0]["passed"] is False and workers[0]["value"] == "1"


def test_a_baseline_regression_fails_and_an_equal_run_passes(
    lt_service: tuple[str, Path], slow_proxy: str, tmp_path: Path
) -> None:
    # the equal run: the same profile and seed against the same service as the
    # baseline; the regression: the same run through a proxy adding 200 ms to every
    # request, far beyond the 300% the reads' p50 (~10-30 ms on loopback) may grow
    url, keys = lt_service
    slo = tmp_path / "slo.toml"
    slo.write_text(BASELINE_SLO)
    base, same, worse = tmp_path / "base", tmp_path / "same", tmp_path / "worse"
    common = ["--keys", str(keys), "--profile", "smoke", "--seed", "9", "--duration", "6s"]
    first = takedown("loadtest", "--host", url, *common, "--out", str(base))
    assert first.returncode == 0, first.stderr
    gate = ["--slo", str(slo), "--baseline", str(base / "loadtest.json")]
    again = takedown("loadtest", "--host", url, *common, "--out", str(same), *gate)
    assert again.returncode == 0, again.stderr + again.stdout
    slower = takedown("loadtest", "--host", slow_proxy, *common, "--out", str(worse), *gate)
    assert slower.returncode == 3, slower.stderr + slower.stdout
    verdict = {s["threshold"].split(" (")[0]: s["passed"] for s in _doc(worse)["slo"]}
    assert verdict["p50 +300%"] is False and verdict["count > 0"] is True
    base_p50 = _doc(base)["stats"]["GET /v1/listings"]["p50"]
    assert _doc(worse)["stats"]["GET /v1/listings"]["p50"] > 4 * base_p50


def test_a_baseline_without_regressions_is_a_usage_error(tmp_path: Path) -> None:
    slo = tmp_path / "slo.toml"
    slo.write_text('[thresholds]\n"arrivals" = ["count > 0"]\n')
    base = tmp_path / "loadtest.json"
    base.write_text(json.dumps({"stats": {}}))
    run = takedown("loadtest", "--slo", str(slo), "--baseline", str(base), "--duration", "2s")
    assert run.returncode == 2
    assert "baseline needs a [baseline] table" in run.stderr
    assert "Traceback" not in run.stderr


def test_plain_locust_runs_with_no_harness_options_and_writes_complete_csvs(
    lt_service: tuple[str, Path], tmp_path: Path
) -> None:
    url, keys = lt_service
    (tmp_path / "keys.json").write_bytes(keys.read_bytes())  # where the guide says it is
    env = {**os.environ, "LOCUST_TD_OUT": "results"}  # an environment twin of --td-out
    run = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-t", "10s",
         "--host", url, "--csv", "locust", "--only-summary"],
        cwd=tmp_path, capture_output=True, text=True, timeout=150, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr and "AttributeError" not in run.stderr
    doc = _doc(tmp_path / "results")
    assert doc["profile"] == "default" and doc["duration_s"] == 10.0
    assert doc["arrivals"]["started"] > 0 and doc["e2e_takedown"]["followed"] > 0
    # Locust's final CSV holds every request the harness counted, name by name
    assert _locust_counts(tmp_path / "locust_stats.csv") == {
        name: row["count"] for name, row in doc["requests"].items()
    }


def test_plain_locust_without_a_keys_file_says_where_it_looked(tmp_path: Path) -> None:
    env = {**os.environ, "LOCUST_TD_PROFILE": "smoke", "LOCUST_TD_KEYS": "nowhere.json"}
    run = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-t", "2s",
         "--host", "http://127.0.0.1:9"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert run.returncode == 2
    assert "--td-keys nowhere.json: file not found" in run.stderr
    assert "Traceback" not in run.stderr
