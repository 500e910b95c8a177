"""Content checks: status and JSON body predicates, their success rate gated in the SLO file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.checks import ALL_CHECKS, Check, Checker, Predicate, lookup_path
from loadtest.client import Reply
from loadtest.hdr import Recorder
from loadtest.results import KNOWN_METRICS, RunData, lookup, verdicts
from loadtest.slo import SloError, parse_spec
from tests.loadtest.conftest import takedown

NOTICE = {"id": 7, "status": "removed", "items": [{"listing_id": 3, "state": "removed"}]}
CHECKS = """\
[checks."notice accepted"]
request = "POST /v1/notices"
status = [200, 201]
body = [
  { path = "status", in = ["removed", "pending_review"] },
  { path = "id", type = "number" },
]

[checks."never true"]
request = "POST /v1/notices"
body = [{ path = "status", equals = "no such status" }]

[checks."listing pages"]
request = "GET /v1/listings"
status = 200
body = [{ path = "items", type = "list" }]

[thresholds]
"check.notice accepted" = ["success_rate > 99%"]
"check.listing pages" = ["success_rate == 100%"]
"check.never true" = ["success_rate > 50%"]
"checks" = ["count > 0"]
"""


@pytest.mark.parametrize(
    ("predicate", "holds"),
    [
        (Predicate("status", "equals", "removed"), True),
        (Predicate("status", "in", ["pending_review"]), False),
        (Predicate("items.0.listing_id", "equals", 3), True),
        (Predicate("items.-1.state", "equals", "removed"), True),
        (Predicate("items.1.state", "exists", True), False),
        (Predicate("items.1.state", "exists", False), True),
        (Predicate("id", "type", "number"), True),
        (Predicate("status", "type", "number"), False),
        (Predicate("items", "min_length", 1), True),
        (Predicate("items", "min_length", 2), False),
        (Predicate("missing.path", "equals", None), False),
    ],
)
def test_body_predicates(predicate: Predicate, holds: bool) -> None:
    assert predicate.holds(NOTICE) is holds


def test_a_check_needs_its_status_and_every_predicate() -> None:
    check = Check("c", "POST /v1/notices", (201,), (Predicate("id", "exists", True),))
    assert check.holds(201, NOTICE) and not check.holds(200, NOTICE)
    assert not check.holds(201, {"status": "removed"})
    assert lookup_path([1, 2], "5") is not None  # a path past a list's end leads nowhere
    assert not Check("any", "x", (), (Predicate("0", "equals", 1),)).holds(500, [2])


def test_outcomes_are_series_whose_success_rate_gates() -> None:
    spec = parse_spec(CHECKS, KNOWN_METRICS, "slo.toml")
    assert [c.name for c in spec.checks] == ["notice accepted", "never true", "listing pages"]
    rec = Recorder()
    checker = Checker(spec.checks, rec.record)
    for k in range(10):  # 9 good notices, one answered 500
        checker("POST /v1/notices", 201 if k else 500, Reply(201, NOTICE, True), 0.01)
    checker("GET /v1/listings", 200, Reply.of_bytes(200, b'{"items": []}', True), 0.002)
    checker("GET /v1/notices", 200, Reply.of_bytes(200, b"not json", True), 0.002)  # unchecked
    run = RunData(rec, [], 0, 10.0, 1.0)
    assert lookup(run, "check.notice accepted", "success_rate") == pytest.approx(0.9)
    assert lookup(run, "check.never true", "success_rate") == 0.0
    assert lookup(run, ALL_CHECKS, "count") == 21.0
    passed = {v.threshold.metric: v.passed for v in verdicts(run, spec.thresholds)}
    assert passed == {
        "check.notice accepted": False, "check.listing pages": True,
        "check.never true": False, "checks": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('request = "POST /v1/notices"\nbody = [{ path = "id", near = 3 }]',
         "slo.toml:1: check 'c': body[0]: unknown key 'near'; operators: equals, in, exists, "
         "type, min_length"),
        ('request = "POST /v1/notice"',
         "slo.toml:1: check 'c': request 'POST /v1/notice': not a request name the harness sends"),
        ('request = "POST /v1/notices"\nstatus = [42]',
         "slo.toml:1: check 'c': status: expected HTTP statuses (100-599), e.g. [200, 201]"),
        ('request = "POST /v1/notices"\nbody = [{ path = "id", type = "integer" }]',
         "slo.toml:1: check 'c': body[0]: type takes number, string, bool, list, object, null, "
         "got 'integer'"),
    ],
)  # fmt: skip
def test_a_bad_check_names_the_file_line_and_field(table: str, problem: str) -> None:
    text = f'[checks."c"]\n{table}\n[thresholds]\n"checks" = ["success_rate > 99%"]\n'
    with pytest.raises(SloError) as info:
        parse_spec(text, KNOWN_METRICS, "slo.toml")
    assert info.value.problems == [problem]


def test_a_check_metric_is_known_only_when_the_check_is_defined() -> None:
    with pytest.raises(SloError) as info:
        parse_spec('[thresholds]\n"check.x" = ["success_rate > 1%"]\n', KNOWN_METRICS, "s")
    assert "unknown metric 'check.x'" in info.value.problems[0]


@pytest.mark.timeout(180)
def test_a_real_run_gates_on_checks(lt_service: tuple[str, Path], tmp_path: Path) -> None:
    """Against the real service: true checks hold (100%), an impossible one fails the run
    with exit 3, and no request counts a failed check as its own failure."""
    url, keys = lt_service
    slo = tmp_path / "slo.toml"
    slo.write_text(CHECKS.replace('"check.notice accepted" = ["success_rate > 99%"]\n', ""))
    out = tmp_path / "out"
    run = takedown(
        "loadtest", "--host", url, "--keys", str(keys), "--profile", "smoke", "--seed", "4",
        "--duration", "5s", "--slo", str(slo), "--out", str(out),
    )  # fmt: skip
    assert run.returncode == 3, run.stderr + run.stdout
    doc = json.loads((out / "loadtest.json").read_text())
    verdict = {s["metric"]: (s["passed"], s["value"]) for s in doc["slo"]}
    assert verdict["check.listing pages"] == (True, "1")
    assert verdict["check.never true"] == (False, "0")
    stats = doc["stats"]
    notices = doc["requests"]["POST /v1/notices"]
    assert stats["check.never true"]["count"] == notices["sent"] > 0
    assert stats["check.notice accepted"]["success_rate"] == 1.0  # defined, not gated
    assert notices["failures"] == 0
