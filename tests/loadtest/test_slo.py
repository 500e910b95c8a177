"""SLO files: parsing with line-numbered errors, units, and verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtest.slo import SloError, evaluate, load_slo, parse_expr, parse_slo

KNOWN = {"POST /v1/notices", "e2e_takedown", "arrivals"}
GOOD = """\
# the issue's example
[thresholds]
"POST /v1/notices" = ["p99 < 200ms", "fail_ratio < 0.001"]
"e2e_takedown" = ["p95 < 2s"]
"arrivals" = ["dropped == 0"]
"""


def test_the_issue_example_parses_with_units_in_seconds_and_lines() -> None:
    ths = parse_slo(GOOD, KNOWN, "slo.toml")
    got = [(t.metric, t.stat, t.op, t.limit, t.line) for t in ths]
    assert got == [
        ("POST /v1/notices", "p99", "<", pytest.approx(0.2), 3),
        ("POST /v1/notices", "fail_ratio", "<", 0.001, 3),
        ("e2e_takedown", "p95", "<", 2.0, 4),
        ("arrivals", "dropped", "==", 0.0, 5),
    ]


@pytest.mark.parametrize(
    ("expr", "stat", "limit"),
    [
        ("p99.9 <= 1.5s", "p99.9", 1.5),
        ("p50<250us", "p50", 0.00025),
        ("mean < 2m", "mean", 120.0),
        ("fail_ratio < 0.1%", "fail_ratio", 0.001),
        ("rps >= 50", "rps", 50.0),
        ("count > 10", "count", 10.0),
    ],
)
def test_expressions(expr: str, stat: str, limit: float) -> None:
    th = parse_expr(expr, "m", 1, "f")
    assert (th.stat, th.limit) == (stat, pytest.approx(limit))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[thresholds]\n"POST /v1/notice" = ["p99 < 1s"]\n', "f.toml:2: unknown metric"),
        ('[thresholds]\n"arrivals" = [\n  "dropped == 0",\n  "p99 < 200"]\n', "f.toml:4:"),
        ('[thresholds]\n"arrivals" = ["dropped == 0"]\n"arrivals" = 3\n', "invalid TOML"),
        ('[thresholds]\n"e2e_takedown" = ["p100 < 1s"]\n', "f.toml:2:"),
        ('[thresholds]\n"e2e_takedown" = ["p95 ~ 1s"]\n', "expected 'stat op value'"),
        ('[thresholds]\n"e2e_takedown" = ["median < 1s"]\n', "unknown statistic 'median'"),
        ('[thresholds]\n"arrivals" = ["dropped == 0ms"]\n', "plain number"),
        ('[limits]\n"arrivals" = ["dropped == 0"]\n', "f.toml:1: unknown table 'limits'"),
        ("[thresholds]\n", "non-empty [thresholds]"),
        ('[thresholds]\n"arrivals" = [1]\n', "expected a list of strings"),
    ],
)
def test_bad_files_name_the_line(text: str, needle: str) -> None:
    with pytest.raises(SloError) as info:
        parse_slo(text, KNOWN, "f.toml")
    assert needle in str(info.value)


def test_unknown_metric_suggests_the_close_one() -> None:
    with pytest.raises(SloError, match="did you mean 'POST /v1/notices'"):
        parse_slo('[thresholds]\n"POST /v1/notice" = ["p99 < 1s"]\n', KNOWN, "f")


def test_missing_file_is_an_slo_error(tmp_path: Path) -> None:
    with pytest.raises(SloError, match="cannot read"):
        load_slo(tmp_path / "nope.toml", KNOWN)


def test_evaluate_verdicts_and_no_data_breaches() -> None:
    ths = parse_slo(GOOD, KNOWN, "slo.toml")
    values = {("POST /v1/notices", "p99"): 0.150, ("POST /v1/notices", "fail_ratio"): 0.01}
    values[("arrivals", "dropped")] = 0.0
    verdicts = evaluate(ths, lambda m, s: values.get((m, s)))
    assert [v.passed for v in verdicts] == [True, False, False, True]
    assert verdicts[2].shown_value() == "no data"
    assert verdicts[0].shown_value() == "150.0ms"


@given(st.floats(min_value=0.001, max_value=10_000, allow_nan=False), st.sampled_from(["ms", "s"]))
def test_time_limits_scale_by_unit(value: float, unit: str) -> None:
    th = parse_expr(f"p90 < {value!r}{unit}", "m", 1, "f")
    scale = 1e-3 if unit == "ms" else 1.0
    assert th.limit == pytest.approx(value * scale, rel=1e-12)
