"""Benchmark: durable notice filings per second against /healthz per second, one server.

``takedown serve`` on SQLite with one worker, seeded from the smoke scenario. The same
closed-loop driver (threads, keep-alive httpx clients, all on this machine) hits
/healthz and files notices, each for PHASE_S seconds in one run; the ratio of the two
rates says what a committed write costs against the server's floor.

Goal: at least 0.5 (measured 0.55-0.58 on the shared 2-core machine; the writer
commits a notice in about 0.4 ms of CPU, FastAPI's handling of a validated JSON POST
costs about 1.1 ms more than /healthz's). The machine's load swings the ratio, so the
assertion is a regression floor (FLOOR) and the printed line says whether the goal
was met. The
driver shares the cores with the server, so both rates are lower than a dedicated
client would see; the ratio is what the bench is for.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from loadtest.service.models import notice_elements

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
PHASE_S = 10.0  # per kind, in SLICES alternating slices
SLICES = 5
GOAL = 0.5
FLOOR = 0.2
THREADS = 16


def _serve(db: str, log: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """``takedown serve`` on a free loopback port, once it answers /healthz."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [sys.executable, "-c", "from sim.cli import main; main()", "serve", "--db", db,
           "--port", str(port), *extra]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start; see {log}")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _drive(base: str, send: Any, seconds: float) -> tuple[float, np.ndarray, int]:
    """(requests per second, latencies in s, errors) of THREADS closed loops."""
    lat: list[list[float]] = [[] for _ in range(THREADS)]
    errors = [0] * THREADS
    stop = time.perf_counter() + seconds

    def loop(k: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            n = 0
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                ok = send(c, k, n)
                lat[k].append(time.perf_counter() - t0)
                errors[k] += not ok
                n += 1

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(THREADS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    flat = np.array([x for xs in lat for x in xs])
    return len(flat) / elapsed, flat, sum(errors)


def _merge(parts: list[tuple[float, np.ndarray, int]]) -> tuple[float, np.ndarray, int]:
    """Slices of one kind as one measurement (rate weighted by time)."""
    seconds = sum(len(lat) / rate for rate, lat, _ in parts)
    lat = np.concatenate([lat for _, lat, _ in parts])
    return len(lat) / seconds, lat, sum(e for _, _, e in parts)


def _fmt(name: str, rate: float, lat: np.ndarray) -> str:
    p50, p99 = np.percentile(lat, [50, 99]) * 1000
    return f"{name}: {rate:7.1f}/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  (n={len(lat)})"


@pytest.mark.bench
def test_durable_notice_rate_against_healthz(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    proc, base = _serve(f"sqlite:///{tmp_path / 'bench.db'}", tmp_path / "server.log",
                        "--seed-scenario", str(SMOKE), "--keys-out", str(keys_file),
                        "--rate-limit", "0")  # fmt: skip
    try:
        holders = json.loads(keys_file.read_text())["rights_holders"]
        with httpx.Client(base_url=base) as c:
            ids = {}
            for h in holders:
                page = c.get("/v1/listings", params={"brand_id": h["brand_id"], "limit": 100})
                ids[h["key"]] = [i["id"] for i in page.json()["items"]]

        def health(c: httpx.Client, k: int, n: int) -> bool:
            return c.get("/healthz").status_code == 200

        def notice(c: httpx.Client, k: int, n: int) -> bool:
            h = holders[(k + n) % len(holders)]
            pool = ids[h["key"]]
            named = [pool[(7 * n + k + j) % len(pool)] for j in range(3)]  # spread, like a load
            body = {"listing_ids": named, "reason": "counterfeit", "evidence": "bench"}
            body.update(notice_elements(named))
            headers = {**auth(h["key"]), "Idempotency-Key": f"bench-{k}-{n}"}
            return c.post("/v1/notices", json=body, headers=headers).status_code == 201

        _drive(base, health, 1.0)  # warm up connections and code paths
        # alternate short slices so the shared machine's load swings hit both alike
        h_parts: list[tuple[float, np.ndarray, int]] = []
        n_parts = []
        for _ in range(SLICES):
            h_parts.append(_drive(base, health, PHASE_S / SLICES))
            n_parts.append(_drive(base, notice, PHASE_S / SLICES))
        h_rate, h_lat, h_err = _merge(h_parts)
        n_rate, n_lat, n_err = _merge(n_parts)
        metrics = httpx.get(f"{base}/metrics").text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    tx = float(re.search(r"^takedown_write_transactions_total (\S+)", metrics, re.M).group(1))  # type: ignore[union-attr]
    jobs = float(re.search(r"^takedown_write_jobs_total (\S+)", metrics, re.M).group(1))  # type: ignore[union-attr]
    ratio = n_rate / h_rate
    print(
        f"\nservice bench (SQLite, 1 worker, {THREADS} client threads, {PHASE_S:.0f} s each):\n"
        f"  {_fmt('GET /healthz   ', h_rate, h_lat)}\n"
        f"  {_fmt('POST /v1/notices', n_rate, n_lat)}\n"
        f"  group commit: {jobs:.0f} writes in {tx:.0f} transactions "
        f"({jobs / max(tx, 1):.1f} per commit)\n"
        f"  ratio notices/healthz = {ratio:.2f} "
        f"(goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT met'}; floor {FLOOR})"
    )
    assert h_err == 0 and n_err == 0
    assert ratio >= FLOOR
