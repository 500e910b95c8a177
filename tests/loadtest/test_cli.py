"""``takedown loadtest`` usage mistakes: one line, exit 2, nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.loadtest.conftest import takedown


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--duration", "soon"], "duration 'soon'"),
        (["--duration", "0s"], "between 1s and 24h"),
        (["--workers", "-1"], "workers -1"),
        (["--profile", "defualt"], "did you mean 'default'"),
        (["--host", "http://127.0.0.1:9"], "host needs keys"),
        (["--speedup", "0"], "speedup 0"),
        (["--bogus"], "No such option"),
        (["--scenario", "gft2015"], "scenario: gft2015: file not found, nor a shipped scenario"),
    ],
)
def test_usage_mistakes_exit_2_with_one_line(args: list[str], needle: str, tmp_path: Path) -> None:
    run = takedown("loadtest", *args, "--out", str(tmp_path / "o"), timeout_s=60)
    assert run.returncode == 2
    assert needle in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert not (tmp_path / "o").exists()  # nothing was started or written


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    """Like the sim commands, loadtest names all its problems, one line each, not the first."""
    args = ["--duration", "soon", "--workers", "-1", "--host", "ftp://x", "--profile", "defualt"]
    run = takedown("loadtest", *args, "--out", str(tmp_path / "o"), timeout_s=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert all(line.startswith("error: ") for line in lines)
    for needle in ("duration 'soon'", "workers -1", "host 'ftp://x'", "host needs keys",
                   "did you mean 'default'"):  # fmt: skip
        assert sum(needle in line for line in lines) == 1, (needle, lines)
    assert len(lines) == 5
    assert not (tmp_path / "o").exists()


def test_a_bad_slo_file_exits_2_naming_its_line(tmp_path: Path) -> None:
    slo = tmp_path / "slo.toml"
    slo.write_text('[thresholds]\n"arrivals" = ["dropped == 0"]\n"e2e_takedwn" = ["p95 < 2s"]\n')
    run = takedown("loadtest", "--slo", str(slo), "--out", str(tmp_path / "o"), timeout_s=60)
    assert run.returncode == 2
    assert f"{slo}:3: unknown metric 'e2e_takedwn'; did you mean 'e2e_takedown'?" in run.stderr


def test_a_bad_trace_exits_2_naming_its_line(tmp_path: Path) -> None:
    trace = tmp_path / "n.csv"
    trace.write_text("t_h,brand_id,listings,valid\n1.0,2,x,true\n")
    run = takedown("loadtest", "--replay", str(trace), "--out", str(tmp_path / "o"), timeout_s=60)
    assert run.returncode == 2
    assert f"{trace}:2:" in run.stderr


def test_help_lists_every_flag() -> None:
    run = takedown("loadtest", "--help", timeout_s=60)
    assert run.returncode == 0
    for flag in ("--profile", "--slo", "--host", "--duration", "--workers", "--replay"):
        assert flag in run.stdout


def test_the_default_scenario_is_the_shipped_smoke() -> None:
    """Found wherever the package is installed, not beside the loadtest package."""
    from loadtest.runner import DEFAULT_SCENARIO
    from sim import shipped

    assert shipped.path_of("smoke") == DEFAULT_SCENARIO
