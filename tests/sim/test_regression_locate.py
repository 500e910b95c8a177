"""Baselines found in any project: the default folder, and each baseline's scenario
recorded so that it resolves wherever the project is run from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sim import shipped
from sim.regression import BASELINES_DIR, BaselineError
from sim.regression.locate import default_baselines_dir, scenario_of, scenario_record
from tests.cli_helpers import run_cli

REPO = Path(__file__).resolve().parents[2]
SHORT = 'extends = "smoke"\n[scenario]\nname = "mine"\nhorizon_days = 12.0\nwarmup_days = 2.0\n'


def test_the_default_is_reports_baselines_here_else_the_package_own(tmp_path: Path) -> None:
    assert default_baselines_dir(tmp_path) == BASELINES_DIR
    (tmp_path / "reports" / "baselines").mkdir(parents=True)
    assert default_baselines_dir(tmp_path) == tmp_path / "reports" / "baselines"


def test_the_package_baseline_names_its_shipped_scenario() -> None:
    doc = json.loads((BASELINES_DIR / "smoke.json").read_text(encoding="utf-8"))
    assert doc["scenario"] == {"name": "smoke", "shipped": True}
    assert scenario_of(doc, BASELINES_DIR) == shipped.path_of("smoke")


def test_a_project_file_is_recorded_relative_to_the_baselines(tmp_path: Path) -> None:
    mine = tmp_path / "scenarios" / "mine.toml"
    mine.parent.mkdir()
    mine.write_text(SHORT)
    folder = tmp_path / "reports" / "baselines"
    record = scenario_record(mine, folder)
    assert record == {"name": "mine", "file": "../../scenarios/mine.toml"}
    assert scenario_of({"scenario": record}, folder).resolve() == mine.resolve()
    assert scenario_record(shipped.path_of("gft_2015") or mine, folder) == {
        "name": "gft_2015",
        "shipped": True,
    }


def test_a_baseline_without_a_record_reads_its_path_as_before(tmp_path: Path) -> None:
    legacy = {"scenario_file": "scenarios/smoke.toml"}
    assert scenario_of(legacy, tmp_path).resolve() == (REPO / "scenarios/smoke.toml").resolve()
    gone = {"scenario_file": "x", "scenario": {"name": "retired", "shipped": True}}
    with pytest.raises(BaselineError, match="'retired', which this version does not ship"):
        scenario_of(gone, tmp_path)


def test_a_project_writes_its_own_baselines_and_checks_them_from_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    (project / "scenarios").mkdir(parents=True)
    (project / "scenarios" / "mine.toml").write_text(SHORT)
    monkeypatch.chdir(project)
    args = ["check", "--update", "--baselines", "gate", "--reps", "3", "scenarios/mine.toml"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    assert "baseline written: gate/mine.json" in out
    doc = json.loads((project / "gate" / "mine.json").read_text(encoding="utf-8"))
    assert doc["scenario"] == {"name": "mine", "file": "../scenarios/mine.toml"}

    moved = tmp_path / "elsewhere" / "project"  # the project checked out somewhere else
    shutil.copytree(project, moved)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["check", "--baselines", str(moved / "gate")], capsys)
    assert code == 0, err
    assert "check passed: 7 headline metrics" in out
    assert "scenario differs" not in err


def test_check_reads_reports_baselines_of_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports" / "baselines").mkdir(parents=True)  # present but empty: it is used
    code, _, err = run_cli(["check"], capsys)
    assert code == 2
    assert err == (
        "error: reports/baselines: no baselines; create them with 'takedown check --update'\n"
    )
