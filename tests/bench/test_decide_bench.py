"""Decision tools, the slow must-shows: the gft_2015 policy optimisation confirmed by
``compare``, a study split over two processes and resumed after a kill, and the
optimiser's throughput (overhead per trial, --jobs 2 against --jobs 1).

Speed figures can only be measured on a machine that is otherwise idle: when the load
average shows other people's jobs, the figures are printed and the speed assertion is
skipped rather than failed (as in test_experiment_bench).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.decide import optimize
from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
GFT = ROOT / "scenarios" / "gft_2015.toml"
POLICY = ROOT / "scenarios" / "spaces" / "gft_2015_policy.toml"
SPACE = """\
[parameters]
"account_managers.pool_size" = {low = 1, high = 4}
"platform.upload_recall" = {low = 0.5, high = 0.95, step = 0.05}
"account_managers.always_on" = {choices = [false, true]}
"""


def _busy() -> float:
    """Runnable processes beyond the two cores this benchmark wants."""
    return os.getloadavg()[0] - 2.0


@pytest.mark.slow
def test_gft_2015_optimisation_finds_a_cheaper_feasible_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Minimise money (cost_total_usd) over the shipped 3-parameter space subject to 95%
    of notices within 24 h on the CI bound; gft_2015 itself (0.75 within 24 h) fails the
    constraint. The winner must be cheaper than gft_2015 on the paired CI (upper bound of
    best - input below 0), and
    ``takedown compare gft_2015.toml best.toml`` with the same seed and replications must
    show the constraint's lower bound at or above 0.95."""
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        ["optimize", str(GFT), "--space", str(POLICY), "--minimize", "cost_total_usd",
         "--constraint", "notices_within_24h_share >= 0.95", "--trials", "16", "--reps", "3",
         "--seed", "2015", "-j", "2", "--out", str(out)], capsys,
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads((out / "optimize.json").read_text())
    best = doc["best"]
    print(f"\ngft_2015 optimisation: {doc['trials']} trials, {doc['feasible_trials']} feasible, "
          f"{doc['runs']} runs, {doc['wall_s']:.0f} s; best {best and best['params']}; "
          f"versus input {json.dumps(doc['versus_input'])}")  # fmt: skip
    assert best is not None, "no feasible policy found"
    assert len(doc["parameters"]) == 3
    diff = doc["versus_input"]["cost_total_usd"]["difference"]
    assert diff["ci_high"] < 0.0  # cheaper than gft_2015, paired by replication
    code, stdout, err = run_cli(
        ["compare", str(GFT), str(out / "best.toml"), "--reps", str(best["reps"]),
         "--seed", str(doc["base_seed"]), "-j", "2", "--no-report",
         "--out", str(tmp_path / "cmp")], capsys,
    )  # fmt: skip
    assert code == 0, err
    print(stdout)
    comparison = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    share = comparison["metrics"]["notices_within_24h_share"]
    assert share["gft_2015_best"]["ci_low"] >= 0.95
    assert share["gft_2015"]["ci_high"] < 0.95


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "path", "shipped", "band"),
    [
        ("gft_2015", "rights_holders.detection_prob", 0.44, 0.05),
        ("joint_force_2017", "platform.sweep_recall", 0.64, 0.08),
    ],
)
def test_calibration_files_regenerate_the_shipped_values(
    tmp_path: Path, name: str, path: str, shipped: float, band: float
) -> None:
    """The documented command (12 trials, seed 1) on scenarios/calibration/ fits every
    target within its tolerance and lands near the shipped value. The bands are what the
    ratio's noise allows: gft_2015's ratio moves about 0.26 per 0.01 of detection_prob
    (0.15 gave 15.4, 0.44 gives 8) against a tolerance of 0.5; Joint-Force's ratio has a
    per-run sd of 3.6 and sweep_recall 0.64 and 0.65 both gave 26.4 over 10 seeds."""
    from sim.decide import calibrate

    cal = ROOT / "scenarios" / "calibration"
    fit = calibrate(ROOT / "scenarios" / f"{name}.toml", cal / f"{name}_targets.toml",
                    cal / f"{name}_space.toml", trials=12, seed=1, jobs=2,
                    out_dir=tmp_path / "cal")  # fmt: skip
    print(f"\n{name}: fitted {path} = {fit.params[path]:.4f} (shipped {shipped}); "
          f"{json.dumps(fit.fit)}")  # fmt: skip
    assert fit.all_within
    assert abs(fit.params[path] - shipped) <= band


