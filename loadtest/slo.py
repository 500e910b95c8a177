"""SLO thresholds: a TOML file of ``metric = ["stat op value", ...]`` and their verdicts.

In the spirit of k6 thresholds::

    [thresholds]
    "POST /v1/notices" = ["p99 < 200ms", "fail_ratio < 0.001"]
    "e2e_takedown" = ["p95 < 2s"]
    "arrivals" = ["dropped == 0"]
    "GET /v1/listings" = [{ threshold = "p99 < 1s", abort_on_fail = true, delay = "10s" }]

    [gates]
    warmup = "5s"          # samples recorded in the first 5 s are left out of the gates

    [baseline]             # with --baseline previous/loadtest.json: allowed regressions
    "POST /v1/notices" = ["p95 +10%", "fail_ratio +0.001"]

Time limits are kept in seconds inside; a bad file raises ``SloError`` whose lines
name the file, the line number and what is allowed.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.checks import ALL_CHECKS, PREFIX, Check, CheckError, parse_checks
from sim.config import ConfigError, closest, parse_toml, read_text, suggestion

OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
TIME_UNITS_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
TIME_STATS = ("mean", "max", "min")
PLAIN_STATS = (
    "rps", "fail_ratio", "count", "failures", "dropped", "dropped_ratio", "unfinished",
    "unfinished_ratio", "success_rate",
)  # fmt: skip
REGRESSION_STATS = (
    "mean",
    "max",
    "fail_ratio",
    "failures",
    "dropped",
    "dropped_ratio",
    "unfinished",
    "unfinished_ratio",
)  # and any percentile: statistics where larger is worse
STAT_HELP = (
    "p50..p99.9, mean, max, min, rps, fail_ratio, count, failures, dropped, dropped_ratio, "
    "unfinished, unfinished_ratio, success_rate"
)

_EXPR = re.compile(
    r"^\s*(?P<stat>[a-z_]+|p\d+(?:\.\d+)?)\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<num>[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*(?P<unit>[a-z%]*)\s*$"
)


class SloError(ConfigError):
    """An SLO file could not be read; ``problems`` holds one line per problem."""


@dataclass(frozen=True)
class Threshold:
    """One parsed threshold; ``limit`` is in seconds for time statistics."""

    metric: str
    stat: str
    op: str
    limit: float
    text: str
    line: int
    abort_on_fail: bool = False
    delay_s: float = 0.0

    @property
    def is_time(self) -> bool:
        """Whether the statistic is a duration (compared in seconds)."""
        return is_time_stat(self.stat)


@dataclass(frozen=True)
class Regression:
    """An allowed regression against a baseline run: ``stat`` may grow by ``allowed``
    (a fraction of the baseline when ``relative``, else seconds or a plain amount)."""

    metric: str
    stat: str
    allowed: float
    relative: bool
    text: str
    line: int

    def threshold(self, base: float | None) -> Threshold:
        """The gate this regression makes against a baseline value (None: none known)."""
        if base is None:
            return Threshold(
                self.metric, self.stat, "<=", math.nan, f"{self.text} (no baseline)", self.line
            )
        limit = base * (1.0 + self.allowed) if self.relative else base + self.allowed
        shown = _format_seconds(base) if is_time_stat(self.stat) else f"{base:.6g}"
        text = f"{self.text} (baseline {shown})"
        return Threshold(self.metric, self.stat, "<=", limit, text, self.line)


@dataclass(frozen=True)
class SloSpec:
    """A whole SLO file: thresholds, the warm-up left out of gates, baseline regressions."""

    thresholds: list[Threshold]
    warmup_s: float = 0.0
    regressions: list[Regression] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def aborting(self) -> list[Threshold]:
        """Thresholds that stop the run early when breached."""
        return [t for t in self.thresholds if t.abort_on_fail]


@dataclass(frozen=True)
class Verdict:
    """A threshold with its measured value (None: no data) and whether it held."""

    threshold: Threshold
    value: float | None
    passed: bool

    def shown_value(self) -> str:
        """The value as a person reads it: durations in ms or s, ratios as numbers."""
        if self.value is None:
            return "no data"
        if self.threshold.is_time:
            return _format_seconds(self.value)
        return f"{self.value:.6g}"


def is_time_stat(stat: str) -> bool:
    """Percentiles, mean, max and min are durations."""
    return stat in TIME_STATS or percentile_of(stat) is not None


def percentile_of(stat: str) -> float | None:
    """99.9 for ``p99.9``; None when ``stat`` is not a percentile."""
    if not re.fullmatch(r"p\d+(?:\.\d+)?", stat):
        return None
    return float(stat[1:])


def _format_seconds(value_s: float) -> str:
    return f"{value_s * 1000:.1f}ms" if value_s < 1 else f"{value_s:.3f}s"


def _line_of(lines: list[str], needle: str, start: int = 0) -> int:
    """1-based number of the first line at or after ``start`` holding ``needle``."""
    for idx in range(start, len(lines)):
        if needle in lines[idx]:
            return idx + 1
    return start + 1 if start < len(lines) else max(len(lines), 1)


def _key_line(lines: list[str], key: str) -> int:
    """1-based number of the line where ``key`` is defined, as a key or a table header."""
    for candidate in (f'"{key}"', f"'{key}'", key):
        for idx, text in enumerate(lines):
            if text.strip().lstrip("[ \t").startswith(candidate):
                return idx + 1
    return 1


def parse_expr(text: str, metric: str, line: int, source: str) -> Threshold:
    """One ``"p99 < 200ms"`` into a Threshold; SloError naming the line otherwise."""
    where = f"{source}:{line}: {metric!r}: {text!r}"
    match = _EXPR.match(text)
    if not match:
        raise SloError([f"{where}: expected 'stat op value', e.g. 'p99 < 200ms'"])
    stat, op, unit = match["stat"], match["op"], match["unit"]
    value = float(match["num"])
    q = percentile_of(stat)
    if q is not None and not 0 < q < 100:
        raise SloError([f"{where}: percentile must lie between p0 and p100 (exclusive)"])
    if q is None and stat not in TIME_STATS and stat not in PLAIN_STATS:
        hint = closest(stat, [*TIME_STATS, *PLAIN_STATS, "p99"])
        tip = f"did you mean '{hint}'? " if hint else ""
        raise SloError([f"{where}: unknown statistic {stat!r}; {tip}allowed: {STAT_HELP}"])
    if is_time_stat(stat):
        if unit not in TIME_UNITS_S:
            raise SloError([f"{where}: a duration needs a unit: us, ms, s or m"])
        value *= TIME_UNITS_S[unit]
    elif unit == "%":
        value /= 100.0
    elif unit:
        raise SloError([f"{where}: {stat} takes a plain number (or a percentage), not {unit!r}"])
    return Threshold(metric, stat, op, value, text.strip(), line)


_REGRESSION = re.compile(
    r"^\s*(?P<stat>[a-z_]+|p\d+(?:\.\d+)?)\s*\+\s*"
    r"(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*(?P<unit>[a-z%]*)\s*$"
)
TABLES = ("thresholds", "gates", "baseline", "checks")


def parse_duration(text: Any, where: str) -> float:
    """'5s', '500ms', '1m' in seconds; SloError naming ``where`` otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*(us|ms|s|m)\s*", str(text))
    if not isinstance(text, str) or not match:
        raise SloError([f"{where}: expected a duration like 500ms, 5s or 1m, got {text!r}"])
    return float(match[1]) * TIME_UNITS_S[match[2]]


