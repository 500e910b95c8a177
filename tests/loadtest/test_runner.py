"""The runner's process handling: children are stopped on every way out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadtest.config import RunConfig, load_keys
from loadtest.runner import LoadtestError, Options, prepare, processes


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_children_and_their_children_are_stopped_even_on_error(tmp_path: Path) -> None:
    # the child starts a grandchild in its group; both must be gone after the block
    script = "import subprocess,sys,time; subprocess.Popen([sys.executable,'-c','import time; time.sleep(60)']); print('up', flush=True); time.sleep(60)"  # noqa: E501
    with pytest.raises(RuntimeError), processes() as procs:
        proc = procs.start([sys.executable, "-c", script], tmp_path / "log")
        deadline = time.monotonic() + 10
        while "up" not in (tmp_path / "log").read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise RuntimeError("boom")
    assert proc.poll() is not None
    assert not _alive(proc.pid)


def test_prepare_checks_inputs_before_starting_anything(tmp_path: Path) -> None:
    with pytest.raises(LoadtestError, match="host needs keys"):
        prepare(Options(host="http://127.0.0.1:9", out_dir=tmp_path))
    with pytest.raises(LoadtestError, match=r"keys .*: file not found"):
        prepare(Options(host="http://127.0.0.1:9", keys=tmp_path / "k.json", out_dir=tmp_path))
    profile, thresholds = prepare(Options(out_dir=tmp_path))
    assert profile.profile.name == "default" and thresholds == []


def test_config_and_keys_round_trip(tmp_path: Path) -> None:
    cfg = RunConfig({"rates": {}}, "k.json", 5.0, 2, ".", 7, "replay.csv", 1.0)
    cfg.write(tmp_path / "run.json")
    # relative paths resolve against the config's folder (it can be copied elsewhere)
    back = RunConfig.read(tmp_path / "run.json")
    assert (back.keys_file, back.out_dir) == (str(tmp_path / "k.json"), str(tmp_path / "."))
    assert back.replay == str(tmp_path / "replay.csv") and back.seed == 7
    (tmp_path / "k.json").write_text(
        '{"admin": {"key": "a"}, "rights_holders": [{"key": "r", "brand_id": 3, '
        '"program": "joint_force"}], "account_managers": [{"key": "m", "brand_ids": [3]}], '
        '"sellers": [{"key": "s", "seller_id": 9}]}'
    )
    keys = load_keys(tmp_path / "k.json")
    assert keys.rights_holder_for(3).program == "joint_force"
    assert keys.rights_holder_for(17).brand_id == 3  # a simulated brand maps onto a real one
    assert keys.account_managers[0].brand_ids == (3,)


def test_sigterm_to_the_runner_stops_its_children(tmp_path: Path) -> None:
    # a parent holding a sleeping child inside `processes()`; SIGTERM the parent
    code = (
        "import sys, time; from pathlib import Path; from loadtest.runner import processes\n"
        "with processes() as p:\n"
        "    sleeper = [sys.executable, '-c', 'import time; time.sleep(60)']\n"
        "    c = p.start(sleeper, Path(sys.argv[1]))\n"
        "    print(c.pid, flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "log")], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=20) == 128 + signal.SIGTERM
    deadline = time.monotonic() + 5
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child_pid)
