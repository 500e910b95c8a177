"""Optuna storage on the real PostgreSQL: two processes started together share one study
(a unique name in the test database, deleted afterwards) and complete exactly the asked
number of trials between them, none left running.

On an idle machine the two processes take about 8 s of CPU together, most of it starting
Python and importing; on a loaded one the wall time is several times that."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
PG_URL = os.environ.get("TAKEDOWN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SPACE = """\
[parameters]
"account_managers.pool_size" = {low = 1, high = 4}
"platform.upload_recall" = {low = 0.5, high = 0.95, step = 0.05}
"""
TRIALS = 6


def _reachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture
def pg_study() -> object:
    """A study name no other run uses; the study is deleted after the test."""
    import optuna

    problem = _reachable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} unreachable in CI: {problem}")
        pytest.skip(f"no PostgreSQL at {PG_URL}: {problem}")
    name = f"takedown-test-{secrets.token_hex(6)}"
    yield name
    storage = optuna.storages.RDBStorage(PG_URL)
    if name in [s.study_name for s in optuna.get_all_study_summaries(storage)]:
        optuna.delete_study(study_name=name, storage=storage)
    storage.remove_session()
    storage.engine.dispose()


def _worker(out: Path, name: str, seed: int) -> subprocess.Popen[str]:
    code = (
        "from sim.decide import optimize\n"
        f"optimize({str(SMOKE)!r}, {str(out.parent / 'space.toml')!r},"
        " minimize=['am_busy_hours'], constraints=['notices_within_24h_share >= 0.9'],"
        f" reps=2, race=0, jobs=1, trials={TRIALS}, seed={seed!r}, storage={PG_URL!r},"
        f" study_name={name!r}, overrides=['scenario.horizon_days=5', 'scenario.warmup_days=1'],"
        f" out_dir={str(out)!r})\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow  # two processes of imports: about 8 s of CPU, over a minute when loaded
@pytest.mark.timeout(300)
def test_two_processes_share_one_postgresql_study(tmp_path: Path, pg_study: str) -> None:
    import optuna

    (tmp_path / "space.toml").write_text(SPACE)
    procs = [_worker(tmp_path / out, pg_study, 5) for out in ("a", "b")]  # the same command
    errors = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    study = optuna.load_study(study_name=pg_study, storage=PG_URL)
    states = Counter(t.state.name for t in study.get_trials(deepcopy=False))
    # proposals beyond the budget (batches of 4 across two processes) are pruned, never run
    assert states["COMPLETE"] == TRIALS and set(states) <= {"COMPLETE", "PRUNED"}, states
    assert study.user_attrs["base_seed"] == 5
    # each process writes the trials complete when it finishes: the last one has them all
    rows = [
        len((tmp_path / out / "trials.csv").read_text().strip().splitlines()) - 1
        for out in ("a", "b")
    ]
    assert min(rows) >= 1 and max(rows) == TRIALS, rows
