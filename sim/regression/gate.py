"""The regression gate: rerun each baseline's seeds, test every headline metric's shift,
hold the family-wise false-alarm rate with Holm's correction, and judge each shift
against the metric's margin (see sim.regression.stats for the rule)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim import shipped
from sim.experiment.writers import write_json
from sim.regression import baseline as bl
from sim.regression import locate, stats
from sim.regression.drift import drift_notes
from sim.scenario import load_scenario, scenario_dict
from sim.scenario_files import resolve


@dataclass(frozen=True)
class MetricCheck:
    """One headline metric of one scenario against its baseline.

    ``shift`` is the new mean minus the baseline's, ``ci_low``/``ci_high`` its interval
    at 1 - 2 x the equivalence alpha, ``p_adjusted`` the p-value after Holm's
    correction, ``power`` the baseline's stated probability of failing a shift of the
    margin when the draws change (a lower bound when they are shared).
    """

    scenario: str
    metric: str
    baseline_mean: float
    mean: float
    test: str
    shift: float
    ci_low: float
    ci_high: float
    p_value: float
    margin: float
    power: float
    detectable_shift: float = math.nan
    reps_for_margin: int = 0
    reps: int = 0
    p_adjusted: float = math.nan
    verdict: str = stats.FAIL

    @property
    def failed(self) -> bool:
        """True when the metric fails the gate."""
        return self.verdict == stats.FAIL


@dataclass(frozen=True)
class CheckReport:
    """Result of the gate: one entry per scenario x headline metric, and notes."""

    checks: tuple[MetricCheck, ...]
    notes: tuple[str, ...] = ()
    wall_s: float = 0.0
    updated: tuple[Path, ...] = field(default_factory=tuple)
    alpha: float = stats.ALPHA
    moves: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[MetricCheck, ...]:
        """The checks that fail."""
        return tuple(c for c in self.checks if c.failed)

    @property
    def passed(self) -> bool:
        """True when no metric fails."""
        return not self.failed


def _nan(value: Any) -> float:
    return math.nan if value is None else float(value)


def compare_values(
    scenario: str,
    doc: Mapping[str, Any],
    values: Mapping[str, Sequence[float]],
    same_seeds: bool,
) -> tuple[list[MetricCheck], list[str]]:
    """Test each headline metric's new replications against the baseline's (unadjusted)."""
    settings = bl.GateSettings.from_doc(doc)
    checks, notes = [], []
    for m, new in values.items():
        entry = doc["metrics"].get(m)
        if entry is None or "values" not in entry:
            notes.append(f"{doc['scenario_file']}: baseline has no values of '{m}'")
            continue
        base = [_nan(v) for v in entry["values"]]
        t = stats.shift_test(
            new, base, same_seeds, settings.equivalence_alpha, settings.coupled_r
        )  # fmt: skip
        checks.append(_metric_check(scenario, m, entry, new, t, int(doc["reps"])))
    return checks, notes


def _metric_check(
    scenario: str,
    metric: str,
    entry: Mapping[str, Any],
    new: Sequence[float],
    t: stats.ShiftTest,
    reps: int,
) -> MetricCheck:
    finite = [v for v in new if math.isfinite(v)]
    return MetricCheck(
        scenario, metric, _nan(entry.get("mean")),
        sum(finite) / len(finite) if finite else math.nan,
        t.test, t.shift, t.ci_low, t.ci_high, t.p_value,
        _nan(entry.get("margin")), _nan(entry.get("power_at_margin")),
        _nan(entry.get("detectable_shift")), int(entry.get("reps_for_margin") or 0), reps,
    )  # fmt: skip


def judge(checks: Sequence[MetricCheck], alpha: float) -> tuple[MetricCheck, ...]:
    """Holm's correction across the whole family, then each metric's verdict."""
    adjusted = stats.holm([c.p_value for c in checks])
    out = []
    for c, p in zip(checks, adjusted, strict=True):
        t = stats.ShiftTest(c.test, c.shift, c.ci_low, c.ci_high, c.p_value)
        margin = c.margin if math.isfinite(c.margin) else 0.0
        out.append(replace(c, p_adjusted=p, verdict=stats.verdict(t, p, margin, alpha)))
    return tuple(out)


def check_one(
    doc: Mapping[str, Any], baselines_dir: Path, overrides: Sequence[str], jobs: int | None
) -> tuple[list[MetricCheck], list[str]]:
    """Rerun one baseline's seeds and test each headline metric (before correction)."""
    path = locate.scenario_of(doc, baselines_dir)
    notes = []
    if "scenario_settings" in doc:
        now = scenario_dict(load_scenario(path, overrides))
        notes.extend(drift_notes(doc["scenario_file"], doc["scenario_settings"], now))
    elif doc.get("scenario_sha256") != bl.scenario_hash(path, overrides):
        notes.append(
            f"{doc['scenario_file']}: scenario differs from the baseline's (a baseline made "
            "before settings were recorded: 'takedown check --update' records them)"
        )
    values = bl.replicate(path, int(doc["reps"]), int(doc["base_seed"]), overrides, jobs)
    checks, more = compare_values(path.stem, doc, values, same_seeds=True)
    return checks, notes + more