def parse_regression(text: str, metric: str, line: int, source: str) -> Regression:
    """One ``"p95 +10%"`` into a Regression; SloError naming the line otherwise."""
    where = f"{source}:{line}: {metric!r}: {text!r}"
    match = _REGRESSION.match(text)
    if not match:
        raise SloError([f"{where}: expected 'stat +allowed', e.g. 'p95 +10%' or 'p99 +50ms'"])
    stat, unit, value = match["stat"], match["unit"], float(match["num"])
    if percentile_of(stat) is None and stat not in REGRESSION_STATS:
        allowed = ", ".join(("p50..p99.9", *REGRESSION_STATS))
        raise SloError([f"{where}: a regression is an increase of one of: {allowed}"])
    if unit == "%":
        return Regression(metric, stat, value / 100.0, True, text.strip(), line)
    if is_time_stat(stat):
        if unit not in TIME_UNITS_S:
            raise SloError([f"{where}: a duration needs a unit (us, ms, s, m) or %"])
        value *= TIME_UNITS_S[unit]
    elif unit:
        raise SloError([f"{where}: {stat} takes a plain number (or a percentage), not {unit!r}"])
    return Regression(metric, stat, value, False, text.strip(), line)


def _threshold_item(item: Any, metric: str, line: int, source: str) -> Threshold:
    """A string, or a table {threshold, abort_on_fail, delay} (as k6 writes them)."""
    if isinstance(item, str):
        return parse_expr(item, metric, line, source)
    where = f"{source}:{line}: {metric!r}"
    if not isinstance(item, dict) or not isinstance(item.get("threshold"), str):
        raise SloError([f'{where}: expected a string or {{ threshold = "..." }}'])
    extra = sorted(set(item) - {"threshold", "abort_on_fail", "delay"})
    if extra:
        raise SloError(
            [f"{where}: unknown key {extra[0]!r}; allowed: threshold, abort_on_fail, delay"]
        )
    abort = item.get("abort_on_fail", False)
    if not isinstance(abort, bool):
        raise SloError([f"{where}: abort_on_fail must be true or false"])
    delay_s = parse_duration(item["delay"], f"{where}: delay") if "delay" in item else 0.0
    th = parse_expr(item["threshold"], metric, line, source)
    return Threshold(th.metric, th.stat, th.op, th.limit, th.text, th.line, abort, delay_s)


