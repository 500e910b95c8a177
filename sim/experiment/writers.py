"""Experiment outputs: comparison.json, runs.csv, runs.parquet, experiment.json, sweep.json.

The run folders themselves (runs/<label>/rep-NNN/) are written while the experiment runs;
these files summarise them. Floats are written with Python's shortest round-trip repr, so
the same rows give the same bytes.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.experiment.result import ExperimentResult
from sim.scenario import scenario_dict


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    return str(value)


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def write_json(path: Path, document: Any) -> None:
    """Indented JSON, NaN as null, newline at the end."""
    text = json.dumps(_json_ready(document), indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def write_runs_csv(result: ExperimentResult, path: Path) -> None:
    """The tidy runs table as CSV (empty cell for a metric with no data)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow([_cell(row[c]) for c in result.columns])


def write_runs_parquet(result: ExperimentResult, path: Path) -> None:
    """The tidy runs table as Parquet (typed columns, nulls for missing metrics)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = {}
    for col in result.columns:
        values = [row[col] for row in result.rows]
        if col in result.metric_names:
            values = [v if math.isfinite(v) else None for v in values]
            data[col] = pa.array(values, type=pa.float64())
        elif col in result.parameters and len({type(v) for v in values}) > 1:
            data[col] = pa.array([str(v) for v in values])
        else:
            data[col] = pa.array(values)
    pq.write_table(pa.table(data), path)


def provenance(result: ExperimentResult, command: Sequence[str] | None) -> dict[str, Any]:
    """experiment.json: what ran, how, with which seeds, and how long it took."""
    reps = sorted({r["rep"] for r in result.rows})
    seeds = {r["rep"]: r["seed"] for r in result.rows}
    return {
        "kind": result.kind,
        "version": result.version,
        "command": list(command) if command is not None else None,
        "scenarios": [
            {
                "label": p.label,
                "file": p.source,
                "params": dict(p.params),
                "scenario": scenario_dict(p.scenario),
            }
            for p in result.points
        ],
        "parameters": list(result.parameters),
        "base_seed": result.base_seed,
        "reps": result.reps,
        "reps_requested": result.requested,
        "seeds": [seeds[r] for r in reps],
        "runs_finished": len(result.rows),
        "interrupted": result.interrupted,
        "backend": result.backend,
        "jobs": result.jobs,
        "wall_s": round(result.wall_s, 3),
    }


def sweep_document(result: ExperimentResult) -> dict[str, Any]:
    """sweep.json: the design points with their parameters and metric statistics."""
    comp = result.comparison()
    return {
        "parameters": list(result.parameters),
        "reps": result.reps,
        "points": [
            {
                "label": p.label,
                "params": dict(p.params),
                "metrics": {m: comp["metrics"][m][p.label] for m in result.metric_names},
            }
            for p in result.points
        ],
    }


def write_outputs(
    result: ExperimentResult, out_dir: Path, command: Sequence[str] | None = None
) -> None:
    """Every summary file of an experiment into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "comparison.json", result.comparison())
    write_runs_csv(result, out_dir / "runs.csv")
    if result.rows:
        write_runs_parquet(result, out_dir / "runs.parquet")
    write_json(out_dir / "experiment.json", provenance(result, command))
    if result.kind == "sweep":
        write_json(out_dir / "sweep.json", sweep_document(result))
