"""Reads a run, compare or sweep folder into one typed record for the report.

A folder holding ``comparison.json`` is a comparison, a sweep when it also holds
``sweep.json`` (or parameter columns in ``runs.csv``); a folder holding
``summary.json`` is a single run. Per-run folders below an experiment are found by
globbing for ``summary.json`` and matched to their scenario label by folder name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from reports.wording import is_number
from sim.contract import safe_name
from sim.errors import UserError

Kind = Literal["run", "compare", "sweep"]
Stats = dict[str, dict[str, dict[str, Any]]]
_RUN_COLUMNS = {"scenario", "rep", "seed", "label", "wall_s", "version", "point"}


class ReportError(UserError, ValueError):
    """The folder cannot be reported on; the message is one line for the user."""


@dataclass(frozen=True)
class RunData:
    """One replication's outputs: its summary, daily series and notice trace."""

    label: str
    rep: int
    seed: int
    path: Path
    summary: dict[str, Any]
    daily: pd.DataFrame
    notices: pd.DataFrame


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, whatever kind of folder it came from.

    ``stats[metric][label]`` holds mean/ci_low/ci_high per strategy (or sweep point);
    ``differences[metric][label]`` the same against ``baseline`` plus ``significant``.
    """

    kind: Kind
    folder: Path
    labels: list[str]
    baseline: str
    stats: Stats
    differences: Stats
    runs: list[RunData]
    scenarios: dict[str, dict[str, Any]]
    provenance: dict[str, Any]
    reps: int
    sweep_params: dict[str, list[Any]] = field(default_factory=dict)
    point_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def short_keys(self) -> dict[str, str]:
        """Swept key -> its last part (``pool_size``), the full key where two would clash."""
        lasts = [k.rsplit(".", 1)[-1] for k in self.sweep_params]
        return {
            k: last if lasts.count(last) == 1 else k
            for k, last in zip(self.sweep_params, lasts, strict=True)
        }

    def name(self, label: str) -> str:
        """A short display name: ``pool_size=2, sweep_recall=0.1`` for a sweep point."""
        params = self.point_params.get(label)
        if self.kind != "sweep" or not params:
            return label
        short = self.short_keys()
        return ", ".join(f"{short.get(k, k)}={v}" for k, v in params.items())


def read_json(path: Path) -> Any:
    """A JSON file, or a ReportError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not readable JSON ({exc})") from None


NOTICE_COLUMNS = {
    "t_h",
    "listings",
    "listings_removed",
    "removed_at_h",
    "decided_at_h",
    "channel",
    "valid",
}


def _read_csv(path: Path, columns: set[str] | None = None) -> pd.DataFrame:
    """A CSV as a DataFrame (only ``columns`` when given); empty when the file is absent."""
    if not path.is_file():
        return pd.DataFrame()
    try:
        if columns is not None:
            return pd.read_csv(path, usecols=lambda c: c in columns)
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not a readable CSV ({exc})") from None


def detect_kind(folder: Path) -> Kind:
    """``run``, ``compare`` or ``sweep``; a ReportError when it is none of them."""
    if not folder.exists():
        raise ReportError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a folder")
    if (folder / "comparison.json").is_file():
        if (folder / "sweep.json").is_file() or _param_columns(_read_csv(folder / "runs.csv")):
            return "sweep"
        return "compare"
    if (folder / "summary.json").is_file():
        return "run"
    raise ReportError(
        f"{folder}: not a run, compare or sweep folder (no summary.json or comparison.json)"
    )


def load(folder: Path) -> ReportData:
    """Read ``folder`` (any kind) into a ReportData."""
    folder = Path(folder)
    kind = detect_kind(folder)
    if kind == "run":
        return _load_run_folder(folder)
    return _load_experiment(folder, kind)


# --------------------------------------------------------------------------- single runs


def read_run(path: Path, label: str | None = None, rep: int = 0) -> RunData:
    """One run folder (summary.json, daily.csv, notices.csv)."""
    summary = read_json(path / "summary.json")
    if not isinstance(summary, dict) or not isinstance(summary.get("metrics"), dict):
        raise ReportError(f"{path / 'summary.json'}: has no 'metrics' object")
    name = label or str(summary.get("scenario", {}).get("scenario", {}).get("name", path.name))
    seed = summary.get("seed")
    return RunData(
        label=name,
        rep=rep,
        seed=int(seed) if is_number(seed) else -1,
        path=path,
        summary=summary,
        daily=_read_csv(path / "daily.csv"),
        notices=_read_csv(path / "notices.csv", NOTICE_COLUMNS),
    )