def check(
    scenarios: Sequence[Path] = (),
    *,
    baselines_dir: Path = bl.BASELINES_DIR,
    overrides: Sequence[str] = (),
    jobs: int | None = None,
) -> CheckReport:
    """Run the gate on the named scenarios' baselines, or on every baseline there is."""
    start = time.perf_counter()
    if scenarios:
        files = [bl.baseline_path(baselines_dir, Path(p)) for p in scenarios]
    else:
        files = bl.baseline_files(baselines_dir)
        if not files:
            raise bl.BaselineError(
                f"{baselines_dir}: no baselines; create them with 'takedown check --update'"
            )
    docs = [bl.load_baseline(f) for f in files]
    alphas = {bl.GateSettings.from_doc(d).alpha for d in docs}
    alpha = min(alphas)
    checks: list[MetricCheck] = []
    notes = []
    if len(alphas) > 1:
        notes.append(f"baselines state different alphas {sorted(alphas)}; using {alpha}")
    for doc in docs:
        got, more = check_one(doc, baselines_dir, overrides, jobs)
        checks.extend(got)
        notes.extend(more)
    judged = judge(checks, alpha)
    return CheckReport(judged, tuple(notes), time.perf_counter() - start, alpha=alpha)


def update(
    scenarios: Sequence[Path] = (),
    *,
    baselines_dir: Path = bl.BASELINES_DIR,
    overrides: Sequence[str] = (),
    jobs: int | None = None,
    reps: int = bl.DEFAULT_REPS,
    settings: bl.GateSettings | None = None,
    margins: Mapping[str, float] | None = None,
    force: bool = False,
) -> CheckReport:
    """Rewrite baselines on purpose; refuses while scenario files have uncommitted
    changes (a baseline should come from a committed scenario) unless ``force``.
    Stated margins of the old baseline are kept unless ``margins`` restates them."""
    start = time.perf_counter()
    paths = [resolve(p) for p in scenarios] or _baselined_scenarios(baselines_dir)
    dirty = bl.uncommitted(paths)
    if dirty and not force:
        raise bl.BaselineError(
            f"uncommitted scenario changes ({', '.join(dirty)}): commit them first, or pass --force"
        )
    _check_margin_names(margins or {})
    baselines_dir.mkdir(parents=True, exist_ok=True)
    written, moved = [], []
    for path in paths:
        target = bl.baseline_path(baselines_dir, path)
        old = bl.load_baseline(target) if target.exists() else None
        keep = {**bl.stated_margins(old), **(margins or {})}
        record = locate.scenario_record(path, baselines_dir)
        doc = bl.make_baseline(path, reps, bl.BASE_SEED, overrides, jobs, settings, keep, record)
        write_json(target, doc)
        written.append(target)
        moved.extend(bl.moves(old, doc))
    notes = tuple(f"forced despite uncommitted changes: {d}" for d in dirty)
    return CheckReport(
        (), notes, time.perf_counter() - start, tuple(written), moves=tuple(moved)
    )  # fmt: skip


def _check_margin_names(margins: Mapping[str, float]) -> None:
    known = bl.headline()
    for name, value in margins.items():
        if name not in known:
            raise bl.BaselineError(f"margin {name}: not a headline metric ({', '.join(known)})")
        if not (math.isfinite(value) and value > 0.0):
            raise bl.BaselineError(f"margin {name}={value}: must be a number > 0")


def _baselined_scenarios(baselines_dir: Path) -> list[Path]:
    files = bl.baseline_files(baselines_dir)
    if not files:
        return [p for p in map(shipped.path_of, bl.DEFAULT_SCENARIOS) if p is not None]
    return [locate.scenario_of(bl.load_baseline(f), baselines_dir) for f in files]
