"""Writing one run to disk: summary.json, daily.csv, notices.csv and, when asked, the
Parquet event log. Same result, same bytes: keys sorted, floats in one fixed format.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

FLOAT_DIGITS = 10  # significant digits kept in every written float


def _clean(value: Any) -> Any:
    """JSON-ready value: floats rounded to FLOAT_DIGITS significant digits, NaN -> null."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.{FLOAT_DIGITS}g}")
    return value


def summary_text(summary: Mapping[str, Any]) -> str:
    """The summary as stable JSON text (sorted keys, rounded floats, trailing newline)."""
    return json.dumps(_clean(summary), sort_keys=True, indent=2, allow_nan=False) + "\n"


def _format_column(values: np.ndarray) -> list[str]:
    if values.dtype == bool:
        return ["true" if v else "false" for v in values.tolist()]
    if values.dtype.kind in "iu":
        return [str(v) for v in values.tolist()]
    if values.dtype.kind == "f":
        return ["" if not math.isfinite(v) else f"{v:.{FLOAT_DIGITS}g}" for v in values.tolist()]
    return [str(v) for v in values.tolist()]


def table_csv(columns: Mapping[str, np.ndarray]) -> str:
    """Columns as CSV text with a header row; empty cells for NaN."""
    names = list(columns)
    cells = [_format_column(np.asarray(columns[n])) for n in names]
    lines = [",".join(names)]
    lines.extend(",".join(row) for row in zip(*cells, strict=True))
    return "\n".join(lines) + "\n"


def write_events(events: Mapping[str, np.ndarray], path: Path) -> None:
    """The event log as one Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = {}
    for name, col in events.items():
        values = np.asarray(col)
        if values.dtype == object:  # labels: stored as dictionary-encoded strings
            arrays[name] = pa.array(values.astype(str)).dictionary_encode()
        else:
            arrays[name] = pa.array(values)
    table = pa.table(arrays)
    pq.write_table(table, path)


def write_run(result: Any, out_dir: Path, events_path: Path | None = None) -> None:
    """Write a RunResult's summary.json, daily.csv, notices.csv (and events when asked)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(summary_text(result.summary()), encoding="utf-8")
    (out_dir / "daily.csv").write_text(table_csv(result.daily), encoding="utf-8")
    (out_dir / "notices.csv").write_text(table_csv(result.notices), encoding="utf-8")
    if events_path is not None:
        if result.events is None:
            raise ValueError("this run kept no event log; run it with events=True")
        write_events(result.events, Path(events_path))


def read_summary(out_dir: Path) -> dict[str, Any]:
    """summary.json of a run folder (null metrics come back as NaN)."""
    data: dict[str, Any] = json.loads((Path(out_dir) / "summary.json").read_text("utf-8"))
    metrics = data.get("metrics", {})
    data["metrics"] = {k: (math.nan if v is None else v) for k, v in metrics.items()}
    return data
