"""Experiments: design (seeds, grids), determinism across backends, common random
numbers, outputs, sequential replications, Ctrl-C, and one-line errors for bad input."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiment import ExperimentOptions, ExperimentResult, compare, sweep
from sim.experiment.design import DesignError, factorial, parse_grid, rep_seed, unique_labels
from sim.experiment.options import resolve
from tests.cli_helpers import run_cli


def _plain(rows: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Rows with NaN (a metric with no data) as None, which compares equal to itself."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in rows
    ]


def same_rows(a: Sequence[Mapping[str, object]], b: Sequence[Mapping[str, object]]) -> bool:
    """Equal run rows, NaN equal to NaN (e.g. the wait of a priority class never used)."""
    return _plain(a) == _plain(b)


ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
GFT = ROOT / "scenarios" / "gft_2015.toml"
JF = ROOT / "scenarios" / "joint_force_2017.toml"
# a shorter smoke run keeps the many-replication tests cheap
SHORT = ("scenario.horizon_days=20", "scenario.warmup_days=2")


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


# --------------------------------------------------------------------------- options


def test_keywords_and_an_options_object_are_the_same_settings() -> None:
    opts = ExperimentOptions(reps=2, seed=1, overrides=["a.b=1"], out_dir="o")  # type: ignore[arg-type]
    assert opts == resolve(None, 10, 2, {"seed": 1, "overrides": ("a.b=1",), "out_dir": Path("o")})
    assert resolve(opts, 10, None, {}) is opts
    assert resolve(opts, 10, 3, {}).reps == 3 and opts.reps == 2  # frozen: a copy changes
    assert resolve(None, 5, None, {}).reps == 5  # the command's own default
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.seed = 2  # type: ignore[misc]


def test_every_replication_problem_is_reported_before_any_run(tiny: Path, tmp_path: Path) -> None:
    opts = ExperimentOptions(reps="auto", precision=1.5, max_reps=1, out_dir=tmp_path / "o")
    with pytest.raises(DesignError) as exc:
        compare([tiny], options=opts)
    assert exc.value.problems == [
        "precision 1.5: must be between 0 and 1",
        "max_reps 1: must be at least 2",
    ]
    assert exc.value.code == 2 and not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["compare", "scenarios/does_not_exist.toml", "--reps", "2"], "file not found"),
        (["compare", "{tiny}", "--reps", "0"], "--reps 0"),
        (["compare", "{tiny}", "--reps", "many"], "--reps 'many'"),
        (["compare", "{tiny}", "--jobs", "0", "--reps", "2"], "jobs 0"),
        (["sweep", "{tiny}", "--grid", "market.brands=1:2"], "lo:hi:n"),
        (["sweep", "{tiny}", "--grid", "market.brandz=1,2"], "did you mean 'brands'"),
        (["sweep", "{tiny}", "--grid", "market.brands=0,1"], "market.brands"),
        (["compare", "{tiny}", "--dask", "nonsense"], "dask 'nonsense'"),
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


def test_unreachable_dask_address_exits_2(
    capsys: pytest.CaptureFixture[str], tiny: Path, tmp_path: Path
) -> None:
    """How soon it gives up is measured in tests/bench/test_experiment_bench.py."""
    args = ["compare", str(tiny), "--dask", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")]
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert "cannot connect" in err and "tcp://127.0.0.1:9" in err


# --------------------------------------------------------------------------- the real model


def test_backends_and_job_counts_give_identical_runs_csv(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--jobs 1, --jobs 2 and --dask local: byte-identical runs.csv and run folders."""
    texts = {}
    for name, extra in {
        "jobs1": ["--jobs", "1"],
        "jobs2": ["--jobs", "2"],
        "dask": ["--dask", "local", "--jobs", "2"],
    }.items():
        out = tmp_path / name
        args = ["compare", str(SMOKE), "--reps", "3", "--seed", "11", "--out", str(out)]
        for s in SHORT:
            args += ["--set", s]
        code, _, err = run_cli([*args, *extra, "--no-report"], capsys)
        assert code == 0, err
        texts[name] = (out / "runs.csv").read_text()
        summaries = sorted(out.glob("runs/*/rep-*/summary.json"))
        assert len(summaries) == 3
        texts[name + "-summary"] = summaries[-1].read_text()
    assert texts["jobs1"] == texts["jobs2"] == texts["dask"]
    assert texts["jobs1-summary"] == texts["jobs2-summary"] == texts["dask-summary"]
    rows = list(csv.DictReader(texts["jobs1"].splitlines()))
    assert [r["rep"] for r in rows] == ["0", "1", "2"]
    assert len({r["seed"] for r in rows}) == 3


