"""The ``takedown`` entry point: every user mistake is one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TAKEDOWN = [sys.executable, "-c", "from sim.cli import main; main()"]


def _takedown(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TAKEDOWN, *args], capture_output=True, text=True, timeout=120)


def test_an_unwritable_output_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = _takedown("check", "--junit", str(blocker / "junit.xml"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(blocker) in lines[0]  # the path in the way is named


def test_an_unknown_command_suggests_the_closest_one() -> None:
    proc = _takedown("valdate", "x.toml")
    assert proc.returncode == 2
    # 'calibrate' is close to the typo as well, so click may offer both; validate first
    assert "Did you mean 'validate'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_the_module_runs_as_a_script() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    for command in ("validate", "run", "compare", "sweep", "check", "report", "serve", "loadtest",
                    "optimize", "sensitivity", "calibrate", "scenarios", "init",
                    "check-mapping"):  # fmt: skip
        assert f"  {command} " in proc.stdout


@pytest.mark.parametrize(
    ("value", "text"),
    [(102_070.4, "102,070"), (-10_190.0, "-10,190"), (9_999.0, "9,999"), (0.97412, "0.9741"),
     (43.256, "43.26"), (float("nan"), "-"), (None, "-")],
)  # fmt: skip
def test_table_numbers_are_plain(value: float | None, text: str) -> None:
    """Tables print four significant digits, and whole thousands from 10,000 on."""
    from sim.cli.common import number

    assert number(value) == text
