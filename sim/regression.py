"""The regression gate: seeded replications of the smoke scenarios compared with
baselines committed under reports/baselines/.

A baseline records, per scenario, the base seed, the replication count, the seeds and
the mean and 95% CI of every headline metric. ``check`` reruns exactly those seeds, so
unchanged code reproduces every mean bit for bit; a metric whose new mean leaves the
baseline's confidence band has moved, and the gate fails.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import sim
from sim.contract import HEADLINE_METRICS
from sim.errors import UserError
from sim.experiment import compare, rep_seed
from sim.experiment.writers import write_json
from sim.scenario import load_scenario, scenario_dict

PROJECT_ROOT = Path(sim.__file__).resolve().parents[1]
BASELINES_DIR = PROJECT_ROOT / "reports" / "baselines"
DEFAULT_SCENARIOS = ("scenarios/smoke.toml",)
BASE_SEED = 20_170_101
DEFAULT_REPS = 8
# float noise allowance around a band, relative to the metric's scale
_FLOAT_SLACK = 1e-9


class BaselineError(UserError, ValueError):
    """A baseline is missing or unreadable; the message is one line for the user."""


@dataclass(frozen=True)
class MetricCheck:
    """One headline metric of one scenario against its baseline band."""

    scenario: str
    metric: str
    baseline_mean: float
    ci_low: float
    ci_high: float
    mean: float

    @property
    def moved(self) -> bool:
        """True when the new mean lies outside the baseline band (NaN must stay NaN)."""
        if not math.isfinite(self.baseline_mean):
            return math.isfinite(self.mean)
        if not math.isfinite(self.mean):
            return True
        low, high = self.ci_low, self.ci_high
        if not (math.isfinite(low) and math.isfinite(high)):
            low = high = self.baseline_mean
        slack = _FLOAT_SLACK * max(1.0, abs(self.baseline_mean))
        return not (low - slack <= self.mean <= high + slack)

    @property
    def change(self) -> float:
        """New mean minus baseline mean."""
        return self.mean - self.baseline_mean


@dataclass(frozen=True)
class CheckReport:
    """Result of the gate: one entry per scenario x headline metric, and notes."""

    checks: tuple[MetricCheck, ...]
    notes: tuple[str, ...] = ()
    wall_s: float = 0.0
    updated: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def moved(self) -> tuple[MetricCheck, ...]:
        """The checks that left their band."""
        return tuple(c for c in self.checks if c.moved)

    @property
    def passed(self) -> bool:
        """True when nothing moved."""
        return not self.moved


def scenario_hash(path: Path, overrides: Sequence[str] = ()) -> str:
    """SHA-256 of the resolved scenario, so a baseline knows what it was made from."""
    data = scenario_dict(load_scenario(path, overrides))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _resolve(path_text: str) -> Path:
    path = Path(path_text)
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path


def baseline_path(baselines_dir: Path, scenario_file: Path) -> Path:
    """reports/baselines/<scenario file stem>.json"""
    return baselines_dir / f"{scenario_file.stem}.json"


def _headline() -> tuple[str, ...]:
    return HEADLINE_METRICS


def _replicate(path: Path, reps: int, seed: int, overrides: Sequence[str], jobs: int | None):
    return compare([path], reps, seed=seed, jobs=jobs, overrides=overrides)


def make_baseline(
    path: Path, reps: int, seed: int, overrides: Sequence[str] = (), jobs: int | None = None
) -> dict[str, Any]:
    """Run the replications of one scenario and return its baseline document."""
    res = _replicate(path, reps, seed, overrides, jobs)
    label = res.labels[0]
    metrics = {}
    for m in _headline():
        iv = res.interval(m, label)
        metrics[m] = {**iv.as_dict(), "values": list(res.values(m, label).values())}
    return {
        "scenario_file": _display_path(path),
        "scenario_sha256": scenario_hash(path, overrides),
        "version": res.version,
        "base_seed": seed,
        "reps": reps,
        "seeds": [rep_seed(seed, i) for i in range(reps)],
        "confidence": 0.95,
        "metrics": metrics,
    }


def load_baseline(path: Path) -> dict[str, Any]:
    """Read one baseline file; BaselineError when missing or malformed."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: no baseline; create it with 'takedown check --update'"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: unreadable baseline: {exc}") from None
    for key in ("scenario_file", "base_seed", "reps", "metrics"):
        if key not in doc:
            raise BaselineError(f"{path}: baseline lacks '{key}'")
    return doc


