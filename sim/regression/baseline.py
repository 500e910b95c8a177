"""Baseline files: the replications a gate compares against, with the test settings,
each metric's margin and the power those give; and what moved when one is rewritten.

reports/baselines/<scenario stem>.json holds, per scenario, the base seed, the seeds,
every replication's value of every headline metric, and under "gate" the settings of
the test (family-wise alpha, equivalence alpha, target power). Each metric carries its
margin (the smallest shift that matters), where the margin came from, and the power.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import sim
from sim.contract import HEADLINE_METRICS
from sim.errors import UserError
from sim.experiment import compare, rep_seed
from sim.regression import stats
from sim.scenario import load_scenario, scenario_dict
from sim.version import package_version

PROJECT_ROOT = Path(sim.__file__).resolve().parents[1]
BASELINES_DIR = PROJECT_ROOT / "reports" / "baselines"
DEFAULT_SCENARIOS = ("smoke",)  # shipped names: what --update baselines when nothing is
BASE_SEED = 20_170_101
DEFAULT_REPS = 8
MARGIN_STATED, MARGIN_DEFAULT = "stated", "default: a shift of it fails with margin_power"


class BaselineError(UserError, ValueError):
    """A baseline is missing, unreadable or may not be written; one line for the user."""


@dataclass(frozen=True)
class GateSettings:
    """How the gate tests: stored in every baseline so a check uses what it was made with."""

    alpha: float = stats.ALPHA
    equivalence_alpha: float = stats.EQUIVALENCE_ALPHA
    target_power: float = stats.TARGET_POWER
    margin_power: float = stats.MARGIN_POWER
    coupled_r: float = stats.COUPLED_R
    correction: str = "holm"

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> GateSettings:
        """The settings of a baseline document (defaults for a baseline made before them)."""
        gate = doc.get("gate", {})
        known = {k: gate[k] for k in asdict(cls()) if k in gate}
        return cls(**known)


def scenario_hash(path: Path, overrides: Sequence[str] = ()) -> str:
    """SHA-256 of the resolved scenario, so a baseline knows what it was made from."""
    data = scenario_dict(load_scenario(path, overrides))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def display_path(path: Path) -> str:
    """The path relative to the checkout or the current folder when it lies inside one."""
    for root in (PROJECT_ROOT, Path.cwd()):
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            continue
    return str(path)


def baseline_path(baselines_dir: Path, scenario_file: Path) -> Path:
    """reports/baselines/<scenario file stem>.json"""
    return baselines_dir / f"{scenario_file.stem}.json"


def baseline_files(baselines_dir: Path) -> list[Path]:
    """Every baseline in the directory, sorted by name."""
    return sorted(baselines_dir.glob("*.json")) if baselines_dir.is_dir() else []


def headline() -> tuple[str, ...]:
    """The metrics the gate watches."""
    return HEADLINE_METRICS


def replicate(
    path: Path, reps: int, seed: int, overrides: Sequence[str], jobs: int | None
) -> dict[str, list[float]]:
    """Each headline metric's value in replications 0..reps-1 of ``seed``."""
    res = compare([path], reps, seed=seed, jobs=jobs, overrides=overrides)
    label = res.labels[0]
    return {m: list(res.values(m, label).values()) for m in headline()}