def _point(value: Any) -> dict[str, Any]:
    number = float(value) if is_number(value) else math.nan
    return {"mean": number, "ci_low": math.nan, "ci_high": math.nan}


PROVENANCE_FILE = "provenance.json"


def write_provenance(folder: Path, command: Sequence[str]) -> None:
    """Record the command line that made a run folder (summary.json does not hold it)."""
    text = json.dumps({"command": [str(c) for c in command]}, indent=2)
    (folder / PROVENANCE_FILE).write_text(text + "\n", encoding="utf-8")


def _load_run_folder(folder: Path) -> ReportData:
    run = read_run(folder)
    metrics = run.summary["metrics"]
    stats = {m: {run.label: _point(v)} for m, v in metrics.items()}
    extra = folder / PROVENANCE_FILE
    recorded = read_json(extra) if extra.is_file() else {}
    provenance = {
        "version": run.summary.get("version"),
        "seeds": [run.seed],
        "command": recorded.get("command") if isinstance(recorded, dict) else None,
    }
    scenario = run.summary.get("scenario", {})
    return ReportData(
        kind="run",
        folder=folder,
        labels=[run.label],
        baseline=run.label,
        stats=stats,
        differences={},
        runs=[run],
        scenarios={run.label: scenario if isinstance(scenario, dict) else {}},
        provenance=provenance,
        reps=1,
    )


# --------------------------------------------------------------------------- experiments


def _param_columns(runs: pd.DataFrame) -> list[str]:
    """Sweep parameter columns of runs.csv: dotted scenario keys."""
    return [str(c) for c in runs.columns if "." in str(c) and str(c) not in _RUN_COLUMNS]


def _baseline(comparison: Mapping[str, Any], labels: Sequence[str]) -> str:
    named = comparison.get("baseline") or comparison.get("control")
    if isinstance(named, str) and named in labels:
        return named
    diffs = comparison.get("differences") or {}
    compared: set[str] = set()
    for per_label in diffs.values():
        if isinstance(per_label, dict):
            compared |= set(per_label)
    missing = [lbl for lbl in labels if lbl not in compared]
    return missing[0] if len(missing) == 1 else labels[0]


def _safe_names(labels: Sequence[str]) -> dict[str, str]:
    """Folder name -> label, using the experiment's own naming rule when available."""
    return {safe_name(lbl): lbl for lbl in labels}


def _rep_number(path: Path) -> int:
    digits = "".join(ch for ch in path.name if ch.isdigit())
    return int(digits) if digits else 0


def discover_runs(folder: Path, labels: Sequence[str]) -> list[RunData]:
    """Every run folder below ``folder``, labelled by its parent folder's name."""
    by_dir = _safe_names(labels)
    runs = []
    for path in sorted(folder.glob("**/summary.json")):
        run_dir = path.parent
        if run_dir == folder or any(part.startswith(".") for part in run_dir.parts[-2:]):
            continue
        label = by_dir.get(run_dir.parent.name) or by_dir.get(run_dir.name)
        if label is None:
            continue
        runs.append(read_run(run_dir, label, _rep_number(run_dir)))
    return sorted(runs, key=lambda r: (labels.index(r.label), r.rep))