def _metric_items(
    table: dict[str, Any],
    lines: list[str],
    known: Collection[str],
    source: str,
    parse: Callable[[Any, str, int, str], Any],
) -> tuple[list[Any], list[str]]:
    out: list[Any] = []
    problems: list[str] = []
    for metric, exprs in table.items():
        key_line = _key_line(lines, metric)
        if metric not in known:
            tip = suggestion(metric, sorted(known), fallback="known")
            problems.append(f"{source}:{key_line}: unknown metric {metric!r}; {tip}")
            continue
        if isinstance(exprs, str | dict):
            exprs = [exprs]
        if not isinstance(exprs, list) or not all(isinstance(e, str | dict) for e in exprs):
            problems.append(f"{source}:{key_line}: {metric!r}: expected a list of strings")
            continue
        for expr in exprs:
            needle = f'"{expr}"' if isinstance(expr, str) else f'"{expr.get("threshold")}"'
            line = _line_of(lines, needle, key_line - 1)
            try:
                out.append(parse(expr, metric, line, source))
            except SloError as exc:
                problems.extend(exc.problems)
    return out, problems


def parse_spec(text: str, known_metrics: Collection[str], source: str = "<slo>") -> SloSpec:
    """A whole SLO file's text: thresholds, [gates], [baseline] and [checks], checked
    throughout. Each check adds a metric, ``check.<name>``, and ``checks`` (all of them)."""
    data = parse_toml(text, source, SloError)
    lines = text.splitlines()
    extra = sorted(set(data) - set(TABLES))
    if extra:
        line = _key_line(lines, extra[0]) if extra[0] else 1
        hint = closest(extra[0], list(TABLES))
        tip = (
            f"did you mean '{hint}'?" if hint else "allowed: " + ", ".join(f"[{t}]" for t in TABLES)
        )
        raise SloError([f"{source}:{line}: unknown table {extra[0]!r}; {tip}"])
    table = data.get("checks", {})
    checks, problems = _checks(table, lines, known_metrics, source)
    if table and isinstance(table, dict):  # a bad check is named once, not again as a metric
        known_metrics = {*known_metrics, ALL_CHECKS, *(PREFIX + name for name in table)}
    table = data.get("thresholds", {})
    baseline = data.get("baseline", {})
    if not isinstance(table, dict) or not isinstance(baseline, dict) or not (table or baseline):
        raise SloError([f"{source}: expected a non-empty [thresholds] (or [baseline]) table"])
    out, more = _metric_items(table, lines, known_metrics, source, _threshold_item)
    problems += more
    regs, more = _metric_items(baseline, lines, known_metrics, source, parse_regression)
    problems += more
    gates = data.get("gates", {})
    warmup_s = 0.0
    if not isinstance(gates, dict):
        problems.append(f"{source}: [gates] must be a table")
    else:
        unknown = sorted(set(gates) - {"warmup"})
        if unknown:
            line = _key_line(lines, unknown[0])
            problems.append(
                f"{source}:{line}: [gates]: unknown key {unknown[0]!r}; allowed: warmup"
            )
        if "warmup" in gates:
            try:
                warmup_s = parse_duration(
                    gates["warmup"], f"{source}:{_key_line(lines, 'warmup')}: warmup"
                )
            except SloError as exc:
                problems.extend(exc.problems)
    if problems:
        raise SloError(problems)
    return SloSpec(out, warmup_s, regs, checks)


def _checks(
    table: Any, lines: list[str], known_metrics: Collection[str], source: str
) -> tuple[list[Check], list[str]]:
    """The [checks] table's checks, on the request names among the known metrics."""
    if not isinstance(table, dict):
        return [], [f"{source}: [checks] must be a table of named checks"]
    requests = sorted(m for m in known_metrics if " /" in m)

    def where(name: str) -> str:
        quoted = _line_of(lines, f'checks."{name}"')
        line = (
            quoted if f'checks."{name}"' in "\n".join(lines) else _line_of(lines, f"checks.{name}")
        )
        return f"{source}:{line}: check {name!r}"

    try:
        return parse_checks(table, requests, where), []
    except CheckError as exc:
        return [], list(exc.problems)


def parse_slo(text: str, known_metrics: Collection[str], source: str = "<slo>") -> list[Threshold]:
    """All thresholds of an SLO file's text, checked against the metrics the harness records."""
    return parse_spec(text, known_metrics, source).thresholds


def load_spec(path: str | Path, known_metrics: Collection[str]) -> SloSpec:
    """Read and parse a whole SLO file; SloError for a missing or unreadable one."""
    path = Path(path)
    return parse_spec(read_text(path, SloError), known_metrics, str(path))


def load_slo(path: str | Path, known_metrics: Collection[str]) -> list[Threshold]:
    """Read and parse an SLO file's thresholds; SloError for a missing or unreadable one."""
    return load_spec(path, known_metrics).thresholds


Lookup = Callable[[str, str], float | None]


def evaluate(thresholds: list[Threshold], lookup: Lookup) -> list[Verdict]:
    """Verdicts for each threshold; ``lookup(metric, stat)`` gives seconds or plain numbers.

    A statistic with no data (no samples of a metric) breaches its threshold: a gate
    that cannot see its metric must not pass.
    """
    verdicts = []
    for th in thresholds:
        value = lookup(th.metric, th.stat)
        passed = value is not None and not math.isnan(th.limit) and OPS[th.op](value, th.limit)
        verdicts.append(Verdict(th, value, passed))
    return verdicts
