"""Shipped scenarios by name: ``takedown run smoke`` from any folder, ``extends = "gft_2015"``."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import shipped
from sim.scenario import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[2]


def test_the_names_are_the_repository_scenarios() -> None:
    assert shipped.names() == sorted(p.stem for p in (REPO / "scenarios").glob("*.toml"))
    assert shipped.description("gft_2015").startswith("Good Faith Takedown")


def test_a_name_loads_the_shipped_file_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    by_path = load_scenario(REPO / "scenarios" / "joint_force_2017.toml")
    assert load_scenario("joint_force_2017") == by_path
    assert load_scenario("joint_force_2017.toml") == by_path


def test_a_file_of_that_name_here_wins_over_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smoke.toml").write_text('[scenario]\nname = "mine"\n')
    assert load_scenario("smoke.toml").scenario.name == "mine"
    assert load_scenario("smoke").scenario.name == "smoke"  # no file "smoke" here


def test_extends_names_a_shipped_scenario(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text('extends = "gft_2015"\n[scenario]\nname = "child"\n')
    sc = load_scenario(child)
    assert sc.scenario.name == "child"
    assert sc.rights_holders == load_scenario("gft_2015").rights_holders


def test_a_mistyped_name_suggests_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as exc:
        load_scenario("gft2015")
    assert exc.value.problems == [
        "gft2015: file not found, nor a shipped scenario; did you mean 'gft_2015'?"
    ]
    with pytest.raises(ScenarioError) as exc:
        load_scenario("sub/gft_2015.toml")  # a path is only ever a path
    assert exc.value.problems == ["sub/gft_2015.toml: file not found"]