def _nan(value: Any) -> float:
    return math.nan if value is None else float(value)


def check_one(
    baseline: dict[str, Any], overrides: Sequence[str], jobs: int | None
) -> tuple[list[MetricCheck], list[str]]:
    """Rerun one baseline's seeds and compare each headline metric with its band."""
    path = _resolve(baseline["scenario_file"])
    notes = []
    if baseline.get("scenario_sha256") != scenario_hash(path, overrides):
        notes.append(f"{baseline['scenario_file']}: scenario differs from the baseline's")
    res = _replicate(path, int(baseline["reps"]), int(baseline["base_seed"]), overrides, jobs)
    label = res.labels[0]
    checks = []
    for m in _headline():
        band = baseline["metrics"].get(m)
        if band is None:
            notes.append(f"{baseline['scenario_file']}: baseline has no '{m}'")
            continue
        mean = res.interval(m, label).mean
        checks.append(
            MetricCheck(
                label, m, _nan(band["mean"]), _nan(band["ci_low"]), _nan(band["ci_high"]), mean
            )
        )
    return checks, notes


def baseline_files(baselines_dir: Path) -> list[Path]:
    """Every baseline in the directory, sorted by name."""
    return sorted(baselines_dir.glob("*.json")) if baselines_dir.is_dir() else []


def check(
    scenarios: Sequence[Path] = (),
    *,
    baselines_dir: Path = BASELINES_DIR,
    update: bool = False,
    overrides: Sequence[str] = (),
    jobs: int | None = None,
    reps: int = DEFAULT_REPS,
) -> CheckReport:
    """Run the gate. Without ``scenarios``: every baseline in the directory (or the
    default smoke scenarios when there is none). ``update`` rewrites the baselines."""
    start = time.perf_counter()
    if update:
        paths = list(scenarios) or _baselined_scenarios(baselines_dir)
        baselines_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for path in paths:
            doc = make_baseline(_resolve(str(path)), reps, BASE_SEED, overrides, jobs)
            target = baseline_path(baselines_dir, Path(path))
            write_json(target, doc)
            written.append(target)
        return CheckReport((), (), time.perf_counter() - start, tuple(written))
    if scenarios:
        files = [baseline_path(baselines_dir, Path(p)) for p in scenarios]
    else:
        files = baseline_files(baselines_dir)
        if not files:
            raise BaselineError(
                f"{baselines_dir}: no baselines; create them with 'takedown check --update'"
            )
    checks: list[MetricCheck] = []
    notes: list[str] = []
    for f in files:
        got, more = check_one(load_baseline(f), overrides, jobs)
        checks.extend(got)
        notes.extend(more)
    return CheckReport(tuple(checks), tuple(notes), time.perf_counter() - start)


def _baselined_scenarios(baselines_dir: Path) -> list[Path]:
    files = baseline_files(baselines_dir)
    if not files:
        return [Path(p) for p in DEFAULT_SCENARIOS]
    return [Path(load_baseline(f)["scenario_file"]) for f in files]


def junit_xml(report: CheckReport) -> str:
    """The gate as JUnit XML: one testcase per scenario x headline metric."""
    suite = ET.Element(
        "testsuite",
        name="takedown check",
        tests=str(len(report.checks)),
        failures=str(len(report.moved)),
        errors="0",
        time=f"{report.wall_s:.3f}",
    )
    for c in report.checks:
        case = ET.SubElement(suite, "testcase", classname=f"check.{c.scenario}", name=c.metric)
        if c.moved:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{c.metric} moved: {c.mean:.6g} outside [{c.ci_low:.6g}, {c.ci_high:.6g}]",
                type="MetricMoved",
            )
            failure.text = f"baseline mean {c.baseline_mean!r}, new mean {c.mean!r}"
    if report.notes:
        ET.SubElement(suite, "system-out").text = "\n".join(report.notes)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