def spread(values: Sequence[float | None]) -> float:
    """Sample standard deviation of the finite values (NaN with fewer than two)."""
    x = np.asarray([math.nan if v is None else v for v in values], dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(x.std(ddof=1)) if x.size >= 2 else math.nan


def metric_entry(
    values: Sequence[float], reps: int, settings: GateSettings, family: int, margin: float | None
) -> dict[str, Any]:
    """One metric of a baseline: summary, every value, the margin and the power."""
    from sim.stats import mean_ci

    sd = spread(values)
    level = settings.alpha / family
    source = MARGIN_STATED
    if margin is None:
        source = MARGIN_DEFAULT
        margin = stats.default_margin(
            sd, reps, level, settings.equivalence_alpha, settings.margin_power
        )
    pw = stats.power(sd, reps, margin, level, settings.equivalence_alpha, settings.target_power)
    return {
        **mean_ci(values).as_dict(),
        "sd": _json(sd),
        "values": [_json(v) for v in values],
        "margin": margin,
        "margin_source": source,
        "power_at_margin": round(pw.power_at_margin, 4),
        "detectable_shift": _json(pw.detectable_shift),
        "reps_for_margin": pw.reps_for_margin,
    }


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None


def gate_doc(
    values: Mapping[str, Sequence[float]],
    reps: int,
    settings: GateSettings | None = None,
    margins: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The statistical part of a baseline: settings and, per metric, values, margin and
    power. ``margins`` names the metrics whose margin is stated; the others get the
    default."""
    settings = settings or GateSettings()
    family = len(values)
    stated = margins or {}
    return {
        "gate": {**asdict(settings), "family_size": family},
        "metrics": {
            m: metric_entry(v, reps, settings, family, stated.get(m)) for m, v in values.items()
        },
    }


def make_baseline(
    path: Path,
    reps: int,
    seed: int,
    overrides: Sequence[str] = (),
    jobs: int | None = None,
    settings: GateSettings | None = None,
    margins: Mapping[str, float] | None = None,
    scenario: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the replications of one scenario and return its baseline document;
    ``scenario`` records where the scenario came from (see sim.regression.locate)."""
    values = replicate(path, reps, seed, overrides, jobs)
    return {
        "scenario_file": display_path(path),
        **({"scenario": dict(scenario)} if scenario is not None else {}),
        "scenario_sha256": scenario_hash(path, overrides),
        "scenario_settings": scenario_dict(load_scenario(path, overrides)),
        "version": package_version(),
        "base_seed": seed,
        "reps": reps,
        "seeds": [rep_seed(seed, i) for i in range(reps)],
        "confidence": 0.95,
        **gate_doc(values, reps, settings, margins),
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


def stated_margins(doc: Mapping[str, Any] | None) -> dict[str, float]:
    """The margins a baseline's author stated, to keep when the baseline is rewritten."""
    if not doc:
        return {}
    return {
        m: float(e["margin"])
        for m, e in doc.get("metrics", {}).items()
        if e.get("margin_source") == MARGIN_STATED and e.get("margin") is not None
    }


def scenario_sources(path: Path) -> list[Path]:
    """The scenario file and every file it ``extends``, nearest first."""
    import tomllib

    from sim import shipped

    chain: list[Path] = []
    current: Path | None = path.resolve()
    while current is not None and current not in chain and current.is_file():
        chain.append(current)
        try:
            parent = tomllib.loads(current.read_text(encoding="utf-8")).get("extends")
        except (OSError, tomllib.TOMLDecodeError):
            parent = None
        if not isinstance(parent, str):
            break
        current = (current.parent / parent).resolve()
        current = current if current.is_file() else shipped.path_of(parent)
    return chain


def uncommitted(paths: Sequence[Path]) -> list[str]:
    """The scenario files behind ``paths`` (with what they extend) that git reports as
    modified or untracked; a file outside any repository, or without git, is not listed."""
    dirty = set()
    for source in {s for p in paths for s in scenario_sources(p)}:
        try:
            proc = subprocess.run(
                ["git", "status", "--porcelain", "--", source.name],
                cwd=source.parent, capture_output=True, text=True, check=False, timeout=30,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            continue
        if proc.returncode == 0 and proc.stdout.strip():
            dirty.add(display_path(source))
    return sorted(dirty)


def moves(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """What rewriting a baseline changes: settings, and each metric's mean by how much
    (also in units of its margin)."""
    name = new["scenario_file"]
    if not old:
        return [f"{name}: new baseline"]
    lines = [
        f"{name}: {key} {old.get(key)} -> {new.get(key)}"
        for key in ("reps", "base_seed", "scenario_sha256", "gate")
        if old.get(key) != new.get(key)
    ]
    for m, entry in new["metrics"].items():
        before = old.get("metrics", {}).get(m, {}).get("mean")
        lines.append(_metric_move(name, m, before, entry))
    return lines


def _metric_move(name: str, metric: str, before: float | None, entry: Mapping[str, Any]) -> str:
    after, margin = entry.get("mean"), entry.get("margin")
    if before is None or after is None:
        return f"{name} {metric}: mean {before} -> {after}"
    change = after - before
    if change == 0.0:
        return f"{name} {metric}: mean {after:.6g} unchanged"
    share = f", {change / margin:+.2f} margins" if margin else ""
    return f"{name} {metric}: mean {before:.6g} -> {after:.6g} ({change:+.4g}{share})"
