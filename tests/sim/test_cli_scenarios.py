"""``takedown scenarios``: the shipped scenarios listed and shown by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import shipped
from tests.cli_helpers import run_cli

REPO = Path(__file__).resolve().parents[2]


def test_the_listing_names_every_shipped_scenario_with_its_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(["scenarios"], capsys)
    assert (code, err) == (0, "")
    rows = [line.split(None, 1) for line in out.splitlines()]
    assert [name for name, _ in rows] == shipped.names()
    assert dict(rows)["gft_2015"] == shipped.description("gft_2015")
    assert dict(rows)["smoke"].startswith("Small fast market")


def test_show_prints_the_shipped_file_as_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["scenarios", "show", "joint_force_2017"], capsys)
    assert code == 0
    assert out == (REPO / "scenarios" / "joint_force_2017.toml").read_text(encoding="utf-8")


def test_show_of_an_unknown_name_is_one_line_with_a_suggestion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(["scenarios", "show", "gft2015"], capsys)
    assert (code, out) == (2, "")
    assert err == "error: gft2015: not a shipped scenario; did you mean 'gft_2015'?\n"


def test_run_takes_a_shipped_name_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(
        ["run", "smoke", "--seed", "3", "--no-report", "--set", "scenario.horizon_days=10"], capsys
    )
    assert code == 0, err
    assert (tmp_path / "out" / "run-smoke-3" / "summary.json").is_file()
    assert "wrote out/run-smoke-3/summary.json" in out
