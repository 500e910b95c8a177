"""SLO thresholds: a TOML file of ``metric = ["stat op value", ...]`` and their verdicts.

In the spirit of k6 thresholds::

    [thresholds]
    "POST /v1/notices" = ["p99 < 200ms", "fail_ratio < 0.001"]
    "e2e_takedown" = ["p95 < 2s"]
    "arrivals" = ["dropped == 0"]

Time limits are kept in seconds inside; a bad file raises ``SloError`` whose lines
name the file, the line number and what is allowed.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

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
    "unfinished_ratio",
)  # fmt: skip
STAT_HELP = (
    "p50..p99.9, mean, max, min, rps, fail_ratio, count, failures, dropped, dropped_ratio, "
    "unfinished, unfinished_ratio"
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

    @property
    def is_time(self) -> bool:
        """Whether the statistic is a duration (compared in seconds)."""
        return is_time_stat(self.stat)


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


def parse_slo(text: str, known_metrics: Collection[str], source: str = "<slo>") -> list[Threshold]:
    """All thresholds of an SLO file's text, checked against the metrics the harness records."""
    data = parse_toml(text, source, SloError)
    lines = text.splitlines()
    extra = sorted(set(data) - {"thresholds"})
    if extra:
        line = _key_line(lines, extra[0]) if extra[0] else 1
        hint = closest(extra[0], ["thresholds"])
        tip = f"did you mean '{hint}'?" if hint else "allowed: [thresholds]"
        raise SloError([f"{source}:{line}: unknown table {extra[0]!r}; {tip}"])
    table = data.get("thresholds")
    if not isinstance(table, dict) or not table:
        raise SloError([f"{source}: expected a non-empty [thresholds] table"])
    problems: list[str] = []
    out: list[Threshold] = []
    for metric, exprs in table.items():
        key_line = _key_line(lines, metric)
        if metric not in known_metrics:
            tip = suggestion(metric, sorted(known_metrics), fallback="known")
            problems.append(f"{source}:{key_line}: unknown metric {metric!r}; {tip}")
            continue
        if isinstance(exprs, str):
            exprs = [exprs]
        if not isinstance(exprs, list) or not all(isinstance(e, str) for e in exprs):
            problems.append(f"{source}:{key_line}: {metric!r}: expected a list of strings")
            continue
        for expr in exprs:
            line = _line_of(lines, f'"{expr}"', key_line - 1)
            try:
                out.append(parse_expr(expr, metric, line, source))
            except SloError as exc:
                problems.extend(exc.problems)
    if problems:
        raise SloError(problems)
    return out


def load_slo(path: str | Path, known_metrics: Collection[str]) -> list[Threshold]:
    """Read and parse an SLO file; SloError for a missing or unreadable one."""
    path = Path(path)
    text = read_text(path, SloError)
    return parse_slo(text, known_metrics, str(path))


Lookup = Callable[[str, str], float | None]


def evaluate(thresholds: list[Threshold], lookup: Lookup) -> list[Verdict]:
    """Verdicts for each threshold; ``lookup(metric, stat)`` gives seconds or plain numbers.

    A statistic with no data (no samples of a metric) breaches its threshold: a gate
    that cannot see its metric must not pass.
    """
    verdicts = []
    for th in thresholds:
        value = lookup(th.metric, th.stat)
        passed = value is not None and OPS[th.op](value, th.limit)
        verdicts.append(Verdict(th, value, passed))
    return verdicts
