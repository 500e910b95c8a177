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


def _sleep_loop_lags(offsets: list[float]) -> list[float]:
    """The baseline: a bare greenlet sleeping to each intended time, its lag per arrival."""
    import time

    import gevent

    t0, lags = time.perf_counter(), []
    for t_s in offsets:
        delay = t0 + t_s - time.perf_counter()
        if delay > 0:
            gevent.sleep(delay)
        lags.append(time.perf_counter() - (t0 + t_s))
    return lags


def _dispatcher_lags(offsets: list[float]) -> tuple[list[float], int, float]:
    """Dispatcher with 1 user doing 0.22 s jobs: its users' start lags, starts, elapsed."""
    import time

    import gevent

    from loadtest.arrivals import Dispatcher, Schedule, Slots

    slots = {"r": Slots()}
    lags: list[float] = []

    def user() -> None:
        while True:
            arrival = slots["r"].take()
            lags.append(time.perf_counter() - arrival.intended)
            gevent.sleep(0.22)

    g = gevent.spawn(user)
    gevent.sleep(0)
    schedule = Schedule(np.asarray(offsets), ("r",) * len(offsets))
    started_at = time.perf_counter()
    tally = Dispatcher(schedule, slots).run()
    elapsed = time.perf_counter() - started_at
    g.kill()
    return lags, tally.started.get("r", 0), elapsed


def test_dispatcher_start_lag_matches_a_bare_sleep_loop() -> None:
    # arrivals every 0.1 s for 1 s; the one user is free again 80 ms before each
    # fourth arrival, so it starts 4; the dispatcher must keep its schedule (last
    # offer at 0.95 s) and its users start as promptly as a bare sleep loop wakes
    offsets = [0.05 + 0.1 * k for k in range(10)]
    base, disp, elapsed, starts = [], [], [], []
    for _ in range(5):  # side by side, alternating
        base.append(max(_sleep_loop_lags(offsets)))
        lags, started, took = _dispatcher_lags(offsets)
        disp.append(max(lags))
        starts.append(started)
        elapsed.append(took)
    b, d, e = float(np.median(base)), float(np.median(disp)), float(np.median(elapsed))
    print(f"\nmax start lag, medians of 5: bare sleep {b * 1e3:.2f} ms, dispatcher {d * 1e3:.2f}")
    print(f"dispatcher elapsed median {e:.3f} s (schedule 0.95 s), started {starts}")
    assert starts.count(4) >= 3
    assert e == pytest.approx(0.95, abs=0.1)
    assert d <= 2.0 * b + 0.01  # within twice the bare loop's wake-up lag, plus 10 ms


EFFICIENCY_RATE = 150.0  # browse reads per second, for both generators
EFFICIENCY_S = 15
BROWSE_POOL = 32  # the harness's shoppers (and the same-shape plain arm's users)
BROWSE_PROFILE = f"""\
[profile]
name = "browse"
process = "constant"
[rates]
rights_holder = 0.0
account_manager = 0.0
shopper = {EFFICIENCY_RATE}
seller = 0.0
[pool]
shopper = {BROWSE_POOL}
[shopper]
browse = 1.0
search = 0.0
view = 0.0
"""
PLAIN_LOCUSTFILE = """\
import itertools
import os
import time

import gevent
from locust import FastHttpUser, constant_throughput, events, task

USERS, RATE = int(os.environ["USERS"]), float(os.environ["RATE"])
PACED = os.environ.get("PACED") == "1"
_cpu = {}
_phase = itertools.count()


@events.test_start.add_listener
def _started(**_kwargs):
    _cpu["t0"] = time.process_time()


@events.test_stop.add_listener
def _stopped(**_kwargs):
    with open(os.environ["CPU_OUT"], "w") as fh:
        fh.write(str(time.process_time() - _cpu["t0"]))


class Reader(FastHttpUser):
    if not PACED:
        wait_time = constant_throughput(RATE / USERS)

    def on_start(self):
        if PACED:  # user k sends at k/RATE, then every USERS/RATE s: evenly spaced requests
            self.due = time.perf_counter() + next(_phase) / RATE
            gevent.sleep(max(0.0, self.due - time.perf_counter()))

    if PACED:

        def wait_time(self):
            self.due += USERS / RATE
            return max(0.0, self.due - time.perf_counter())

    @task
    def browse(self):
        self.client.get("/v1/listings?brand_id={brand}&limit=20", name="GET /v1/listings")
"""
PLAIN_ARMS = {  # (users, paced)
    # the same load as the harness's: its 32 users, requests evenly spaced at the rate
    # (each user at a fixed phase; constant_throughput would lose the phases)
    "plain, same shape": (BROWSE_POOL, True),
    # 150 users with constant_throughput(1) started together: they fire in bursts that
    # the service queues (median latency some 300 ms), and a generator pays less per
    # request in bursts (one event-loop turn serves many responses): not the same load
    "plain, in bursts": (int(EFFICIENCY_RATE), False),
}


