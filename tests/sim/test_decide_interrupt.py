"""Ctrl-C during a sensitivity design: exit 130, the finished design points kept, no
indices from part of a design, no traceback. A real process gets a real SIGINT."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
SHORT = ("scenario.horizon_days=5", "scenario.warmup_days=1")
SPACE = """\
[parameters]
"platform.upload_recall" = {low = 0.3, high = 0.95}
"rights_holders.detection_prob" = {low = 0.05, high = 0.6}
"market.fake_price_discount" = {low = 0.2, high = 0.8}
"""
PROGRESS = re.compile(r"^\[sensitivity\] runs (\d+)/(\d+)$")


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "backend",
    [
        pytest.param(["--jobs", "1"], id="inline"),
        pytest.param(["--jobs", "2"], id="pool"),
        pytest.param(["--dask", "local"], id="dask", marks=pytest.mark.slow),  # 25 s
    ],
)
def test_ctrl_c_keeps_the_finished_design_points(tmp_path: Path, backend: list[str]) -> None:
    """In the process, in a local process pool (whose workers get the SIGINT too) and on
    a Dask LocalCluster (where Ctrl-C is held until results can be taken cleanly)."""
    space = tmp_path / "space.toml"
    space.write_text(SPACE)
    out = tmp_path / "sens"
    out.mkdir()
    (out / "indices.csv").write_text("stale\n")  # from an earlier run: must not survive
    takedown = Path(sys.executable).with_name("takedown")
    cmd = [str(takedown), "sensitivity", str(SMOKE), "--space", str(space), "--samples", "20",
           "--reps", "2", "--seed", "3", *backend, "--metric", "fake_exposure_listing_days",
           "--out", str(out)]  # fmt: skip
    cmd += [w for s in SHORT for w in ("--set", s)]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # off a terminal: one progress line per finished run
            seen.append(line)
            m = PROGRESS.match(line.strip())
            if m and int(m.group(1)) >= 10:
                os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
                break
        _, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    err = "".join(seen) + rest
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    found = re.search(r"interrupted: (\d+) of (\d+) design points finished", err)
    assert found, err
    kept, planned = int(found.group(1)), int(found.group(2))
    assert planned == 20 * 4  # Morris: samples x (parameters + 1)
    with (out / "design.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    # 10 runs had finished when Ctrl-C came, 2 per point, so at least 5 points had both
    assert 5 <= len(rows) == kept < planned
    assert all(math.isfinite(float(r["fake_exposure_listing_days"])) for r in rows)
    doc = json.loads((out / "sensitivity.json").read_text())
    assert doc["interrupted"] is True and doc["points_finished"] == kept
    assert doc["ranking"] == {}
    assert not (out / "indices.csv").exists()