def test_an_existing_dask_cluster_gives_the_same_rows_and_folders(tmp_path: Path) -> None:
    """--dask tcp://...: results come back to the client, which writes the run folders
    (the cluster need not share a disk); rows equal the in-process ones."""
    import logging

    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, dashboard_address=":0", silence_logs=logging.ERROR
    )
    try:
        remote = compare(
            [SMOKE], 2, seed=11, dask=cluster.scheduler_address, out_dir=tmp_path / "r",
            overrides=SHORT,
        )  # fmt: skip
    finally:
        cluster.close()
    local = compare([SMOKE], 2, seed=11, jobs=1, out_dir=tmp_path / "l", overrides=SHORT)
    assert same_rows(remote.rows, local.rows)
    assert remote.backend.startswith("dask tcp://")
    for rep in ("rep-000", "rep-001"):
        r, lo = tmp_path / "r/runs/smoke" / rep, tmp_path / "l/runs/smoke" / rep
        assert (r / "daily.csv").read_bytes() == (lo / "daily.csv").read_bytes()


def test_a_scenario_against_its_copy_differs_by_exactly_zero(tmp_path: Path) -> None:
    twin = tmp_path / "twin.toml"
    shutil.copy(SMOKE, twin)
    res = compare([SMOKE, twin], reps=3, seed=5, jobs=2, overrides=SHORT)
    assert res.labels == ("smoke", "twin")
    comp = res.comparison()
    assert set(comp["differences"]) == set(res.metric_names)
    for metric, by_label in comp["differences"].items():
        d = by_label["twin"]
        if res.interval(metric, "smoke").n == 0:  # no data in any run: nothing to compare
            continue
        assert (d["mean"], d["ci_low"], d["ci_high"]) == (0.0, 0.0, 0.0), metric
        assert d["significant"] is False