def _cpu_of_child(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``args``; CPU seconds (user + system) it used, with its result."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, done


def _plain_run(tmp_path: Path, url: str, label: str, k: int) -> tuple[int, float, float, float]:
    """(requests, CPU s while the load ran, process CPU s, median latency ms) of one
    plain Locust run of ``PLAIN_ARMS[label]``."""
    import csv
    import os
    import sys

    users, paced = PLAIN_ARMS[label]
    tag = f"{'same' if paced else 'burst'}{k}"
    env = {**os.environ, "CPU_OUT": str(tmp_path / f"cpu-{tag}"), "USERS": str(users),
           "RATE": str(EFFICIENCY_RATE), "PACED": "1" if paced else "0"}  # fmt: skip
    cpu, done = _cpu_of_child(
        [sys.executable, "-m", "locust", "-f", str(tmp_path / "plain.py"), "--headless",
         "-t", f"{EFFICIENCY_S}s", "--host", url, "--only-summary", "-u", str(users),
         "-r", str(users), "--csv", str(tmp_path / tag)],
        tmp_path, env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    with (tmp_path / f"{tag}_stats.csv").open() as fh:
        row = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
    load_cpu = float((tmp_path / f"cpu-{tag}").read_text())
    return int(row["Request Count"]), load_cpu, cpu, float(row["50%"])


def test_generator_efficiency_against_plain_locust_users(tmp_path: Path) -> None:
    """Requests per CPU-second of the harness (open-model dispatch, HDR recording,
    from-intended-start timing) against plain FastHttpUser tasks sending the same
    GET /v1/listings?brand_id=..&limit=20 at the same rate, side by side on one service,
    alternating, three rounds; medians quoted. The issue's 0.7x is judged against plain
    users sending the same load as the harness (its pool's user count, requests evenly
    spaced); plain users firing in bursts are shown beside it. Two CPU figures each:
    while the load runs (the harness's own load_generator.cpu_s; a test_start..test_stop
    listener in the plain file) and the whole process (start-up and results included).
    """
    import sys

    from loadtest.runner import DEFAULT_SCENARIO, LOCUSTFILE, Options, processes, start_service

    with processes() as procs:
        url, keys = start_service(procs, Options(out_dir=tmp_path, scenario=DEFAULT_SCENARIO))
        brand = json.loads(keys.read_text())["rights_holders"][0]["brand_id"]
        (tmp_path / "browse.toml").write_text(BROWSE_PROFILE)
        (tmp_path / "plain.py").write_text(PLAIN_LOCUSTFILE.replace("{brand}", str(brand)))
        runs: dict[str, list[tuple[int, float, float, float]]] = {"harness": []}
        for k in range(3):
            out = tmp_path / f"h{k}"
            cpu, done = _cpu_of_child(
                [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
                 "-t", f"{EFFICIENCY_S}s", "--host", url, "--only-summary",
                 "--td-profile", str(tmp_path / "browse.toml"), "--td-keys", str(keys),
                 "--td-out", str(out), "--td-seed", "1"],
                tmp_path,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr[-2000:]
            doc = json.loads((out / "loadtest.json").read_text())
            sent = sum(r["sent"] for r in doc["requests"].values())
            p50_ms = doc["stats"]["GET /v1/listings"]["p50"] * 1e3
            runs["harness"].append((sent, doc["load_generator"]["cpu_s"], cpu, p50_ms))
            for label in PLAIN_ARMS:
                runs.setdefault(label, []).append(_plain_run(tmp_path, url, label, k))
    _print_efficiency(runs)
    # every arm sent its load (the figure is only meaningful if they did the same work)
    assert all(r[0] > 0.8 * EFFICIENCY_RATE * (EFFICIENCY_S - 2) for v in runs.values() for r in v)
    ours = float(np.median([r[0] / r[1] for r in runs["harness"]]))
    same = float(np.median([r[0] / r[1] for r in runs["plain, same shape"]]))
    assert ours >= 0.7 * same, (ours, same)


def _print_efficiency(runs: dict[str, list[tuple[int, float, float, float]]]) -> None:
    for label, col in (("while the load runs", 1), ("whole process", 2)):
        per = {arm: float(np.median([r[0] / r[col] for r in rs])) for arm, rs in runs.items()}
        print(f"\n{label}, requests per CPU-second (median of {len(runs['harness'])}):")
        for arm, value in per.items():
            ratio = per["harness"] / value
            print(f"  {arm:18s} {value:7.0f}   harness/this {ratio:.2f}")
    for arm, rs in runs.items():
        print(f"{arm}: median latency {np.median([r[3] for r in rs]):.0f} ms; "
              f"(sent, load CPU s, process CPU s, p50 ms) {rs}")  # fmt: skip
