"""The regression gate: bands, JUnit output, passing on unchanged code, failing when a
parameter that matters changes, and the real gate against the committed baselines."""

from __future__ import annotations

import json
import math
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from sim.regression import CheckReport, MetricCheck, junit_xml
from sim.scenario import load_scenario
from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"


def mc(mean: float, low: float = 1.0, high: float = 3.0, base: float = 2.0) -> MetricCheck:
    return MetricCheck("s", "m", base, low, high, mean)


def test_band_membership() -> None:
    assert not mc(2.0).moved
    assert not mc(1.0).moved and not mc(3.0).moved  # bounds are inside
    assert mc(3.01).moved and mc(0.99).moved
    assert not mc(2.0 + 1e-12, 2.0, 2.0).moved  # float noise on a zero-width band
    assert mc(2.001, 2.0, 2.0).moved
    assert not mc(math.nan, base=math.nan).moved  # no data then, no data now
    assert mc(1.0, base=math.nan).moved and mc(math.nan).moved
    assert not mc(2.0, math.nan, math.nan).moved  # single replication: exact mean
    assert mc(2.5, math.nan, math.nan).moved


def test_junit_lists_every_check_and_its_failures() -> None:
    report = CheckReport((mc(2.0), MetricCheck("s", "x", 2.0, 1.0, 3.0, 9.0)), ("a note",), 1.5)
    root = ET.fromstring(junit_xml(report).split("?>", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == ["x"]
    assert "a note" in ET.tostring(suite, encoding="unicode")


@pytest.fixture
def short_smoke(tmp_path: Path) -> Path:
    """The smoke scenario over a shorter horizon (so the gate tests stay cheap), with all
    its account managers in a pool of five (so that 20% fewer is a whole number, and
    is 20% of the managers: with smoke's dedicated joint-force desks, one pool manager
    fewer was about 7% of them, within the band's noise)."""
    path = tmp_path / "smoke_short.toml"
    path.write_text(
        f'extends = "{SMOKE}"\n[scenario]\nhorizon_days = 20\nwarmup_days = 2\n'
        "[account_managers]\npool_size = 5\ndedicated_per_enrolled_brand = 0\n"
    )
    return path


def test_check_passes_unchanged_code_and_fails_with_fewer_account_managers(
    short_smoke: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "baselines"
    args = ["check", str(short_smoke), "--baselines", str(base), "--jobs", "2"]
    code, out, err = run_cli([*args, "--update", "--reps", "6"], capsys)
    assert code == 0, err
    doc = json.loads((base / "smoke_short.json").read_text())
    assert doc["reps"] == 6 and len(doc["seeds"]) == 6
    # the same seeds reproduce the same means exactly: unchanged code passes
    junit = tmp_path / "pass.xml"
    code, out, err = run_cli([*args, "--junit", str(junit)], capsys)
    assert code == 0, err
    assert "check passed" in out
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "0"  # type: ignore[union-attr]
    # 20% fewer account managers must move a headline metric out of its band
    pool = load_scenario(short_smoke).account_managers.pool_size
    assert pool == 5
    junit = tmp_path / "fail.xml"
    set_ = ["--set", "account_managers.pool_size=4"]
    code, out, err = run_cli([*args, *set_, "--junit", str(junit)], capsys)
    assert code == 1, out + err
    assert "check failed" in err and "am_utilization" in err
    assert "scenario differs" in err
    failures = ET.parse(junit).getroot().find("testsuite").get("failures")  # type: ignore[union-attr]
    assert int(failures or 0) >= 1


def test_missing_baseline_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], short_smoke: Path
) -> None:
    code, _, err = run_cli(["check", str(short_smoke), "--baselines", str(tmp_path)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "takedown check --update" in err


def test_the_committed_baselines_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real gate, as CI runs it: unchanged code reproduces every baseline."""
    junit = tmp_path / "check.xml"
    code, out, err = run_cli(["check", "--junit", str(junit)], capsys)
    assert code == 0, out + err
    assert "check passed" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and int(suite.get("tests") or 0) >= 7
