"""``takedown report``: prints the report's path; a wrong folder is one line and exit 2."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli


def test_report_prints_the_path_of_report_html(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "run"
    shutil.copytree(folders["run"], folder)
    (folder / "report.html").unlink()
    code, out, err = run_cli(["report", str(folder)], capsys)
    assert (code, out.strip(), err) == (0, str(folder / "report.html"), "")
    assert (folder / "report.html").is_file() and (folder / "summary.md").is_file()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "no such folder"),
        (lambda p: p, "not a run, compare or sweep folder"),
    ],
)
def test_a_wrong_folder_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    message: str,
) -> None:
    code, out, err = run_cli(["report", str(make(tmp_path))], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_report_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["report", "--help"], capsys)
    words = " ".join(out.split())  # the help text is wrapped to the terminal
    assert (
        code == 0 and "run, compare, sweep, loadtest, optimize, sensitivity or calibrate" in words
    )