def _scenarios(experiment: Mapping[str, Any], runs: Sequence[RunData]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    listed = experiment.get("scenarios")
    if isinstance(listed, list):
        for item in listed:
            if isinstance(item, dict) and isinstance(item.get("label"), str):
                resolved = item.get("resolved") or item.get("scenario") or {}
                out[item["label"]] = resolved
    elif isinstance(listed, dict):
        for key, item in listed.items():
            if isinstance(item, dict):
                out[str(key)] = item.get("resolved") or item.get("scenario") or item
    for run in runs:
        out.setdefault(run.label, run.summary.get("scenario", {}))
    return out


def _sweep_params(
    folder: Path, runs_table: pd.DataFrame, labels: Sequence[str]
) -> tuple[dict[str, list[Any]], dict[str, dict[str, Any]]]:
    """The swept keys with their values, and each point's parameter values."""
    sweep = read_json(folder / "sweep.json") if (folder / "sweep.json").is_file() else {}
    points: dict[str, dict[str, Any]] = {}
    raw_points = sweep.get("points")
    if isinstance(raw_points, list):
        for item in raw_points:
            if isinstance(item, dict) and isinstance(item.get("label"), str):
                points[item["label"]] = dict(item.get("params") or {})
    grid = sweep.get("grid")
    if not isinstance(grid, dict):
        keys = sweep.get("parameters")
        keys = keys if isinstance(keys, list) else []
        grid = {k: list(dict.fromkeys(p.get(k) for p in points.values())) for k in keys}
    columns = _param_columns(runs_table)
    if not grid and columns:
        grid = {c: list(dict.fromkeys(runs_table[c].tolist())) for c in columns}
    if not points and columns and "scenario" in runs_table:
        first = runs_table.drop_duplicates("scenario")
        for _, row in first.iterrows():
            points[str(row["scenario"])] = {c: _plain(row[c]) for c in columns}
    if not points:
        for lbl in labels:
            points[lbl] = dict(_parse_label(lbl))
    return {str(k): [_plain(v) for v in vals] for k, vals in grid.items()}, points


def _plain(value: Any) -> Any:
    """numpy scalars to Python ones, so values compare and print plainly."""
    return value.item() if hasattr(value, "item") else value


def _parse_label(label: str) -> list[tuple[str, Any]]:
    """``a.b=1 c.d=x`` back into pairs (the experiment's point-label format)."""
    pairs = []
    for part in label.split():
        key, _, raw = part.partition("=")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        pairs.append((key, value))
    return pairs


def _load_experiment(folder: Path, kind: Kind) -> ReportData:
    comparison = read_json(folder / "comparison.json")
    labels = [str(s) for s in comparison.get("scenarios", [])]
    if not labels:
        raise ReportError(f"{folder / 'comparison.json'}: lists no scenarios")
    experiment_path = folder / "experiment.json"
    experiment = read_json(experiment_path) if experiment_path.is_file() else {}
    runs = discover_runs(folder, labels)
    runs_table = _read_csv(folder / "runs.csv")
    sweep_params: dict[str, list[Any]] = {}
    point_params: dict[str, dict[str, Any]] = {}
    if kind == "sweep":
        sweep_params, point_params = _sweep_params(folder, runs_table, labels)
    return ReportData(
        kind=kind,
        folder=folder,
        labels=labels,
        baseline=_baseline(comparison, labels),
        stats=comparison.get("metrics") or {},
        differences=comparison.get("differences") or {},
        runs=runs,
        scenarios=_scenarios(experiment, runs),
        provenance=_provenance(experiment, comparison, runs),
        reps=int(comparison.get("reps") or experiment.get("reps") or 0),
        sweep_params=sweep_params,
        point_params=point_params,
    )


def _provenance(
    experiment: Mapping[str, Any], comparison: Mapping[str, Any], runs: Sequence[RunData]
) -> dict[str, Any]:
    seeds = experiment.get("seeds")
    if seeds is None:
        seeds = sorted({r.seed for r in runs})
    versions = sorted({str(r.summary.get("version")) for r in runs if r.summary.get("version")})
    return {
        "version": experiment.get("version") or comparison.get("version") or ", ".join(versions),
        "seeds": seeds,
        "base_seed": experiment.get("base_seed") or experiment.get("seed"),
        "command": experiment.get("command") or experiment.get("command_line"),
        "files": _files(experiment),
        "backend": experiment.get("backend"),
        "reps": comparison.get("reps") or experiment.get("reps"),
        "interrupted": bool(experiment.get("interrupted")),
        "runs_finished": experiment.get("runs_finished"),
    }


def _files(experiment: Mapping[str, Any]) -> list[str]:
    listed = experiment.get("scenarios")
    files: list[str] = []
    if isinstance(listed, list):
        for item in listed:
            if isinstance(item, dict):
                src = item.get("source") or item.get("file") or item.get("path")
                if src:
                    files.append(str(src))
    extra = experiment.get("scenario_files") or experiment.get("files")
    if isinstance(extra, list):
        files.extend(str(f) for f in extra)
    return list(dict.fromkeys(files))
