"""The metrics reference: generated from the contract, and the committed copy is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.contract import METRICS, UNITS
from sim.metrics_doc import UNIT_MEANING, direction, main, render
from sim.model import run
from sim.scenario import from_dict
from sim.traces import EVENT_KINDS

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_committed_reference_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "docs/metrics.md is out of date with sim/contract.py: "
        "run 'python -m sim.metrics_doc' (or make docs) and commit the result"
    )


def test_every_metric_has_a_row_with_unit_direction_and_definition() -> None:
    text = render()
    for m in METRICS:
        assert m.unit in UNITS and m.unit in UNIT_MEANING, m.name
        assert len(m.definition) > 40 and m.definition.endswith("."), m.name
        row = next(line for line in text.splitlines() if line.startswith(f"| `{m.name}`"))
        assert f"| {m.unit} | {direction(m)} | {m.definition} |" in row


def test_directions_read_as_words() -> None:
    by_name = {m.name: m for m in METRICS}
    assert direction(by_name["fake_sales"]) == "lower"
    assert direction(by_name["proactive_to_notice_ratio"]) == "higher"
    assert direction(by_name["notices_filed"]) == "neither"


def test_every_event_kind_a_run_logs_is_documented() -> None:
    """A small run that blocks, bans and restores: each kind it logs has its line."""
    sc = from_dict(
        {
            "scenario": {"horizon_days": 20.0},
            "rights_holders": {
                "programme_mix": {"joint_force": 1.0},
                "detection_prob": 0.9,
            },
            "account_managers": {"reject_valid_prob": 0.5, "always_on": True},
            "platform": {"strikes": {"min_gap_days": 0.0}},
        }
    )
    kinds = set(run(sc, 3, events=True).events["kind"].tolist())  # type: ignore[index]
    assert {"hidden", "restored", "banned", "struck", "first_sale"} <= kinds
    assert kinds <= set(EVENT_KINDS)
    for kind in EVENT_KINDS:
        assert f"| `{kind}` |" in render()


def test_main_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "docs" / "metrics.md"
    assert main(["--check", str(out)]) == 1
    assert "out of date; run 'python -m sim.metrics_doc'" in capsys.readouterr().err
    assert main([str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render()
    assert main(["--check", str(out)]) == 0
    out.write_text("stale\n", encoding="utf-8")
    assert main(["--check", str(out)]) == 1
