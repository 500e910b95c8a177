"""Experiments: design (seeds, grids), determinism across backends, common random
numbers, outputs, sequential replications, Ctrl-C, and one-line errors for bad input."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiment.design import DesignError, factorial, parse_grid, rep_seed, unique_labels

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
GFT = ROOT / "scenarios" / "gft_2015.toml"
JF = ROOT / "scenarios" / "joint_force_2017.toml"
# a shorter smoke run keeps the many-replication tests cheap
SHORT = ("scenario.horizon_days=20", "scenario.warmup_days=2")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the real ``takedown`` entry point in-process; (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0), out, err


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A valid scenario of all defaults (for input checks that never run the model)."""
    path = tmp_path / "tiny.toml"
    path.write_text('[scenario]\nname = "tiny"\n')
    return path


# --------------------------------------------------------------------------- design


def test_rep_seed_depends_on_base_seed_and_rep_only() -> None:
    assert rep_seed(7, 3) == rep_seed(7, 3)
    seeds = {rep_seed(7, i) for i in range(100)} | {rep_seed(8, i) for i in range(100)}
    assert len(seeds) == 200
    assert all(0 <= s < 2**63 for s in seeds)


@pytest.mark.parametrize(
    ("spec", "key", "values"),
    [
        ("account_managers.pool_size=1,2,4", "account_managers.pool_size", [1, 2, 4]),
        ("platform.upload_recall=0.5:0.9:5", "platform.upload_recall", [0.5, 0.6, 0.7, 0.8, 0.9]),
        ("account_managers.pool_size=2:10:5", "account_managers.pool_size", [2, 4, 6, 8, 10]),
        ("market.brands=1:2:3", "market.brands", [1.0, 1.5, 2.0]),
        ("account_managers.always_on=true,false", "account_managers.always_on", [True, False]),
        ('scenario.name="a","b"', "scenario.name", ["a", "b"]),
    ],
)
def test_parse_grid(spec: str, key: str, values: list[object]) -> None:
    got_key, got = parse_grid(spec)
    assert got_key == key
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("market.brands", "expected dotted.key="),
        ("market.brands=", "no values"),
        ("market..brands=1", "expected dotted.key="),
        ("market.brands=1,,2", "empty value"),
        ("market.brands=1:2", "lo:hi:n"),
        ("market.brands=1:x:3", "'x' is not a number"),
        ("market.brands=1:5:1", "integer >= 2"),
        ("market.brands=3,3", "repeated"),
    ],
)
def test_parse_grid_rejects_malformed_specs(spec: str, message: str) -> None:
    with pytest.raises(DesignError, match=message):
        parse_grid(spec)


def test_factorial_first_key_varies_slowest() -> None:
    assert factorial({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
    ]


def test_labels_fall_back_to_file_stems_then_suffixes() -> None:
    assert unique_labels(["s", "s", "t"], ["a", "b", "c"]) == ["a", "b", "t"]
    assert unique_labels(["s", "s"], ["a", "a"]) == ["a#1", "a#2"]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["compare", "scenarios/does_not_exist.toml", "--reps", "2"], "file not found"),
        (["compare", "{tiny}", "--reps", "0"], "--reps 0"),
        (["compare", "{tiny}", "--reps", "many"], "--reps 'many'"),
        (["compare", "{tiny}", "--jobs", "0", "--reps", "2"], "--jobs 0"),
        (["sweep", "{tiny}", "--grid", "market.brands=1:2"], "lo:hi:n"),
        (["sweep", "{tiny}", "--grid", "market.brandz=1,2"], "did you mean 'brands'"),
        (["sweep", "{tiny}", "--grid", "market.brands=0,1"], "market.brands"),
        (["compare", "{tiny}", "--dask", "nonsense"], "--dask 'nonsense'"),
        (["compare", "{tiny}", "--set", "market.brands=-1"], "market.brands"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str], tiny: Path, tmp_path: Path
) -> None:
    args = [a.replace("{tiny}", str(tiny)) for a in args]
    code, _, err = run_cli([*args, "--out", str(tmp_path / "o"), "--no-report"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and needle in err
    assert not (tmp_path / "o").exists()


def test_unreachable_dask_address_exits_2_quickly(
    capsys: pytest.CaptureFixture[str], tiny: Path, tmp_path: Path
) -> None:
    start = time.perf_counter()
    args = ["compare", str(tiny), "--dask", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")]
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert "cannot connect" in err and "tcp://127.0.0.1:9" in err
    assert time.perf_counter() - start < 15  # connect timeout 3 s plus scenario loading
