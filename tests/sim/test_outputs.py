"""Run folders: stable bytes for the same scenario and seed, and readable back."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.model import RunResult, run
from sim.outputs import read_summary, summary_text, table_csv, write_run
from sim.scenario import Scenario, load_scenario

SMOKE = Path(__file__).resolve().parents[2] / "scenarios" / "smoke.toml"
FILES = ("summary.json", "daily.csv", "notices.csv")


@pytest.fixture(scope="module")
def smoke() -> Scenario:
    return load_scenario(SMOKE, ["scenario.horizon_days=20"])


def _write(result: RunResult, folder: Path) -> dict[str, bytes]:
    write_run(result, folder)
    return {name: (folder / name).read_bytes() for name in FILES}


def test_same_seed_gives_identical_bytes(smoke: Scenario, tmp_path: Path) -> None:
    first = _write(run(smoke, 5), tmp_path / "a")
    second = _write(run(smoke, 5), tmp_path / "b")
    assert first == second
    other = _write(run(smoke, 6), tmp_path / "c")
    for name in FILES:
        assert other[name] != first[name], name


def test_summary_round_trips(smoke: Scenario, tmp_path: Path) -> None:
    result = run(smoke, 5)
    write_run(result, tmp_path)
    back = read_summary(tmp_path)
    assert back["seed"] == 5
    assert back["scenario"]["scenario"]["name"] == "smoke"
    for name, value in result.metrics.items():
        if math.isnan(value):
            assert math.isnan(back["metrics"][name])
        else:
            assert back["metrics"][name] == pytest.approx(value, rel=1e-9)
    text = (tmp_path / "summary.json").read_text()
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_nan_is_written_as_null_and_floats_are_rounded() -> None:
    text = summary_text({"b": float("nan"), "a": 1 / 3, "c": np.float64(2.0)})
    assert json.loads(text) == {"a": 0.3333333333, "b": None, "c": 2.0}
    assert text.index('"a"') < text.index('"b"')


def test_csv_cells() -> None:
    text = table_csv(
        {"t_h": np.array([1.5, np.nan]), "valid": np.array([True, False]), "n": np.array([3, 4])}
    )
    assert text == "t_h,valid,n\n1.5,true,3\n,false,4\n"


def test_event_log_parquet(smoke: Scenario, tmp_path: Path) -> None:
    result = run(smoke, 5, events=True)
    write_run(result, tmp_path, tmp_path / "events.parquet")
    table = pq.read_table(tmp_path / "events.parquet")
    assert table.column_names == [
        "t_h",
        "kind",
        "listing_id",
        "brand_id",
        "fake",
        "channel",
        "account_id",
        "notice_id",
        "price_usd",
        "notifier_id",
    ]
    assert table.schema.field("notifier_id").type == pa.int64()
    assert table.num_rows == len(result.events["t_h"])  # type: ignore[index]
    assert table.num_rows > 100


def test_event_log_needs_an_events_run(smoke: Scenario, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="events=True"):
        write_run(run(smoke, 5), tmp_path, tmp_path / "events.parquet")
