"""``takedown run``: outputs written, headline table printed, mistakes exit 2 in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main

SMOKE = Path(__file__).resolve().parents[2] / "scenarios" / "smoke.toml"
SHORT = ["--set", "scenario.horizon_days=12", "--set", "scenario.warmup_days=2", "--no-report"]


def call(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_run_writes_outputs_and_prints_headlines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "run"
    events = tmp_path / "ev.parquet"
    args = ["run", str(SMOKE), "--seed", "4", *SHORT, "--out", str(out_dir)]
    code, out, err = call([*args, "--events", str(events)], capsys)
    assert code == 0, err
    for name in ("summary.json", "daily.csv", "notices.csv"):
        assert (out_dir / name).is_file()
        assert f"wrote {out_dir / name}" in out
    assert events.is_file()
    assert "proactive_to_notice_ratio" in out
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["seed"] == 4
    # cost and harm in money beside the headline, as written, never in e-notation
    cost = summary["metrics"]["cost_total_usd"]
    assert cost >= 1e4 and "cost_total_usd" in out and f"{cost:,.0f}" in out and "e+" not in out
    assert summary["scenario"]["scenario"]["horizon_days"] == 12.0


def test_default_folder_names_scenario_and_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = call(["run", str(SMOKE), "--seed", "9", *SHORT], capsys)
    assert code == 0, err
    assert (tmp_path / "out" / "run-smoke-9" / "summary.json").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "nope.toml"], "file not found"),
        (["run", str(SMOKE), "--set", "market.brands=0"], "market.brands"),
        (["run", str(SMOKE), "--set", "platfrom.upload_recall=1"], "did you mean 'platform'"),
        (["run", str(SMOKE), "--seed", "-1"], "--seed"),
        (["run", str(SMOKE), "--events", "ev.csv"], "--events"),
        (["run", str(SMOKE), "--events", "no/such/folder/ev.parquet"], "does not exist"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = call(args, capsys)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(["run", "--help"], capsys)
    assert code == 0
    assert "--seed" in out and "--events" in out


def test_an_oversized_horizon_exits_2_before_simulating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """horizon_days = 1e9 once ran out of memory: validation stops it first, naming the
    field and its bound, and nothing is written."""
    args = ["run", str(SMOKE), "--set", "scenario.horizon_days=1e9", "--out", str(tmp_path / "o")]
    code, _, err = call(args, capsys)
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {SMOKE}: scenario.horizon_days: bad value 1000000000.0: Input should be less "
        "than or equal to 3660"
    ]
    assert not (tmp_path / "o").exists()
