"""``takedown init``: the scaffolded folder's files are valid and its commands run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from loadtest.profile import load_profile
from loadtest.runner import KNOWN_METRICS, Options, processes, start_service
from loadtest.slo import load_spec
from sim.scaffold import FILES, project_name
from sim.scenario import load_scenario, scenario_dict
from tests.cli_helpers import run_cli

FENCE = re.compile(r"^```\n(.*?)^```$", re.S | re.M)


def readme_commands(folder: Path) -> list[str]:
    """The commands of the scaffold's README, in order."""
    text = (folder / "README.md").read_text(encoding="utf-8")
    return [line for block in FENCE.findall(text) for line in block.splitlines() if line]


def ci_steps(folder: Path) -> dict[str, str]:
    """The CI job's shell steps by name."""
    job = yaml.safe_load((folder / "ci" / "takedown.yml").read_text(encoding="utf-8"))
    steps = job["jobs"]["takedown"]["steps"]
    return {s["name"]: s["run"] for s in steps if "run" in s}


def shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A command as a CI runner or a user at a prompt runs it."""
    return subprocess.run(
        command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def takedown_on_path() -> dict[str, str]:
    """The environment with this interpreter's ``takedown`` first on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_the_files_are_valid_and_extend_the_shipped_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "My Shop"
    args = ["init", str(folder), "--extends", "gft_2015", "--no-baseline"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    assert [line for line in out.splitlines() if line.startswith("wrote")] == [
        f"wrote {folder / target}" for _, target in FILES
    ]
    mine = load_scenario(folder / "scenario.toml")
    parent = load_scenario("gft_2015")
    assert mine.scenario.name == project_name(folder) == "my_shop"
    assert {**scenario_dict(mine), "scenario": None} == {**scenario_dict(parent), "scenario": None}
    assert load_profile(str(folder / "loadtest" / "profile.toml")).profile.name == "my_shop"
    slo = load_spec(folder / "loadtest" / "slo.toml", KNOWN_METRICS)
    assert {t.metric for t in slo.thresholds} == {"POST /v1/notices", "e2e_takedown", "arrivals"}
    assert (folder / "reports" / "baselines").is_dir()


def test_the_ci_job_runs_the_gate_and_a_load_test_of_a_given_host(tmp_path: Path) -> None:
    from sim.scaffold import scaffold

    steps = ci_steps(scaffold(tmp_path / "p", baseline=False).folder)
    assert steps["regression gate"] == "takedown check --junit out/junit-check.xml"
    load = steps["load test of the service"]
    assert load.startswith("takedown loadtest --profile loadtest/profile.toml")
    assert '--slo loadtest/slo.toml --host "$TAKEDOWN_HOST" --keys out/keys.json' in load
    assert steps["install"] == 'pip install "takedown-lab==0.1.0"'


def test_a_folder_with_files_or_an_unknown_parent_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    code, _, err = run_cli(["init", str(tmp_path), "--extends", "smok"], capsys)
    assert code == 2
    assert err.splitlines() == [
        f"error: {tmp_path}: exists and is not an empty folder",
        "error: extends 'smok': not a shipped scenario; did you mean 'smoke'?",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


@pytest.mark.slow
def test_every_command_of_the_scaffold_runs_as_written(tmp_path: Path) -> None:
    """init, the README's commands from the folder, then the CI job's steps against a
    running service (the reference one, standing in for the project's); ~2 minutes."""
    env = takedown_on_path()
    init = shell("takedown init proj", tmp_path, env)
    assert init.returncode == 0, init.stderr
    folder = tmp_path / "proj"
    assert (folder / "reports" / "baselines" / "scenario.json").is_file()
    commands = readme_commands(folder)
    assert [c.split()[1] for c in commands] == ["validate", "run", "check", "loadtest"]
    for command in commands:
        done = shell(command, folder, env)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert "check passed" in shell("takedown check", folder, env).stdout

    steps = ci_steps(folder)
    del steps["install"]  # installed already: this interpreter's package
    (tmp_path / "service").mkdir()
    with processes() as procs:
        url, keys = start_service(
            procs, Options(out_dir=tmp_path / "service", scenario=folder / "scenario.toml")
        )
        ci_env = {**env, "TAKEDOWN_HOST": url, "TAKEDOWN_DURATION": "5s",
                  "TAKEDOWN_KEYS_JSON": keys.read_text(encoding="utf-8")}  # fmt: skip
        for name, command in steps.items():
            done = shell(command, folder, ci_env)
            assert done.returncode == 0, (name, done.stdout, done.stderr)
    assert (folder / "out" / "junit-check.xml").is_file()
    assert (folder / "out" / "loadtest" / "junit.xml").is_file()
