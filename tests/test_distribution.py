"""The package outside its repository: docs/install.md's block, built, installed and run
from an empty folder as written; and that block holds the commands a user must see work."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.scaffold import scaffold
from tests.sim.test_scaffold import readme_commands

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "install.md"
MARK = "<!-- dist-check: tests/test_distribution.py runs this block as written -->"
MUST_SHOW = (
    "takedown run smoke",
    "takedown compare gft_2015 joint_force_2017 --reps 2",
    "takedown loadtest --duration 5s",
    "takedown check",
    "takedown init x && cd x",
)


def doc_block() -> list[str]:
    """The lines of the block that follows the dist-check mark in docs/install.md."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(re.escape(MARK) + r"\n```sh\n(.*?)^```$", text, re.S | re.M)
    assert found, f"{DOC.name}: no ```sh block after the dist-check mark"
    return found.group(1).splitlines()


def test_the_doc_block_runs_the_must_show_commands_from_an_empty_folder() -> None:
    lines = doc_block()
    commands = lines[lines.index("mkdir empty && cd empty") + 1 :]
    assert [c for c in commands if c in MUST_SHOW] == list(MUST_SHOW)
    assert lines.index(". venv/bin/activate") < lines.index("mkdir empty && cd empty")


def test_the_doc_runs_the_scaffold_commands_as_its_readme_gives_them(tmp_path: Path) -> None:
    lines = doc_block()
    after_init = lines[lines.index("takedown init x && cd x") + 1 :]
    assert after_init == readme_commands(scaffold(tmp_path / "x", baseline=False).folder)


def source_copy(scratch: Path) -> Path:
    """The checkout's files without its environment and caches: building writes
    metadata beside the sources, and a test writes nothing into the checkout."""
    skip = shutil.ignore_patterns(".git", ".venv", "*cache*", "out", "build", "dist", "*.egg-info")
    return Path(shutil.copytree(REPO, scratch / "takedown-lab", ignore=skip))


def block_env(source: Path) -> dict[str, str]:
    """A user's shell: this environment's uv and python3 on PATH, nothing of the checkout
    importable, TAKEDOWN_LAB naming the sources to build."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    tools = str(Path(sys.executable).parent)
    env["PATH"] = f"{tools}{os.pathsep}{env.get('PATH', '')}"
    return {**env, "TAKEDOWN_LAB": str(source)}


@pytest.mark.slow
def test_the_wheel_works_outside_the_checkout(tmp_path: Path) -> None:
    """Build, install from the lock, run every command of the block from an empty folder
    (about 5 minutes: a compare, a check, two load tests, init's baseline)."""
    script = "set -ex\n" + "\n".join(doc_block()) + "\n"
    work = tmp_path / "work"
    work.mkdir()
    source = source_copy(tmp_path)
    done = subprocess.run(
        ["sh", "-c", script], cwd=work, env=block_env(source),
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    built = sorted(p.name for p in (work / "dist").glob("takedown_lab-*"))
    assert sorted(Path(b).suffix for b in built) == [".gz", ".whl"]  # the sdist and the wheel
    site = subprocess.run(
        [work / "venv" / "bin" / "python", "-c", "import sim; print(sim.__file__)"],
        cwd=work, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(site).is_relative_to(work / "venv"), site  # the wheel, not the sources
    project = work / "empty" / "x"
    assert (project / "reports" / "baselines" / "scenario.json").is_file()
    assert (project / "out" / "loadtest" / "loadtest.json").is_file()
    assert (work / "empty" / "out" / "loadtest" / "loadtest.json").is_file()


@pytest.mark.slow
def test_scenarios_are_found_where_the_installer_put_them(tmp_path: Path) -> None:
    """pip install --prefix elsewhere (as --user does): the scenarios lie outside the
    running environment's prefix and are found from the distribution's file record."""
    env = block_env(source_copy(tmp_path))
    wheel_dir, prefix = tmp_path / "dist", tmp_path / "prefix"
    subprocess.run(
        ["uv", "build", "--quiet", "--wheel", "--out-dir", str(wheel_dir), env["TAKEDOWN_LAB"]],
        env=env, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    wheel = next(wheel_dir.glob("takedown_lab-*.whl"))
    # pip --prefix uninstalls the package from the environment pip runs in: a bare one
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", str(bare)], check=True, timeout=300)
    subprocess.run(
        [bare / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps",
         "--prefix", str(prefix), str(wheel)],
        env=env, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    site = next(prefix.glob("lib/python*/site-packages"))
    shown = subprocess.run(
        [sys.executable, "-c", "from sim import shipped; print(shipped.scenario_dir())"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(site)},
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(shown) == prefix / "share" / "takedown-lab" / "scenarios"
    assert (Path(shown) / "smoke.toml").is_file()
