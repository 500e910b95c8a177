"""``takedown validate``: exit 0 for valid files, exit 2 with one line per problem.

A few cases run the real command in a subprocess (real exit codes, no traceback on
stderr); the rest call ``sim.cli.main`` in-process, which is the same entry point.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

SMOKE = Path(__file__).resolve().parents[2] / "scenarios" / "smoke.toml"

# file name -> (bytes, text that the single error line must contain after "<path>: ")
BROKEN: dict[str, tuple[bytes, str]] = {
    "wrong_type.toml": (b'[market]\nbrands = "ten"\n', "market.brands: bad value 'ten'"),
    "negative_rate.toml": (
        b"[counterfeiters]\narrivals_per_day = -1.0\n",
        "counterfeiters.arrivals_per_day: bad value -1.0",
    ),
    "prob_above_1.toml": (
        b"[account_managers]\nreject_valid_prob = 1.2\n",
        "account_managers.reject_valid_prob: bad value 1.2",
    ),
    "unknown_key.toml": (
        b"[platform]\nuplod_recall = 0.5\n",
        "platform.uplod_recall: unknown key; did you mean 'upload_recall'?",
    ),
    "dist_typo.toml": (
        b'[account_managers]\nreview_time_h = {dist = "lognormall", mean = 1.0, sd = 1.0}\n',
        "account_managers.review_time_h: bad value {...}: unknown distribution 'lognormall'; "
        "did you mean 'lognormal'?",
    ),
    "bad_toml.toml": (b"[market\nbrands = 3\n", "invalid TOML: "),
    "garbage.toml": (bytes(range(256)) * 2, "not UTF-8 text (byte 128)"),
    "bad_utf8.toml": (b'[scenario]\nname = "caf\xe9"\n', "not UTF-8 text (byte 22)"),
    "too_deep.toml": (
        b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "invalid TOML: nested too deeply",
    ),
    "denormal_rate.toml": (
        b"[counterfeiters]\nlistings_per_day = 1e-310\n",
        "counterfeiters.listings_per_day: bad value 1e-310: its mean is below the smallest "
        "positive rate, 1e-06 per day (write 0 for never)",
    ),
    "tiny_arrivals.toml": (
        b"[counterfeiters]\narrivals_per_day = 1e-9\n",
        "counterfeiters.arrivals_per_day: bad value 1e-09: below the smallest positive rate",
    ),
    "nan.toml": (
        b"[market]\nviews_per_listing_day = nan\n",
        "market.views_per_listing_day: bad value nan",
    ),
    "popularity_spread.toml": (
        b"[market]\nlisting_popularity_sigma = 4.0\n",
        "market.listing_popularity_sigma: bad value 4.0: Input should be less than or equal to 3",
    ),
    "share_as_string.toml": (
        b'[market]\ndeceived_buyer_share = "0.5"\n',
        "market.deceived_buyer_share: bad value '0.5'",
    ),
}


def make(tmp_path: Path, name: str) -> Path:
    raw, _ = BROKEN[name]
    path = tmp_path / name
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_exits_2_with_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make(tmp_path, name)
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: {path}: ") and BROKEN[name][1] in err


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing, folder = tmp_path / "nope.toml", tmp_path / "dir.toml"
    folder.mkdir()
    code, _, err = run_cli(["validate", str(missing), str(folder)], capsys)
    assert code == 2
    assert err.splitlines() == [
        f"error: {missing}: file not found",
        f"error: {folder}: is a directory, expected a .toml file",
    ]


def test_valid_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["validate", str(SMOKE)], capsys)
    assert (code, out, err) == (0, f"ok: {SMOKE}\n", "")


def test_one_bad_file_among_good_ones_fails_the_lot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = make(tmp_path, "prob_above_1.toml")
    code, out, err = run_cli(["validate", str(SMOKE), str(bad), str(SMOKE)], capsys)
    assert code == 2
    assert out.splitlines() == [f"ok: {SMOKE}", f"ok: {SMOKE}"]
    assert len(err.splitlines()) == 1


def test_set_overrides_are_validated(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run_cli(["validate", str(SMOKE), "--set", "market.brands=3"], capsys)
    assert code == 0
    code, _, err = run_cli(["validate", str(SMOKE), "--set", "platform.sweep_recall=2"], capsys)
    assert code == 2 and "platform.sweep_recall: bad value 2" in err
    code, _, err = run_cli(["validate", str(SMOKE), "--set", "platform.sweep_recall"], capsys)
    assert (code, err) == (
        2,
        "error: overrides 'platform.sweep_recall': expected dotted.path=value\n",
    )


def test_a_bad_set_is_reported_once_for_many_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["validate", str(SMOKE), str(SMOKE), "--set", "oops"], capsys)
    assert (code, out, err) == (2, "", "error: overrides 'oops': expected dotted.path=value\n")


def test_usage_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["validate"], capsys)
    assert code == 2 and err.count("\n") == 1 and "Missing argument" in err
    code, _, err = run_cli(["validate", str(SMOKE), "--sett", "x=1"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--sett" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["validate", "--help"], capsys)
    assert code == 0 and "--set" in out and "Check scenario files" in out


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("takedown")), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_real_process_exit_codes(tmp_path: Path) -> None:
    """The installed entry point, as a user runs it: codes and no traceback."""
    for name in ("garbage.toml", "dist_typo.toml"):
        make(tmp_path, name)
    done = cli("validate", "garbage.toml", "dist_typo.toml", "gone.toml", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    named = [line.split(": ")[1] for line in lines]
    assert named == ["garbage.toml", "dist_typo.toml", "gone.toml"]
    assert all(line.startswith("error: ") for line in lines)
    assert "Traceback" not in done.stderr
    ok = cli("validate", str(SMOKE), cwd=tmp_path)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, f"ok: {SMOKE}\n", "")
