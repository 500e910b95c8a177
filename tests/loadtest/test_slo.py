"""SLO files: parsing with line-numbered errors, units, and verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtest.slo import SloError, evaluate, load_slo, parse_expr, parse_slo, parse_spec

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


def test_unknown_table_suggests_thresholds() -> None:
    with pytest.raises(SloError) as info:
        parse_slo('[threshold]\n"arrivals" = ["dropped == 0"]\n', KNOWN, "f.toml")
    assert info.value.problems == [
        "f.toml:1: unknown table 'threshold'; did you mean 'thresholds'?"
    ]


@pytest.mark.parametrize("header", ["[zzz]", '["zzz"]', "[[zzz]]", "  [ zzz ]"])
def test_unknown_table_far_from_thresholds_lists_what_is_allowed(header: str) -> None:
    text = f'[thresholds]\n"arrivals" = ["dropped == 0"]\n{header}\n'
    with pytest.raises(SloError) as info:
        parse_slo(text, KNOWN, "f.toml")
    assert info.value.problems == [
        "f.toml:3: unknown table 'zzz'; allowed: [thresholds], [gates], [baseline], [checks]"
    ]


def test_unknown_metric_far_from_all_lists_the_known_ones() -> None:
    with pytest.raises(SloError) as info:
        parse_slo('[thresholds]\n"zzz" = ["p99 < 1s"]\n', KNOWN, "f.toml")
    assert info.value.problems == [
        "f.toml:2: unknown metric 'zzz'; known: POST /v1/notices, arrivals, e2e_takedown"
    ]


def test_missing_file_is_one_line_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SloError) as info:
        load_slo(tmp_path / "nope.toml", KNOWN)
    assert info.value.problems == [f"{tmp_path / 'nope.toml'}: file not found"]


def test_a_directory_is_no_slo_file(tmp_path: Path) -> None:
    with pytest.raises(SloError) as info:
        load_slo(tmp_path, KNOWN)
    assert info.value.problems == [f"{tmp_path}: is a directory, expected a .toml file"]


def test_malformed_file_names_itself_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "slo.toml"
    path.write_text('[thresholds]\n"arrivals" = ["dropped == 0"]\n"arrivals" = []\n', "utf-8")
    with pytest.raises(SloError) as info:
        load_slo(path, KNOWN)
    assert info.value.problems == [
        f"{path}: invalid TOML: Cannot overwrite a value (at line 3, column 16)"
    ]


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert [t.line for t in load_slo(path, KNOWN)] == [3, 3, 4, 5]


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


GATES = """\
[thresholds]
"POST /v1/notices" = [
  "p99 < 200ms",
  { threshold = "fail_ratio < 1%", abort_on_fail = true, delay = "5s" },
]
[gates]
warmup = "10s"
[baseline]
"e2e_takedown" = ["p95 +10%", "p99 +250ms", "unfinished_ratio +0.01"]
"""


def test_abort_on_fail_warmup_and_baseline_regressions_parse() -> None:
    spec = parse_spec(GATES, KNOWN, "g.toml")
    assert [(t.text, t.abort_on_fail, t.delay_s, t.line) for t in spec.thresholds] == [
        ("p99 < 200ms", False, 0.0, 3),
        ("fail_ratio < 1%", True, 5.0, 4),
    ]
    assert [t.text for t in spec.aborting] == ["fail_ratio < 1%"]
    assert spec.warmup_s == 10.0
    got = [(r.stat, r.allowed, r.relative, r.line) for r in spec.regressions]
    assert got == [
        ("p95", pytest.approx(0.1), True, 9),
        ("p99", pytest.approx(0.25), False, 9),
        ("unfinished_ratio", 0.01, False, 9),
    ]


def test_a_regression_becomes_a_threshold_against_the_baseline() -> None:
    rel, absolute, _ = parse_spec(GATES, KNOWN, "g.toml").regressions
    th = rel.threshold(2.0)  # p95 may grow 10% over a baseline of 2 s
    assert (th.op, th.limit) == ("<=", pytest.approx(2.2))
    assert [v.passed for v in evaluate([th], lambda m, s: 2.2)] == [True]
    assert [v.passed for v in evaluate([th], lambda m, s: 2.21)] == [False]
    assert absolute.threshold(1.0).limit == pytest.approx(1.25)
    # no baseline value: the gate cannot see what it compares with, so it fails
    assert [v.passed for v in evaluate([rel.threshold(None)], lambda m, s: 0.1)] == [False]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[baseline]\n"arrivals" = ["rps +10%"]\n', "f.toml:2: 'arrivals': 'rps +10%': a regr"),
        ('[baseline]\n"e2e_takedown" = ["p95 10%"]\n', "expected 'stat +allowed'"),
        ('[baseline]\n"e2e_takedown" = ["p95 +3"]\n', "a duration needs a unit"),
        ('[gates]\nwarmup = 5\n[thresholds]\n"arrivals" = ["dropped == 0"]\n', "f.toml:2: warmup"),
        (
            '[gates]\nwarm = "5s"\n[thresholds]\n"arrivals" = ["dropped == 0"]\n',
            "unknown key 'warm'",
        ),
        (
            '[thresholds]\n"arrivals" = [{ threshold = "dropped == 0", abort = true }]\n',
            "f.toml:2: 'arrivals': unknown key 'abort'",
        ),
        (
            '[thresholds]\n"arrivals" = [{ threshold = "dropped == 0", delay = "soon" }]\n',
            "expected a duration",
        ),
    ],
)
def test_bad_gates_name_the_line(text: str, needle: str) -> None:
    with pytest.raises(SloError) as info:
        parse_spec(text, KNOWN, "f.toml")
    assert needle in str(info.value)
