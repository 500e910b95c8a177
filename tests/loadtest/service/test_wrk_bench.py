"""Benchmark with wrk: filing, one listing and a 20-item browse against /healthz.

``takedown serve`` rate limits off, seeded from the smoke scenario, on SQLite with one
worker (the goals' configuration), SQLite with ``--workers 2`` and PostgreSQL with one
worker. wrk (C, not the bottleneck) drives each kind in alternating slices of SLICE_S
seconds, ROUNDS times, so the machine's swings hit every kind alike; each kind's rate
is the median of its slices and the ratios are medians against /healthz measured side
by side in the same run.

Goals (issue 19), SQLite one worker: filing >= 0.5, one listing >= 0.5, a 20-item
browse >= 0.25 of /healthz. Its assertions are regression floors at the figures
measured before this work (0.23, 0.22, 0.12); the printed line says whether each goal
was met. Every configuration must answer every request 2xx.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.loadtest.service.conftest import LiveServer, notice_body, reset_pg

ROOT = Path(__file__).resolve().parents[3]
SMOKE = ROOT / "scenarios" / "smoke.toml"
SLICE_S = 4
ROUNDS = 3
GOALS = {"notice": 0.5, "listing": 0.5, "browse": 0.25}
FLOORS = {"notice": 0.23, "listing": 0.22, "browse": 0.12}


def _wrk(url: str, script: Path | None = None) -> tuple[float, int]:
    """(requests per second, non-2xx answers) of one wrk slice."""
    cmd = ["wrk", "-t2", "-c16", f"-d{SLICE_S}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=60).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


CONFIGS = [
    pytest.param("sqlite", 1, id="sqlite-1-worker"),
    pytest.param("sqlite", 2, id="sqlite-2-workers"),
    pytest.param("postgres", 1, id="postgres-1-worker", marks=pytest.mark.postgres),
]


@pytest.mark.bench
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk missing: make wrk")
@pytest.mark.parametrize(("database", "workers"), CONFIGS)
def test_filing_and_reads_against_healthz_with_wrk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
    database: str, workers: int,
) -> None:  # fmt: skip
    monkeypatch.setenv("TAKEDOWN_ANON_RATE_LIMIT", "0")  # wrk reads from one address
    keys = tmp_path / "keys.json"
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'bench.db'}"
    else:
        url = str(request.getfixturevalue("pg_server"))
        reset_pg(url)
    server = LiveServer(url, tmp_path / "server.log", "--rate-limit", "0", "--workers",
                        str(workers), "--seed-scenario", str(SMOKE),
                        "--keys-out", str(keys))  # fmt: skip
    try:
        doc = json.loads(keys.read_text())
        rh = next(r for r in doc["rights_holders"] if r["program"] == "standard")
        with httpx.Client(base_url=server.base) as c:
            page = c.get("/v1/listings", params={"brand_id": rh["brand_id"], "limit": 3}).json()
        ids = [i["id"] for i in page["items"]]
        lua = tmp_path / "notice.lua"
        lua.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = [[{json.dumps(notice_body(ids))}]]\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {rh["key"]}"\n'
        )
        targets = {
            "healthz": (f"{server.base}/healthz", None),
            "notice": (f"{server.base}/v1/notices", lua),
            "listing": (f"{server.base}/v1/listings/{ids[0]}", None),
            "browse": (f"{server.base}/v1/listings?brand_id={rh['brand_id']}&limit=20", None),
        }
        rates: dict[str, list[float]] = {k: [] for k in targets}
        for _ in range(ROUNDS):
            for kind, (url, script) in targets.items():
                rate, bad = _wrk(url, script)
                assert bad == 0, f"{kind}: {bad} answers were not 2xx"
                rates[kind].append(rate)
    finally:
        server.stop()
    base = statistics.median(rates["healthz"])
    ratios = {k: statistics.median(rates[k]) / base for k in GOALS}
    print(f"\nwrk, {database}, {workers} worker(s): healthz median {base:.0f}/s; " + "; ".join(
        f"{k} {statistics.median(rates[k]):.0f}/s = {ratios[k]:.2f}x "
        f"(goal {GOALS[k]}: {'met' if ratios[k] >= GOALS[k] else 'not met'})" for k in GOALS
    ))  # fmt: skip
    if (database, workers) != ("sqlite", 1):
        return  # measured beside it; the goals are the SQLite one-worker figures
    for kind, floor in FLOORS.items():
        assert ratios[kind] >= floor, f"{kind} {ratios[kind]:.2f}x fell below {floor}x"
