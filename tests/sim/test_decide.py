"""Decision tools: space and target files, optimisation under constraints on confidence
bounds (reproducible, resumable), Morris/Sobol sensitivity, and calibration that
recovers known values. Runs use the smoke scenario cut to a few days so each test
takes seconds."""

from __future__ import annotations

import csv
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reports.decide import calibration_page, optimize_page, sensitivity_page
from sim.decide import (
    DecisionError,
    OptimizeResult,
    load_space,
    load_targets,
    optimize,
    parse_constraint,
)
from sim.decide.calibrate import calibrate
from sim.decide.evaluate import Evaluator
from sim.decide.sensitivity import sensitivity
from sim.decide.space import SpaceError, Target
from sim.experiment import compare
from sim.scenario import load_scenario
from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
SHORT = ("scenario.horizon_days=5", "scenario.warmup_days=1")

SPACE = """\
[parameters]
"account_managers.pool_size" = {low = 1, high = 4}
"platform.upload_recall" = {low = 0.5, high = 0.95, step = 0.05}
"account_managers.always_on" = {choices = [false, true]}
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- space files


def test_space_reads_ranges_steps_logs_and_choices(tmp_path: Path) -> None:
    text = SPACE + '"rights_holders.detection_prob" = {low = 0.01, high = 0.5, log = true}\n'
    sp = load_space(write(tmp_path / "s.toml", text), SMOKE)
    kinds = {p.path: p.kind for p in sp.parameters}
    assert kinds == {
        "account_managers.pool_size": "int",
        "platform.upload_recall": "float",
        "account_managers.always_on": "categorical",
        "rights_holders.detection_prob": "float",
    }
    pool, recall, on, det = sp.parameters
    assert [pool.from_unit(u) for u in (0.0, 0.24, 0.26, 0.99, 1.0)] == [1, 1, 2, 4, 4]
    assert recall.from_unit(0.5) in (0.7, 0.75)  # on the 0.05 grid
    assert [on.from_unit(0.2), on.from_unit(0.8)] == [False, True]
    assert det.from_unit(0.5) == pytest.approx(math.sqrt(0.01 * 0.5))  # log scale midpoint
    assert [p.line for p in sp.parameters] == [2, 3, 4, 5]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('"platform.upload_recal" = {low = 0.5, high = 0.9}',
         "s.toml:3: platform.upload_recal: unknown key 'upload_recal' in platform; "
         "did you mean 'upload_recall'?"),
        ('"account_managers.pool_size" = {low = 1, hihg = 4}',
         "s.toml:3: account_managers.pool_size: unknown key 'hihg'; did you mean 'high'?"),
        ('"platform.sweep_recall" = {low = 0.9, high = 0.2}',
         "s.toml:3: platform.sweep_recall: low (0.9) must be less than high (0.2)"),
        ('"platform.sweep_recall" = {low = 0.5, high = 1.5}',
         "s.toml:3: platform.sweep_recall = 1.5: bad value 1.5: Input should be less than "
         "or equal to 1"),
        ('"platform" = {low = 0.5, high = 0.9}', "s.toml:3: platform: platform is a section"),
        ('"platform.sweep_recall" = {low = 0, high = 1, log = true}',
         "s.toml:3: platform.sweep_recall: log = true needs low > 0"),
        ('"account_managers.always_on" = {choices = []}',
         "s.toml:3: account_managers.always_on: choices: expected a non-empty list"),
    ],
)  # fmt: skip
def test_bad_space_names_the_line(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path / "s.toml", f"# a space\n[parameters]\n{body}\n")
    with pytest.raises(SpaceError) as exc:
        load_space(path, SMOKE)
    assert len(exc.value.problems) == 1
    assert exc.value.problems[0].startswith(f"{path.parent}/{expected}"), exc.value.problems


def test_bad_space_key_on_its_own_line_is_named(tmp_path: Path) -> None:
    text = '[parameters."platform.upload_recall"]\nlow = 0.5\nhihg = 0.9\n'
    with pytest.raises(SpaceError) as exc:
        load_space(write(tmp_path / "s.toml", text))
    assert ":3: platform.upload_recall: unknown key 'hihg'" in exc.value.problems[0]


def test_targets_read_and_bad_targets_name_the_line(tmp_path: Path) -> None:
    good = "[targets.am_busy_hours]\nvalue = 10.0\ntolerance = 1.0\n\n"
    good += "[targets.notices_within_24h_share]\nlow = 0.7\nhigh = 0.8\nweight = 2.0\n"
    targets = load_targets(write(tmp_path / "t.toml", good))
    assert [(t.metric, t.value, t.tolerance, t.weight) for t in targets] == [
        ("am_busy_hours", 10.0, 1.0, 1.0),
        ("notices_within_24h_share", pytest.approx(0.75), pytest.approx(0.05), 2.0),
    ]
    assert targets[1].within(0.79) and not targets[1].within(0.81)
    # an interval fits equally well anywhere inside; outside, the miss is from the nearer end
    assert targets[1].distance(0.72) == 0.0 == targets[1].distance(0.79)
    assert targets[1].distance(0.85) == pytest.approx(2.0 * ((0.85 - 0.8) / 0.05) ** 2)
    assert targets[0].distance(12.0) == pytest.approx(4.0)
    bad = "[targets.am_busy_hour]\nvalue = 1.0\ntolerance = 0.1\n[targets.fake_sales]\nvalue = 3\n"
    with pytest.raises(SpaceError) as exc:
        load_targets(write(tmp_path / "t.toml", bad))
    assert exc.value.problems == [
        f"{tmp_path}/t.toml:1: am_busy_hour: unknown metric; did you mean 'am_busy_hours'?",
        f"{tmp_path}/t.toml:4: fake_sales: tolerance is missing (how far from value still counts)",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("notices_within_24h_share > 0.9", "expected 'metric >= number'"),
        ("notices_within_24h_shar >= 0.9", "did you mean 'notices_within_24h_share'?"),
        ("am_busy_hours <= lots", "'lots' is not a number"),
    ],
)
def test_bad_constraint_is_one_line(text: str, message: str) -> None:
    with pytest.raises(DecisionError, match=message):
        parse_constraint(text)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_constraint("am_busy_hours <= lots"), "constraint 'am_busy_hours <= lots': "),
        (lambda: optimize(SMOKE, "s.toml"), "minimize/maximize: give at least one metric"),
        (lambda: optimize(SMOKE, "s.toml", maximize=["am_hour"]), "maximize 'am_hour': "),
        (
            lambda: optimize(SMOKE, "s.toml", minimize=["am_busy_hours"], reps=3, race_reps=2),
            "race_reps 2: must be a whole number >= 3",
        ),
        (
            lambda: calibrate(SMOKE, [], "s.toml", reps=4, race_reps=3),
            "race_reps 3: must be at least reps (4)",
        ),
        (lambda: sensitivity(SMOKE, "s.toml", samples=1), "samples 1: must be a whole number"),
        (lambda: sensitivity(SMOKE, "s.toml", method="fast"), "method 'fast': expected morris"),  # type: ignore[arg-type]
    ],
)
def test_library_errors_name_the_parameter_not_the_flag(call: Any, message: str) -> None:
    """The Python API speaks of its parameters; only the command line speaks of flags."""
    with pytest.raises(DecisionError) as exc:
        call()
    assert str(exc.value).startswith(message), str(exc.value)
    assert "--" not in str(exc.value)


def test_constraint_holds_on_the_confidence_bound_not_the_mean() -> None:
    from sim.stats import Interval

    c = parse_constraint("notices_within_24h_share >= 0.9")
    assert c.holds(Interval(0.95, 0.91, 0.99, 5))
    assert c.holds_on_mean(Interval(0.95, 0.85, 1.05, 5))
    assert not c.holds(Interval(0.95, 0.85, 1.05, 5))  # mean above, bound below: infeasible
    le = parse_constraint("genuine_wrongly_removed <= 50")
    assert le.violation(Interval(40.0, 30.0, 55.0, 5)) == pytest.approx(5.0)


@pytest.mark.parametrize("command", ["optimize", "sensitivity", "calibrate"])
def test_cli_bad_space_exits_2_naming_the_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    space = write(tmp_path / "s.toml", '[parameters]\n"platform.upload_recal" = {low = 0.5}\n')
    targets = write(tmp_path / "t.toml", "[targets.am_busy_hours]\nvalue = 1.0\ntolerance = 0.5\n")
    out = tmp_path / "out"
    extra = {
        "optimize": ["--minimize", "am_busy_hours", "--storage", f"sqlite:///{tmp_path}/st.db"],
        "sensitivity": [],
        "calibrate": ["--targets", str(targets)],
    }[command]
    code, _, err = run_cli(
        [command, str(SMOKE), "--space", str(space), "--out", str(out), *extra], capsys
    )
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {space}:2: platform.upload_recal: unknown key 'upload_recal' in platform; "
        "did you mean 'upload_recall'?"
    ]
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml", "t.toml"]


def test_cli_bad_targets_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = write(tmp_path / "s.toml", SPACE)
    targets = write(tmp_path / "t.toml", "[targets.am_busy_hours]\nvalue = 1.0\ntolerance = -1\n")
    code, _, err = run_cli(
        ["calibrate", str(SMOKE), "--targets", str(targets), "--space", str(space),
         "--out", str(tmp_path / "out")], capsys,
    )  # fmt: skip
    assert code == 2
    assert err.strip() == f"error: {targets}:3: am_busy_hours: tolerance: must be > 0 (got -1)"
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- optimize


def _optimize(tmp_path: Path, out: str, **kw: Any) -> OptimizeResult:
    space = write(tmp_path / "space.toml", SPACE)
    opts: dict[str, Any] = dict(
        minimize=["am_busy_hours"], constraints=["notices_within_24h_share >= 0.9"], trials=6,
        reps=2, race=2, seed=7, jobs=1, overrides=SHORT, out_dir=tmp_path / out,
    )  # fmt: skip
    opts.update(kw)
    return optimize(SMOKE, space, **opts)


def test_optimize_is_reproducible_and_best_toml_reruns_feasible(tmp_path: Path) -> None:
    """Same seed, same trials (values and metrics). The winner's constraint holds on its
    CI bound; rerunning best.toml with compare and the same seed and replications gives
    the same interval (common random numbers make it exact, not approximate)."""
    a = _optimize(tmp_path, "a")
    b = _optimize(tmp_path, "b")
    assert read_csv(tmp_path / "a" / "trials.csv") == read_csv(tmp_path / "b" / "trials.csv")
    rows = read_csv(tmp_path / "a" / "trials.csv")
    assert len(rows) == 6
    for row in rows:  # feasible means: the CI's lower bound clears 0.9
        lo = float(row["notices_within_24h_share_ci_low"] or "nan")
        assert (row["feasible"] == "True") == (lo >= 0.9)
    assert a.best is not None and a.best == b.best
    best = load_scenario(tmp_path / "a" / "best.toml")
    for path, value in a.best["params"].items():
        section, key = path.split(".")
        assert getattr(getattr(best, section), key) == value
    assert best.scenario.horizon_days == 5.0  # the --set overrides are kept
    res = compare([SMOKE, tmp_path / "a" / "best.toml"], reps=a.best["reps"],
                  seed=a.base_seed, jobs=1, overrides=SHORT)  # fmt: skip
    iv = res.interval("notices_within_24h_share", "smoke_best")
    assert iv.ci_low >= 0.9
    assert [iv.mean, iv.ci_low, iv.ci_high] == pytest.approx(
        a.best["metrics"]["notices_within_24h_share"]
    )
    assert a.to_pandas().shape[0] == 6
    page = optimize_page(a)  # what the command writes to report.html
    assert "Best against the input" in page and "account_managers.pool_size" in page
    assert page.count("data:image/png;base64,") >= 1


def test_optimize_resumes_a_study_in_storage(tmp_path: Path) -> None:
    """A study stopped after 4 trials continues to 8 in the same storage, keeping the
    first 4 trials as they were; a different seed for the same study is refused."""
    url = f"sqlite:///{tmp_path}/study.db"
    first = _optimize(tmp_path, "one", trials=4, storage=url, race=1)
    second = _optimize(tmp_path, "two", trials=8, storage=url, seed=None, race=1)
    assert len(first.trials) == 4 and len(second.trials) == 8
    assert second.base_seed == 7
    assert second.trials[:4] == first.trials
    with pytest.raises(DecisionError, match="runs with seed 7"):
        _optimize(tmp_path, "three", trials=9, storage=url, seed=8)


def test_optimize_two_objectives_gives_a_nondominated_front(tmp_path: Path) -> None:
    res = _optimize(tmp_path, "mo", minimize=["am_busy_hours", "fake_sales"], constraints=[],
                    trials=8)  # fmt: skip
    front = res.front
    assert front
    for a in front:
        for b in front:
            assert not (
                b["am_busy_hours"] <= a["am_busy_hours"] and b["fake_sales"] <= a["fake_sales"]
                and (b["am_busy_hours"], b["fake_sales"]) != (a["am_busy_hours"], a["fake_sales"])
            )  # fmt: skip
    assert (tmp_path / "mo" / "front.csv").is_file()


def test_optimize_reports_no_feasible_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = write(tmp_path / "space.toml", SPACE)
    code, out, _ = run_cli(
        ["optimize", str(SMOKE), "--space", str(space), "--minimize", "am_busy_hours",
         "--constraint", "notices_within_24h_share >= 1.5", "--trials", "3", "--reps", "2",
         "--race", "1", "--seed", "1", "-j", "1", "--out", str(tmp_path / "o"),
         *(w for s in SHORT for w in ("--set", s))], capsys,
    )  # fmt: skip
    assert code == 0
    assert "no feasible policy" in out
    assert not (tmp_path / "o" / "best.toml").exists()
    assert len(read_csv(tmp_path / "o" / "trials.csv")) == 3
    page = (tmp_path / "o" / "report.html").read_text()  # the command renders the page
    assert "<html" in page.lower() or "<!doctype" in page.lower()


# --------------------------------------------------------------------------- sensitivity

SENS_SPACE = """\
[parameters]
"platform.upload_recall" = {low = 0.3, high = 0.95}
"rights_holders.detection_prob" = {low = 0.05, high = 0.6}
"market.fake_price_discount" = {low = 0.2, high = 0.8}
"""


def test_morris_ranks_upload_recall_first_and_price_discount_at_zero(tmp_path: Path) -> None:
    """Live fakes (exposure) are driven by the upload classifier; the price discount
    enters only sales value, so with common random numbers its every elementary effect
    on exposure is exactly zero (mu* = 0 with a [0, 0] interval), while on sales value
    it is not."""
    space = write(tmp_path / "s.toml", SENS_SPACE)
    res = sensitivity(SMOKE, space, method="morris", samples=4, reps=1, seed=3, jobs=1,
                      overrides=SHORT, out_dir=tmp_path / "out",
                      metrics=["fake_exposure_listing_days", "fake_sales_value"])  # fmt: skip
    rank = res.ranking("fake_exposure_listing_days")
    assert rank[0] == "platform.upload_recall"
    zero = res.index("fake_exposure_listing_days", "market.fake_price_discount")
    assert (zero["value"], zero["ci_low"], zero["ci_high"]) == (0.0, 0.0, 0.0)
    top = res.index("fake_exposure_listing_days", "platform.upload_recall")
    assert top["ci_low"] > 0.0
    assert res.index("fake_sales_value", "market.fake_price_discount")["value"] > 0.0
    rows = read_csv(tmp_path / "out" / "indices.csv")
    assert {r["index"] for r in rows} == {"mu_star", "sigma"}
    assert len(rows) == 2 * 3 * 2
    assert res.to_pandas().shape == (12, 8)
    page = sensitivity_page(res)  # what the command writes to report.html
    assert page.count("data:image/png;base64,") == 2  # one ranked chart per metric


def test_sobol_total_index_of_an_inert_parameter_is_zero(tmp_path: Path) -> None:
    space = write(tmp_path / "s.toml", SENS_SPACE)
    res = sensitivity(SMOKE, space, method="sobol", samples=4, reps=1, seed=3, jobs=1,
                      overrides=SHORT, metrics=["fake_exposure_listing_days"])  # fmt: skip
    assert res.runs == 4 * (3 + 2)
    st = res.index("fake_exposure_listing_days", "market.fake_price_discount", "ST")
    assert st["value"] == 0.0
    assert {r["index"] for r in res.rows} == {"S1", "ST"}
    with pytest.raises(DecisionError, match="power of 2"):
        sensitivity(SMOKE, space, method="sobol", samples=6)


# --------------------------------------------------------------------------- calibrate


def test_calibrate_recovers_known_values(tmp_path: Path) -> None:
    """Targets are the means of 3 replications at upload_recall 0.7 and detection_prob
    0.4; the fit starts from ranges whose midpoints are elsewhere, and must meet 6% of
    each target and land each parameter within 0.1 of the truth.

    The targets come from the root seeds the fit uses (common random numbers), so the
    truth reproduces them exactly and the tolerance bounds the search, not replication
    noise: across root seeds 11-18 the 3-replication means at the truth vary by 3.2%
    (proactive) and 6.4% (notice), one standard deviation. 6% is not loose: notice falls
    with recall as it rises with detection (measured: -56 per 0.1 of recall, +29 per 0.1
    of detection, against a target of 246), so the values within 6% of both form a
    narrow tilted ridge, about 1% of the box, along which detection_prob reaches 0.17
    from the truth; only a fit that closes in on the least distance meets 0.1 too. TPE
    alone stopped 0.11 off; with refinement, seeds 11, 12, 13 fit (0.699, 0.395),
    (0.700, 0.422), (0.698, 0.395), and at 10 days (0.690, 0.378), (0.700, 0.418),
    (0.695, 0.371)."""
    truth = {"platform.upload_recall": 0.7, "rights_holders.detection_prob": 0.4}
    with Evaluator(SMOKE, SHORT, base_seed=11, jobs=1) as ev:
        made = ev.evaluate([truth], 3)[0]
    targets = [
        Target(m, made.mean(m), 0.06 * made.mean(m))
        for m in ("fake_removed_proactive", "fake_removed_notice")
    ]
    space = write(tmp_path / "s.toml", '[parameters]\n'
                  '"platform.upload_recall" = {low = 0.2, high = 0.95}\n'
                  '"rights_holders.detection_prob" = {low = 0.02, high = 0.9}\n')  # fmt: skip
    fit = calibrate(SMOKE, targets, space, trials=20, reps=3, race=3, race_reps=3, seed=11,
                    jobs=1, overrides=SHORT, out_dir=tmp_path / "out")  # fmt: skip
    assert fit.all_within, fit.fit
    for path, value in truth.items():
        assert abs(fit.params[path] - value) <= 0.1, fit.params
    calibrated = load_scenario(tmp_path / "out" / "calibrated.toml")
    assert calibrated.platform.upload_recall == fit.params["platform.upload_recall"]
    text = (tmp_path / "out" / "calibrated.toml").read_text()
    assert "seed 11" in text and "fake_removed_proactive: target" in text
    page = calibration_page(fit)  # what the command writes to report.html
    assert "fake_removed_notice" in page and ">NO<" not in page


# --------------------------------------------------------------------------- Ctrl-C


# Ctrl-C used to land inside the study storage's commit at times (2 of about 7 runs),
# printing a traceback or leaving a trial RUNNING; the search now holds it around writes.
# With Dask it once landed in a future's __del__, where Python drops it, and the command
# ran to its end: the backend now raises it between results (and the assertion below
# tells an interrupt that never came from a run that ended first)
@pytest.mark.parametrize("backend", [["--jobs", "1"], ["--dask", "local", "--jobs", "2"]])
def test_ctrl_c_keeps_finished_trials(tmp_path: Path, backend: list[str]) -> None:
    """Ctrl-C after at least 4 trials finished: exit 130, trials.csv holds every finished
    trial (as many as the storage has complete), and no trial is left running."""
    space = write(tmp_path / "space.toml", SPACE)
    out, db = tmp_path / "int", tmp_path / "study.db"
    takedown = Path(sys.executable).with_name("takedown")
    cmd = [str(takedown), "optimize", str(SMOKE), "--space", str(space), "--minimize",
           "am_busy_hours", "--trials", "200", "--reps", "2", "--seed", "1", *backend,
           "--storage", f"sqlite:///{db}", "--out", str(out)]  # fmt: skip
    cmd += [w for s in SHORT for w in ("--set", s)]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 180
        while _complete(db) < 4 and time.monotonic() < deadline:
            time.sleep(0.3)
        ended_first = proc.poll() is not None
        if not ended_first:
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does to the job
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert not ended_first, f"ended before Ctrl-C; {_complete(db)} trials complete\n{err}"
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "Traceback" not in err
    rows = read_csv(out / "trials.csv")
    assert 4 <= len(rows) == _complete(db) < 200
    with sqlite3.connect(db) as con:
        running = con.execute("select count(*) from trials where state = 'RUNNING'").fetchone()
    assert running == (0,)


def _complete(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as con:
            row = con.execute("select count(*) from trials where state = 'COMPLETE'").fetchone()
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    return int(row[0])


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("optimize", ["--space", "--minimize", "--constraint", "--trials", "--storage"]),
        ("sensitivity", ["--space", "--method", "--samples", "--metric"]),
        ("calibrate", ["--targets", "--space", "--trials", "--race-reps"]),
    ],
)
def test_every_decision_command_has_help(
    capsys: pytest.CaptureFixture[str], command: str, options: list[str]
) -> None:
    code, out, err = run_cli([command, "--help"], capsys)
    assert code == 0, err
    assert all(opt in out for opt in options)


def test_the_library_does_not_import_the_cli_framework() -> None:
    code = "import sys, sim.decide; print(sorted(m for m in sys.modules if m.startswith('typer')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
