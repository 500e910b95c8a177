"""The structure's rules, checked: import contracts, a light core, small modules.

The import rules live in pyproject.toml ([tool.importlinter]) and docs/architecture.md.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "reports", "loadtest")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # the packages in ``root`` come first on the path, ahead of the installed ones
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def test_the_import_contracts_hold() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


def test_a_core_module_importing_reports_breaks_a_contract(tmp_path: Path) -> None:
    """The same check on a copy where sim/scenario.py imports reports must fail."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.parquet", "*.png")
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    scenario = tmp_path / "sim" / "scenario.py"
    scenario.write_text(scenario.read_text() + "\nimport reports.render  # noqa: E402\n")
    done = _lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 broken" in done.stdout
    assert "sim.scenario -> reports.render" in done.stdout


def test_the_core_loads_no_front_end() -> None:
    """Importing the model and the experiment API loads no report, load-test, CLI, web or
    plotting package."""
    front = ["reports", "loadtest", "typer", "fastapi", "locust", "matplotlib"]
    code = (
        "import json, sys, sim.model, sim.experiment, sim.regression;"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "sim" in loaded and "numpy" in loaded  # the probe saw the imports
    assert not loaded & set(front), sorted(loaded & set(front))


def _sources() -> list[Path]:
    return sorted(p for name in PACKAGES for p in (ROOT / name).rglob("*.py"))


def oversized() -> list[str]:
    """Modules over 400 lines and functions over 60, as ``path`` / ``path:function``."""
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            found.append(f"{rel} ({len(text.splitlines())} lines)")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append(f"{rel}:{node.name} ({lines} lines)")
    return found


def test_no_module_over_400_lines_no_function_over_60() -> None:
    assert oversized() == []
