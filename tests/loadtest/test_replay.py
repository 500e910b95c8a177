"""Replaying a notice trace: reading, checking and scheduling it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loadtest.replay import TraceError, load_trace, per_minute_counts, replay_schedule

HEADER = "t_h,brand_id,listings,valid,channel,decided_at_h,removed_at_h\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "notices.csv"
    path.write_text(HEADER + body)
    return path


def test_trace_rows_are_sorted_and_typed(tmp_path: Path) -> None:
    path = _write(tmp_path, "1.5,3,2,true,notice,2.0,2.0\n0.5,1,1,0,notice,,\n")
    trace = load_trace(path)
    assert trace.t_h.tolist() == [0.5, 1.5]
    assert trace.brand_id.tolist() == [1, 3]
    assert trace.valid.tolist() == [False, True]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("x,1,1,true,notice,,\n", "notices.csv:2: t_h, brand_id and listings must be numbers"),
        ("0.1,1,1,maybe,notice,,\n", "notices.csv:2: valid: bad value 'maybe'"),
        ("0.1,1,0,true,notice,,\n", "listings >= 1"),
    ],
)
def test_bad_rows_name_the_line(tmp_path: Path, body: str, needle: str) -> None:
    with pytest.raises(TraceError, match=needle):
        load_trace(_write(tmp_path, body))


def test_missing_columns_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "n.csv"
    bad.write_text("t_h,brand_id\n1,2\n")
    with pytest.raises(TraceError, match="missing column"):
        load_trace(bad)
    with pytest.raises(TraceError, match="file not found"):
        load_trace(tmp_path / "none.csv")


def test_schedule_splits_rows_among_workers_and_scales_time(tmp_path: Path) -> None:
    rows = "".join(f"{10 + i / 60},{i % 3},1,true,notice,,\n" for i in range(10))
    trace = load_trace(_write(tmp_path, rows))
    parts = [replay_schedule(trace, 60.0, 100.0, k, (0, 1, 2)) for k in range(3)]
    assert sum(len(p) for p in parts) == 10
    assert [p.row for p in parts[1].payloads] == [1, 4, 7]
    # two users on worker 0, one on worker 1: worker 0 files rows 0, 1, 3, 4, ...
    uneven = [replay_schedule(trace, 60.0, 100.0, k, (0, 0, 1)) for k in range(2)]
    assert [p.row for p in uneven[1].payloads] == [2, 5, 8]
    assert len(uneven[0]) == 7
    # one simulated minute = 1 s at speedup 60
    assert parts[0].times_s.tolist() == pytest.approx([0.0, 3.0, 6.0, 9.0])
    # duration cuts the tail
    assert len(replay_schedule(trace, 60.0, 4.5)) == 5


def test_per_minute_counts() -> None:
    t_h = np.array([0.0, 0.001, 1 / 60 + 0.0001, 3 / 60 + 0.001])
    assert per_minute_counts(t_h, 0.0, 5).tolist() == [2, 1, 0, 1, 0]