def _worker(db: Path, out: Path, trials: int, seed: int | None) -> subprocess.Popen[bytes]:
    code = (
        "from sim.decide import optimize\n"
        f"optimize({str(SMOKE)!r}, {str(out.parent / 'space.toml')!r}, minimize=['am_busy_hours'],"
        " constraints=['notices_within_24h_share >= 0.9'], reps=2, race=1, jobs=1,"
        f" trials={trials}, seed={seed!r}, storage='sqlite:///{db}', grace_s=3,"
        " overrides=['scenario.horizon_days=5', 'scenario.warmup_days=1'],"
        f" out_dir={str(out)!r})\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)


def _states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        rows = con.execute("select state, count(*) from trials group by state").fetchall()
    return {str(state): int(n) for state, n in rows}


@pytest.mark.slow
def test_storage_study_split_over_two_processes_and_resumed_after_a_kill(
    tmp_path: Path,
) -> None:
    """Two processes share one SQLite study of 12 trials: together they complete exactly
    12. Then a study of 12 is killed (SIGKILL) after its first trials finish; a second
    process, started after the grace period, fails the dead process's running trials and
    completes the study to exactly 12."""
    (tmp_path / "space.toml").write_text(SPACE)
    db = tmp_path / "split.db"
    first = _worker(db, tmp_path / "a", 12, 5)
    time.sleep(0.5)  # either may create the study; the other joins it
    second = _worker(db, tmp_path / "b", 12, None)
    assert first.wait(timeout=600) == 0
    assert second.wait(timeout=600) == 0
    states = _states(db)
    print(f"\nsplit study: {states}")
    assert states.get("COMPLETE") == 12 and "RUNNING" not in states

    db = tmp_path / "kill.db"
    victim = _worker(db, tmp_path / "k", 12, 9)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if db.exists() and _states(db).get("COMPLETE", 0) >= 4:
            break
        time.sleep(0.5)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    killed = _states(db)
    time.sleep(4.0)  # past the 3 s grace period: the victim's trials are stale
    resumed = _worker(db, tmp_path / "r", 12, None)
    assert resumed.wait(timeout=600) == 0
    final = _states(db)
    print(f"killed at {killed}; after resuming {final}")
    assert 4 <= killed.get("COMPLETE", 0) < 12
    assert final.get("COMPLETE") == 12 and "RUNNING" not in final
    assert final.get("FAIL", 0) == killed.get("RUNNING", 0)


@pytest.mark.bench
def test_optimiser_overhead_and_two_jobs_throughput(tmp_path: Path) -> None:
    """Smoke scenario (full length), 8 trials of 4 replications, no racing, --jobs 1 and
    --jobs 2 alternated three times; medians quoted. Goals: the search's own time per
    trial (asking, proposing, telling) under 5% of one smoke replication, and --jobs 2 at
    least 1.7x the trials per minute of --jobs 1. The trials are identical either way
    (proposals come in fixed batches, not one per free worker)."""
    space = tmp_path / "space.toml"
    space.write_text(SPACE)
    rates: dict[int, list[float]] = {1: [], 2: []}
    overhead, run_s, tables = [], [], {}
    load_before = os.getloadavg()[0]
    for _ in range(3):
        for jobs in (1, 2):
            res = optimize(SMOKE, space, minimize=["am_busy_hours"],
                           constraints=["notices_within_24h_share >= 0.8"], trials=8, reps=4,
                           race=0, seed=4, jobs=jobs)  # fmt: skip
            rates[jobs].append(res.search_trials / res.search_s * 60.0)
            tables[jobs] = [{k: v for k, v in row.items() if k != "trial"} for row in res.trials]
            if jobs == 1:
                overhead.append(res.optimizer_overhead_s_per_trial)
                run_s.append(res.run_wall_s)
    assert tables[1] == tables[2]
    r1, r2 = statistics.median(rates[1]), statistics.median(rates[2])
    oh, rs = statistics.median(overhead), statistics.median(run_s)
    print(f"\noptimiser bench: overhead {oh * 1000:.1f} ms per trial, smoke replication "
          f"{rs * 1000:.0f} ms ({oh / rs:.1%}); trials/min --jobs 1 {r1:.1f}, --jobs 2 "
          f"{r2:.1f} ({r2 / r1:.2f}x); load {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")  # fmt: skip
    assert oh < 0.05 * rs
    loads = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    if r2 / r1 < 1.7 and max(load_before, os.getloadavg()[0]) - 2.0 > 0.5:
        pytest.skip(f"machine busy: --jobs 2 gave {r2 / r1:.2f}x the trials/min of --jobs 1, "
                    f"{loads} on {os.cpu_count()} cores")  # fmt: skip
    assert r2 / r1 >= 1.7, f"--jobs 2 gave {r2 / r1:.2f}x ({loads})"
