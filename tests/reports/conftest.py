"""Report inputs: one run, one comparison and one sweep folder, rendered once per session.

They come from the real commands (``takedown run``, ``compare``, ``sweep``) on the smoke
scenario when the model is installed; otherwise from seeded synthetic runs written with
the experiments' own writers (tests/reports/synthetic.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from reports.render import render_report
from tests.reports import synthetic

KINDS = ("run", "compare", "sweep")


def _synthetic(base: Path) -> dict[str, Path]:
    points = synthetic.compare_points()
    synthetic.write_run({"scenario": {"name": "joint_force"}}, 42, 0.5, base / "run")
    synthetic.write_experiment(points, "compare", base / "compare")
    grid: dict[str, list[Any]] = {
        "account_managers.pool_size": [2, 4, 8],
        "platform.sweep_recall": [0.1, 0.5],
    }
    synthetic.write_experiment(synthetic.sweep_points(grid), "sweep", base / "sweep")
    return {k: base / k for k in KINDS}


def model_available() -> bool:
    """True once the simulator and its smoke scenario exist."""
    return importlib.util.find_spec("sim.model") is not None


@pytest.fixture(scope="session")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """kind -> output folder with report.html, summary.md and the PNGs rendered."""
    base = tmp_path_factory.mktemp("report-inputs")
    made = _synthetic(base)
    for folder in made.values():
        render_report(folder)
    return made
