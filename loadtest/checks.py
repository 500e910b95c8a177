"""Content checks on responses, as k6's ``check`` and Gatling's ``check``: a status and
predicates on the JSON body, each check's success rate gateable in the SLO file.

::

    [checks."notice accepted"]
    request = "POST /v1/notices"
    status = [200, 201]
    body = [
      { path = "status", in = ["removed", "pending_review"] },
      { path = "id", type = "number" },
    ]

    [thresholds]
    "checks" = ["success_rate > 99%"]                 # every check together
    "check.notice accepted" = ["success_rate >= 99.9%"]

A check runs on every response to its request (by the harness's stable request name).
It passes when the status is one of ``status`` (any, when not given) and every body
predicate holds. Each outcome is recorded as a sample (the request's latency) of
``check.<name>`` and of ``checks``, a failed check as a failure, so the results merge
across workers like any series and ``success_rate`` is ``1 - fail_ratio``. A check
never fails the request itself (Locust's tables are unchanged).

Body predicates: ``path`` is a dotted path into the JSON (``items.0.id``) and exactly
one of ``equals`` (a value), ``in`` (a list of values), ``exists`` (true or false),
``type`` (number, string, bool, list, object, null) or ``min_length`` (of a list or
string).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.config import ConfigError

ALL_CHECKS = "checks"
PREFIX = "check."
OPERATORS = ("equals", "in", "exists", "type", "min_length")
TYPES: dict[str, Callable[[Any], bool]] = {
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}
_MISSING = object()


class CheckError(ConfigError):
    """A [checks] table could not be read; ``problems`` holds one line per problem."""


def lookup_path(body: Any, path: str) -> Any:
    """The value at dotted ``path`` in a JSON body (list items by index); a sentinel
    when the path leads nowhere."""
    value = body
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return _MISSING
    return value


@dataclass(frozen=True)
class Predicate:
    """One test of the body: the value at ``path`` against ``operator`` and ``expected``."""

    path: str
    operator: str
    expected: Any

    def holds(self, body: Any) -> bool:
        """Whether ``body`` passes this predicate."""
        value = lookup_path(body, self.path)
        if self.operator == "exists":
            return (value is not _MISSING) == bool(self.expected)
        if value is _MISSING:
            return False
        if self.operator == "equals":
            return bool(value == self.expected)
        if self.operator == "in":
            return value in self.expected
        if self.operator == "type":
            return TYPES[self.expected](value)
        return isinstance(value, list | str) and len(value) >= int(self.expected)


@dataclass(frozen=True)
class Check:
    """A named check of one request: allowed statuses (empty: any) and body predicates."""

    name: str
    request: str
    statuses: tuple[int, ...]
    predicates: tuple[Predicate, ...]

    @property
    def metric(self) -> str:
        """The series its outcomes are recorded in (and gated by)."""
        return PREFIX + self.name

    def holds(self, status: int, body: Any) -> bool:
        """Whether a response passes."""
        if self.statuses and status not in self.statuses:
            return False
        return all(p.holds(body) for p in self.predicates)


def _predicate(item: Any, where: str) -> Predicate:
    if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"]:
        raise CheckError([f'{where}: expected {{ path = "...", <operator> = ... }}'])
    ops = [k for k in item if k != "path"]
    unknown = [k for k in ops if k not in OPERATORS]
    if unknown or len(ops) != 1:
        what = f"unknown key {unknown[0]!r}" if unknown else "needs exactly one operator"
        raise CheckError([f"{where}: {what}; operators: {', '.join(OPERATORS)}"])
    op, expected = ops[0], item[ops[0]]
    valid: dict[str, Callable[[Any], bool]] = {
        "in": lambda e: isinstance(e, list),
        "exists": lambda e: isinstance(e, bool),
        "type": lambda e: isinstance(e, str) and e in TYPES,
        "min_length": lambda e: isinstance(e, int) and not isinstance(e, bool) and e >= 0,
    }
    bad = not valid.get(op, lambda _e: True)(expected)
    if bad:
        allowed = {
            "in": "a list of values", "exists": "true or false",
            "type": ", ".join(TYPES), "min_length": "a whole number >= 0",
        }[op]  # fmt: skip
        raise CheckError([f"{where}: {op} takes {allowed}, got {expected!r}"])
    return Predicate(item["path"], op, expected)


def parse_check(name: str, table: Any, known_requests: Sequence[str], where: str) -> Check:
    """One ``[checks.<name>]`` table; CheckError naming ``where`` and the field otherwise."""
    if not isinstance(table, dict):
        raise CheckError([f"{where}: expected a table with request, status and body"])
    unknown = sorted(set(table) - {"request", "status", "body"})
    if unknown:
        raise CheckError([f"{where}: unknown key {unknown[0]!r}; allowed: request, status, body"])
    request = table.get("request")
    if request not in known_requests:
        raise CheckError([f"{where}: request {request!r}: not a request name the harness sends"])
    statuses = table.get("status", [])
    statuses = [statuses] if isinstance(statuses, int) else statuses
    if not isinstance(statuses, list) or not all(
        isinstance(s, int) and 100 <= s <= 599 for s in statuses
    ):
        raise CheckError([f"{where}: status: expected HTTP statuses (100-599), e.g. [200, 201]"])
    body = table.get("body", [])
    if not isinstance(body, list):
        raise CheckError([f"{where}: body: expected a list of predicates"])
    predicates = tuple(_predicate(item, f"{where}: body[{k}]") for k, item in enumerate(body))
    return Check(name, str(request), tuple(statuses), predicates)


def parse_checks(
    table: Mapping[str, Any], known_requests: Sequence[str], where: Callable[[str], str]
) -> list[Check]:
    """Every check of a ``[checks]`` table (``where(name)`` says where each is defined)."""
    out, problems = [], []
    for name, item in table.items():
        try:
            out.append(parse_check(name, item, known_requests, where(name)))
        except CheckError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CheckError(problems)
    return out


Record = Callable[[str, float, bool], None]


class Checker:
    """Runs the checks of each response and records their outcomes."""

    def __init__(self, checks: Sequence[Check], record: Record) -> None:
        self.record = record
        self.by_request: dict[str, list[Check]] = {}
        for check in checks:
            self.by_request.setdefault(check.request, []).append(check)

    def __call__(self, name: str, status: int, reply: Any, seconds: float) -> None:
        """One response to request ``name`` (its ``loadtest.client.Reply``, whose body
        is parsed only when a check is on that request): every check on it, recorded."""
        checks = self.by_request.get(name)
        if not checks:
            return
        body = reply.body
        for check in checks:
            passed = check.holds(status, body)
            self.record(check.metric, seconds, passed)
            self.record(ALL_CHECKS, seconds, passed)
