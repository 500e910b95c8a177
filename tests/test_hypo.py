"""The hypothesis profiles: CI verdicts cannot change from run to run, and the exploring
profile really tries more."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import settings

from tests.hypo import EXPLORE_FACTOR, PROFILE_ENV, examples

TESTS = Path(__file__).resolve().parent


def test_the_ci_profile_is_derandomized_without_a_database() -> None:
    if os.environ.get(PROFILE_ENV, "ci") != "ci":
        return  # the exploring run checks the other branch below
    assert settings.default.derandomize is True
    assert settings.default.database is None
    assert examples(30) == 30


def test_the_exploring_profile_tries_ten_times_the_examples() -> None:
    code = (
        "from tests.hypo import load_profile, examples; from hypothesis import settings; "
        "load_profile(); print(examples(30), settings.default.max_examples, "
        "settings.default.derandomize)"
    )
    env = {**os.environ, PROFILE_ENV: "explore"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=TESTS.parent, capture_output=True, text=True
    )
    assert out.stdout.split() == [str(30 * EXPLORE_FACTOR), str(100 * EXPLORE_FACTOR), "False"]


def test_no_property_test_fixes_its_example_count_with_a_literal() -> None:
    """``@settings(max_examples=40)`` would override the profile; counts go through
    ``examples(n)`` so the exploring run scales them."""
    literal = [
        f"{path.relative_to(TESTS)}:{node.value.lineno}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.keyword)
        and node.arg == "max_examples"
        and isinstance(node.value, ast.Constant)
    ]
    assert literal == []


def test_settings_decorate_property_tests_only() -> None:
    """``@settings`` on a plain function is silently ignored by the test below it (it once
    sat on an example's helper, and the property test ran 100 examples instead of 30)."""
    misplaced = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            names = [
                getattr(d.func if isinstance(d, ast.Call) else d, "id", "")
                for d in node.decorator_list
            ]
            if "settings" in names and "given" not in names:
                misplaced.append(f"{path.relative_to(TESTS)}:{node.lineno} {node.name}")
    assert misplaced == []