@pytest.fixture(scope="module")
def gft_vs_jf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real ``takedown compare`` of the calibrated scenarios, shared by the tests below."""
    out = tmp_path_factory.mktemp("cmp") / "cmp"
    args = ["compare", str(GFT), str(JF), "--reps", str(PAIRED_REPS), "--seed", "2017"]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--jobs", "2", "--out", str(out), "--no-report"])
    assert exc.value.code in (0, None)
    return out


PAIRED_REPS = 8


def test_pairing_narrows_the_gft_vs_joint_force_intervals(gft_vs_jf: Path) -> None:
    """Common random numbers: the paired CI of gft_2015 vs joint_force_2017 is at least 2x
    narrower than the unpaired (Welch) one where the marketplace's own randomness drives
    the spread between replications (counterfeiter arrivals, posting rates, bans).

    Shares, ratios and latency percentiles vary between replications through the
    enforcement draws themselves, which differ between the strategies by design, so
    pairing narrows them little; their ratios are printed for the record.
    """
    from sim.stats import paired_difference, unpaired_difference

    rows = read_csv(gft_vs_jf / "runs.csv")
    ratios = {}
    for metric in [c for c in rows[0] if c not in ("scenario", "scenario_file", "rep", "seed")]:
        a = [float(r[metric] or "nan") for r in rows if r["scenario"] == "gft_2015"]
        b = [float(r[metric] or "nan") for r in rows if r["scenario"] == "joint_force_2017"]
        paired, unpaired = paired_difference(b, a), unpaired_difference(b, a)
        if paired.half_width > 0 and math.isfinite(unpaired.half_width):
            ratios[metric] = round(unpaired.half_width / paired.half_width, 2)
    print("\nunpaired/paired CI half-width, gft_2015 vs joint_force_2017:", ratios)
    # measured at this seed: accounts_banned 9.0, fake_removed_proactive 3.0,
    # fake_listings_created 2.7, counterfeiters_active_end 2.4, relists 2.3 (fake_sales 1.4)
    assert ratios["accounts_banned"] >= 2.0
    assert sum(r >= 2.0 for r in ratios.values()) >= 3


def test_compare_writes_the_documented_outputs(gft_vs_jf: Path) -> None:
    from sim.metrics import METRIC_NAMES

    out = gft_vs_jf
    comp = json.loads((out / "comparison.json").read_text())
    assert list(comp) == ["scenarios", "reps", "metrics", "differences"]
    assert comp["scenarios"] == ["gft_2015", "joint_force_2017"]
    assert comp["reps"] == PAIRED_REPS
    assert list(comp["metrics"]) == list(METRIC_NAMES)
    cell = comp["metrics"]["fake_sales"]["gft_2015"]
    assert set(cell) == {"mean", "ci_low", "ci_high"}
    assert cell["ci_low"] <= cell["mean"] <= cell["ci_high"]
    diff = comp["differences"]["fake_sales"]["joint_force_2017"]
    assert set(diff) == {"mean", "ci_low", "ci_high", "significant"}
    assert diff["significant"] == (diff["ci_low"] > 0 or diff["ci_high"] < 0)
    assert list(comp["differences"]["fake_sales"]) == ["joint_force_2017"]
    rows = read_csv(out / "runs.csv")
    assert len(rows) == 2 * PAIRED_REPS
    assert list(rows[0]) == ["scenario", "scenario_file", "rep", "seed", *METRIC_NAMES]
    # replication i of both scenarios shares its seed; replications differ
    assert rows[0]["seed"] == rows[PAIRED_REPS]["seed"] != rows[1]["seed"]
    import pandas as pd

    table = pd.read_parquet(out / "runs.parquet")
    assert table["seed"].tolist() == [int(r["seed"]) for r in rows]
    assert table["fake_sales"].tolist() == [float(r["fake_sales"]) for r in rows]
    prov = json.loads((out / "experiment.json").read_text())
    assert prov["base_seed"] == 2017 and prov["reps"] == PAIRED_REPS and prov["jobs"] == 2
    assert prov["command"][:2] == ["takedown", "compare"]
    assert prov["interrupted"] is False and prov["runs_finished"] == 2 * PAIRED_REPS
    assert prov["reps_requested"] == {"reps": PAIRED_REPS}
    assert [s["scenario"]["scenario"]["name"] for s in prov["scenarios"]] == comp["scenarios"]
    for row in rows:
        run = out / "runs" / row["scenario"] / f"rep-{int(row['rep']):03d}"
        summary = json.loads((run / "summary.json").read_text())
        assert summary["seed"] == int(row["seed"])
        # summary.json rounds to sim.outputs.FLOAT_DIGITS significant digits
        assert summary["metrics"]["fake_sales"] == pytest.approx(float(row["fake_sales"]), rel=1e-9)


def test_sweep_runs_the_full_factorial(tmp_path: Path) -> None:
    grid = ["account_managers.pool_size=2,4", "platform.upload_recall=0.5:0.9:3"]
    res = sweep(SMOKE, grid, reps=2, seed=9, jobs=2, out_dir=tmp_path, overrides=SHORT)
    assert isinstance(res, ExperimentResult)
    assert len(res.labels) == 6 and len(res.rows) == 12
    assert res.labels[0] == "account_managers.pool_size=2 platform.upload_recall=0.5"
    frame = res.to_pandas()
    assert list(frame.columns[4:6]) == ["account_managers.pool_size", "platform.upload_recall"]
    assert sorted(set(frame["platform.upload_recall"])) == [0.5, 0.7, 0.9]
    # common random numbers across design points too
    assert frame.groupby("rep")["seed"].nunique().max() == 1
    doc = json.loads((tmp_path / "sweep.json").read_text())
    assert doc["parameters"] == ["account_managers.pool_size", "platform.upload_recall"]
    assert doc["points"][5]["params"] == {
        "account_managers.pool_size": 4,
        "platform.upload_recall": 0.9,
    }
    assert read_csv(tmp_path / "runs.csv")[11]["account_managers.pool_size"] == "4"


def test_auto_reps_stop_when_the_headline_cis_are_precise() -> None:
    """Sequential replications stop once every headline CI is within 40% of its mean
    (5 replications are not enough for this scenario), and the stopping point does not
    depend on the number of workers.

    The cap is far above what the rule needs: over seeds 1-8 it stopped after 10-22
    replications, so a change of random draws that leaves the dynamics alone does not
    push this seed into the cap. (Since blocks hide listings, notice_to_removal_h_p95 and
    genuine_wrongly_removed vary more in this short smoke, per-run cv 0.5 and 0.39: at
    25% precision seeds 1-8 needed up to 40 and more, at 35% 11-29.)"""
    from sim.metrics import HEADLINE_METRICS
    from sim.stats import precision_met

    kw = dict(reps="auto", precision=0.4, max_reps=40, seed=4, overrides=SHORT)
    res = compare([SMOKE], jobs=2, **kw)  # type: ignore[arg-type]
    assert 5 < res.reps < 40
    assert len(res.rows) == res.reps
    ivs = [res.interval(m, "smoke") for m in HEADLINE_METRICS]
    assert all(precision_met(iv, 0.4) or iv.n == 0 for iv in ivs)
    assert same_rows(compare([SMOKE], jobs=1, **kw).rows, res.rows)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", [["--jobs", "2"], ["--dask", "local", "--jobs", "2"]])
def test_ctrl_c_keeps_finished_replications(tmp_path: Path, backend: list[str]) -> None:
    out = tmp_path / "int"
    takedown = Path(sys.executable).with_name("takedown")
    cmd = [str(takedown), "compare", str(SMOKE), "--reps", "40", *backend]
    cmd += ["--seed", "1", "--out", str(out), "--no-report"]
    # a suite started in the background (``cmd &``) ignores SIGINT, and a child inherits
    # that; the child here starts as from a terminal, where Ctrl-C stops a job
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("runs/smoke/rep-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does to the job
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    folders = sorted(p.name for p in out.glob("runs/smoke/*"))
    assert folders and all(f.startswith("rep-") for f in folders)  # no half-written folder
    rows = read_csv(out / "runs.csv")
    assert len(rows) == len(folders) < 40
    assert all((out / "runs/smoke" / f / "summary.json").exists() for f in folders)
    assert json.loads((out / "experiment.json").read_text())["interrupted"] is True


def test_a_local_dask_cluster_starts_while_the_default_dashboard_port_is_taken() -> None:
    """Two clusters on one machine (another run, another test) once collided on Dask's
    default dashboard port 8787; a local cluster now takes any free port."""
    import socket

    from sim.backends import DaskBackend

    holder = socket.socket()
    try:
        try:
            holder.bind(("127.0.0.1", 8787))
            holder.listen()
        except OSError:
            pass  # someone else holds it already: the case under test all the same
        backend = DaskBackend("local", 1)
        try:
            assert backend.workers == 1
        finally:
            backend.close()
    finally:
        holder.close()


def test_closing_a_local_dask_cluster_quiets_its_workers_first() -> None:
    """Ctrl-C closes the scheduler while a worker's heartbeat may be in flight; the worker
    then logged an ERROR with a traceback onto the user's terminal (1 run in 6 of
    ``test_ctrl_c_keeps_finished_replications[backend1]`` under load). Closing quiets the
    local workers' distributed loggers first: checked in the worker processes."""
    import logging

    from sim.backends import DaskBackend

    def levels() -> list[int]:
        names = ["distributed.worker", "tornado.application"]
        return [logging.getLogger(n).getEffectiveLevel() for n in names]

    import distributed  # noqa: F401  (its import sets the levels compared below)

    in_parent = [logging.getLogger(n).level for n in ["distributed", "tornado.application"]]
    backend = DaskBackend("local", 1)
    try:
        (before,) = backend._client.run(levels).values()
        backend._quiet_local_workers()
        (after,) = backend._client.run(levels).values()
    finally:
        backend.close()
    assert before[0] == logging.INFO and after == [logging.CRITICAL] * 2
    # this process's loggers go quiet only while closing, and come back as they were
    assert [logging.getLogger(n).level for n in ["distributed", "tornado.application"]] == (
        in_parent
    )


def test_ctrl_c_during_a_dask_run_stops_it_between_results() -> None:
    """A KeyboardInterrupt raised by the signal itself once landed in a Dask future's
    ``__del__``, where Python printed and dropped it, and the run went on to its end. The
    backend now notes SIGINT and raises between results: the result in hand is kept, the
    next is not waited for, and the handler is as before afterwards."""
    import time as clock

    from sim.backends import DaskBackend

    before = signal.getsignal(signal.SIGINT)
    backend = DaskBackend("local", 1)
    got: list[object] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            for result in backend.imap_unordered(clock.sleep, [0.2] * 6):
                got.append(result)
                os.kill(os.getpid(), signal.SIGINT)  # noted here, not raised
                got.append("went on")
    finally:
        backend.close()
    assert got == [None, "went on"]
    assert signal.getsignal(signal.SIGINT) is before
