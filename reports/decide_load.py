"""Decision-run folders read back for ``takedown report``: an optimize, sensitivity or
calibrate output folder holds its JSON summary and CSV tables, from which its report page
is drawn again without rerunning anything.

The views below carry what ``reports.decide``'s pages read from the result objects the
commands return, taken from the files alone (reports never import the simulator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reports import decide as pages
from reports.load import ReportError, read_json

SUMMARY_FILES = {
    "optimize.json": "optimize",
    "sensitivity.json": "sensitivity",
    "calibration.json": "calibrate",
}
MAIN_INDEX = {"morris": "mu_star", "sobol": "ST"}
REPORT_FILE = "report.html"


def decision_kind(folder: Path) -> str | None:
    """optimize, sensitivity or calibrate for a decision-run folder, else None."""
    for name, kind in SUMMARY_FILES.items():
        if (Path(folder) / name).is_file():
            return kind
    return None


def _rows(path: Path, required: bool = True) -> list[dict[str, Any]]:
    """A CSV file as a list of rows (numbers as floats, True/False as booleans); an
    empty file has no rows."""
    if not path.is_file():
        if required:
            raise ReportError(f"{path}: file not found")
        return []
    if path.stat().st_size <= 4:  # an empty table is written as a blank line or ""
        return []
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not a readable CSV table ({exc})") from None
    return [dict(r) for r in frame.to_dict(orient="records")]


@dataclass(frozen=True)
class ConstraintText:
    """A constraint as written in optimize.json: ``metric >= bound`` or ``<=``."""

    text: str
    metric: str
    op: str
    bound: float

    @classmethod
    def parse(cls, text: str, source: Path) -> ConstraintText:
        for op in (">=", "<="):
            if op in text:
                metric, _, bound = text.partition(op)
                try:
                    return cls(text, metric.strip(), op, float(bound))
                except ValueError:
                    break
        raise ReportError(f"{source}: constraints: cannot read {text!r}")


@dataclass
class OptimizeView:
    """What the optimize page shows, read from its folder."""

    scenario: str
    objectives: tuple[str, ...]
    constraints: tuple[ConstraintText, ...]
    trials: list[dict[str, Any]]
    front: list[dict[str, Any]]
    best: dict[str, Any] | None
    versus_input: dict[str, Any]
    importances: dict[str, float]
    base_seed: int
    reps: int


@dataclass
class SensitivityView:
    """What the sensitivity page shows, read from its folder."""

    method: str
    scenario: str
    metrics: tuple[str, ...]
    samples: int
    reps: int
    base_seed: int
    rows: list[dict[str, Any]]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def main_index(self) -> str:
        return MAIN_INDEX.get(self.method, "mu_star")

    def ranking(self, metric: str) -> list[str]:
        rows = [r for r in self.rows if r["metric"] == metric and r["index"] == self.main_index]
        return [r["parameter"] for r in sorted(rows, key=lambda r: -r["value"])]

    def index(self, metric: str, parameter: str) -> dict[str, Any]:
        for r in self.rows:
            if (r["metric"], r["parameter"], r["index"]) == (metric, parameter, self.main_index):
                return r
        raise ReportError(f"indices.csv: no {self.main_index} for {parameter} on {metric}")


@dataclass
class CalibrationView:
    """What the calibration page shows, read from its folder."""

    scenario: str
    params: dict[str, Any]
    fit: list[dict[str, Any]]


def _nan(value: Any) -> Any:
    """JSON's null for a number that was NaN (or infinite), back as NaN, at any depth."""
    if value is None:
        return math.nan
    if isinstance(value, dict):
        return {k: _nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan(v) for v in value]
    return value


def _need(doc: Any, keys: tuple[str, ...], source: Path) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ReportError(f"{source}: expected a JSON object")
    missing = [k for k in keys if k not in doc]
    if missing:
        raise ReportError(f"{source}: missing {', '.join(missing)}")
    return doc


def load_optimize(folder: Path) -> OptimizeView:
    source = folder / "optimize.json"
    keys = ("scenario", "objectives", "constraints", "best", "versus_input", "importances")
    doc = _need(read_json(source), (*keys, "base_seed", "reps"), source)
    return OptimizeView(
        scenario=str(doc["scenario"]),
        objectives=tuple(str(o["metric"]) for o in doc["objectives"]),
        constraints=tuple(ConstraintText.parse(str(c), source) for c in doc["constraints"]),
        trials=_rows(folder / "trials.csv"),
        front=_rows(folder / "front.csv", required=False),
        best=doc["best"],
        versus_input=_nan(doc["versus_input"] or {}),
        importances=doc["importances"] or {},
        base_seed=int(doc["base_seed"]),
        reps=int(doc["reps"]),
    )


def load_sensitivity(folder: Path) -> SensitivityView:
    source = folder / "sensitivity.json"
    keys = ("method", "scenario", "metrics", "samples", "reps", "base_seed", "skipped")
    doc = _need(read_json(source), keys, source)
    rows = _rows(folder / "indices.csv", required=not doc.get("interrupted", False))
    return SensitivityView(
        method=str(doc["method"]),
        scenario=str(doc["scenario"]),
        metrics=tuple(doc["metrics"]),
        samples=int(doc["samples"]),
        reps=int(doc["reps"]),
        base_seed=int(doc["base_seed"]),
        rows=rows,
        skipped=dict(doc["skipped"] or {}),
    )


def load_calibration(folder: Path) -> CalibrationView:
    source = folder / "calibration.json"
    doc = _need(read_json(source), ("scenario", "params", "fit"), source)
    return CalibrationView(str(doc["scenario"]), dict(doc["params"] or {}), _nan(list(doc["fit"])))


def render_decision(folder: Path) -> Path:
    """Draw the report page of a decision-run folder again into its report.html."""
    folder = Path(folder)
    kind = decision_kind(folder)
    if kind == "optimize":
        page = pages.optimize_page(load_optimize(folder))
    elif kind == "sensitivity":
        page = pages.sensitivity_page(load_sensitivity(folder))
    elif kind == "calibrate":
        page = pages.calibration_page(load_calibration(folder))
    else:
        raise ReportError(f"{folder}: not an optimize, sensitivity or calibrate folder")
    report = folder / REPORT_FILE
    report.write_text(page, encoding="utf-8")
    return report
