"""Where the gate finds its baselines, and the scenario each baseline was made from, in
a checkout, an installed package or a project of its own.

A baseline records its scenario under "scenario": a shipped scenario by name
(``{"name": "smoke", "shipped": true}``), any other file by its path relative to the
baselines folder (``{"name": "mine", "file": "../../scenarios/mine.toml"}``), so a
project's baselines keep working wherever the project is checked out or run from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim import shipped
from sim.regression.baseline import BASELINES_DIR, PROJECT_ROOT, BaselineError

PROJECT_BASELINES = Path("reports") / "baselines"


def default_baselines_dir(cwd: Path | None = None) -> Path:
    """``reports/baselines`` under the current folder when present, else the package's own."""
    here = PROJECT_BASELINES if cwd is None else cwd / PROJECT_BASELINES
    return here if here.is_dir() else BASELINES_DIR


def scenario_record(path: Path, baselines_dir: Path) -> dict[str, Any]:
    """How a baseline in ``baselines_dir`` names the scenario file ``path``."""
    name = path.stem
    shipped_path = shipped.path_of(name)
    if shipped_path is not None and shipped_path.resolve() == path.resolve():
        return {"name": name, "shipped": True}
    relative = os.path.relpath(path.resolve(), baselines_dir.resolve())
    return {"name": name, "file": Path(relative).as_posix()}


def scenario_of(doc: Mapping[str, Any], baselines_dir: Path) -> Path:
    """The scenario file a baseline document was made from."""
    record = doc.get("scenario")
    if not isinstance(record, Mapping):
        return _legacy(str(doc["scenario_file"]))
    if record.get("shipped"):
        found = shipped.path_of(str(record.get("name")))
        if found is None:
            raise BaselineError(
                f"{doc['scenario_file']}: baseline names shipped scenario "
                f"{record.get('name')!r}, which this version does not ship"
            )
        return found
    return baselines_dir / str(record.get("file"))


def _legacy(path_text: str) -> Path:
    """A baseline written before "scenario": its path relative to here, else to the
    project root, else a shipped scenario of that name."""
    path = Path(path_text)
    if path.is_absolute() or path.exists():
        return path
    if (PROJECT_ROOT / path).exists():
        return PROJECT_ROOT / path
    return shipped.path_of(path.stem) or PROJECT_ROOT / path
