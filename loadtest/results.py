"""From the master's merged histograms to ``loadtest.json``, SLO verdicts and JUnit XML."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loadtest.client import REQUEST_NAMES
from loadtest.hdr import Recorder, Series
from loadtest.profile import ROLES
from loadtest.replay import Trace, offsets_s, per_minute_counts
from loadtest.shapes import mean_multiplier
from loadtest.slo import Threshold, Verdict, evaluate, percentile_of
from loadtest.timeline import Timeline, merge_timelines, summarise, target_per_second

E2E = "e2e_takedown"
PROGRAMMES = ("standard", "good_faith", "joint_force")
ROLE_SCOPES = tuple(f"role.{r}" for r in ROLES)  # every request of a role's arrivals
KNOWN_METRICS = frozenset(
    [
        *REQUEST_NAMES, E2E, *(f"{E2E}.{p}" for p in PROGRAMMES), *ROLE_SCOPES, "arrivals",
        "arrivals.start_lag",
    ]
)  # fmt: skip
STATS = (
    "p50", "p90", "p95", "p99", "p99.9", "mean", "max", "min", "count", "failures",
    "fail_ratio", "rps", "dropped", "dropped_ratio", "unfinished", "unfinished_ratio",
    "success_rate",
)  # fmt: skip


@dataclass(frozen=True)
class RunData:
    """What a run measured: merged series, per-worker reports, and the nominal load."""

    merged: Recorder
    per_worker: list[dict[str, Any]]
    workers: int
    duration_s: float
    target_rate: float
    gated: Recorder | None = None  # what the gates judge: after the warm-up (None: merged)
    seen_workers: tuple[int, ...] = ()  # worker indexes the master saw connect
    aborted: dict[str, Any] | None = None
    timeline: Timeline | None = None  # the merged per-second series
    target_per_s: tuple[float, ...] = ()  # expected arrivals in each second
    missing_named: tuple[str, ...] | None = None  # missing workers, named by the runner

    @property
    def gate(self) -> Recorder:
        """The series the SLO gates judge (the warm-up left out when one was set)."""
        return self.gated if self.gated is not None else self.merged

    def missing_workers(self) -> list[str]:
        """Workers that did not report: by index when the master saw them, else by count
        (or as the runner named them, when no worker connected in time)."""
        if self.missing_named is not None:
            return list(self.missing_named)
        reported = {int(w["worker_index"]) for w in self.per_worker}
        missing = [f"worker {k}" for k in sorted(set(self.seen_workers) - reported)]
        short = max(self.workers, 1) - len(reported) - len(missing)
        if short > 0:
            missing.append(f"{short} worker(s) that never connected")
        return missing

    def arrivals(self, key: str) -> int:
        """Total of one arrivals counter (scheduled, started or dropped) over workers."""
        return sum(sum(w.get("arrivals", {}).get(key, {}).values()) for w in self.per_worker)

    def e2e_counter(self, key: str) -> int:
        """Total of one e2e poller counter (followed, unfinished, stale, nothing_to_name)."""
        return sum(int(w.get("e2e", {}).get(key, 0)) for w in self.per_worker)


def read_run(
    path: Path, duration_s: float, target_rate: float, target_per_s: Sequence[float] = ()
) -> RunData:
    """Read the master's ``harness.json``."""
    doc = json.loads(path.read_text())
    merged = Recorder()
    merged.add_encoded(doc["merged"])
    gated = None
    if doc.get("steady") is not None:
        gated = Recorder()
        gated.add_encoded(doc["steady"])
    return RunData(
        merged, doc["per_worker"], int(doc["workers"]), duration_s, target_rate, gated,
        tuple(int(k) for k in doc.get("seen_workers", [])), doc.get("aborted"),
        merge_timelines([doc.get("timeline")]), tuple(target_per_s),
        tuple(doc["missing"]) if doc.get("missing") is not None else None,
    )  # fmt: skip


def nominal_rate(profile: Any, duration_s: float, replay_rows: int = 0) -> float:
    """Target arrivals per second over the run: profile rates under its shape, plus replay."""
    rates = profile.rates.model_dump()
    if replay_rows:
        rates.pop("rights_holder")
    base = sum(rates.values()) * mean_multiplier(profile.shape, duration_s)
    return base + replay_rows / duration_s


def nominal_per_second(
    profile: Any, duration_s: float, replay_offsets_s: Sequence[float] = ()
) -> list[float]:
    """Target arrivals in each second: profile rates under its shape, plus replay rows."""
    rates = profile.rates.model_dump()
    if len(replay_offsets_s):
        rates.pop("rights_holder")
    inside = [s for s in replay_offsets_s if s < duration_s]
    return target_per_second(sum(rates.values()), profile.shape, duration_s, inside)


def _ms(value_s: float | None) -> float | None:
    return None if value_s is None else round(value_s * 1000.0, 3)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def request_summary(run: RunData) -> dict[str, Any]:
    """Per request name: count, failures, rps and percentiles from the intended start.

    ``count`` holds the requests ``sent`` and the arrivals ``dropped`` before they could
    send theirs (censored at the time until a user was free): the percentiles include
    both, so a figure cannot improve by dropping the slow cases.
    """
    out = {}
    for name in REQUEST_NAMES:
        s = run.merged.series.get(name)
        if s is None or s.count == 0:
            continue
        out[name] = {
            "count": s.count,
            "sent": s.count - s.censored,
            "dropped": s.censored,
            "dropped_ratio": _round(s.censored / s.count),
            "failures": s.failures,
            "rps": round(s.count / run.duration_s, 3),
            "p50_ms": _ms(s.percentile_s(50)),
            "p95_ms": _ms(s.percentile_s(95)),
            "p99_ms": _ms(s.percentile_s(99)),
            "p999_ms": _ms(s.percentile_s(99.9)),
        }
    return out


def _seconds(s: Series) -> dict[str, Any]:
    return {
        "count": s.count,
        "unfinished": s.censored,
        "unfinished_ratio": _round(s.censored / s.count) if s.count else None,
        "p50_s": _round(s.percentile_s(50)),
        "p95_s": _round(s.percentile_s(95)),
        "p99_s": _round(s.percentile_s(99)),
        "max_s": _round(s.max_s()),
    }


def e2e_summary(run: RunData) -> dict[str, Any]:
    """End-to-end takedown latency, overall and per programme, with the poller counters.

    Every followed notice is in the counts: those not seen removed within the timeout
    (or by the end) are censored at their elapsed time and counted as ``unfinished``.
    """
    out = _seconds(run.merged.get(E2E))
    out["by_program"] = {
        p: _seconds(run.merged.series[f"{E2E}.{p}"])
        for p in PROGRAMMES
        if f"{E2E}.{p}" in run.merged.series
    }
    for key in ("followed", "stale", "nothing_to_name", "seen_by_stream", "seen_by_poll"):
        out[key] = run.e2e_counter(key)
    delays = sorted(d for w in run.per_worker for d in w.get("stream_delay_s", []))
    out["stream_delay"] = {
        "count": len(delays),
        "median_s": _round(delays[len(delays) // 2]) if delays else None,
        "max_s": _round(delays[-1]) if delays else None,
    }
    out["follow_up_arrivals"] = {
        k: sum(int(w.get("follow_up", {}).get(k, 0)) for w in run.per_worker)
        for k in ("scheduled", "started", "dropped")
    }
    diffs = sorted(d for w in run.per_worker for d in w.get("crosscheck_s", []))
    out["crosscheck"] = {
        "count": len(diffs),
        "median_s": _round(diffs[len(diffs) // 2]) if diffs else None,
        "min_s": _round(diffs[0]) if diffs else None,
        "max_s": _round(diffs[-1]) if diffs else None,
    }
    return out


def arrivals_summary(run: RunData) -> dict[str, Any]:
    """Target vs achieved arrival rate, and arrivals dropped for want of a free user."""
    started, dropped = run.arrivals("started"), run.arrivals("dropped")
    scheduled = run.arrivals("scheduled")
    lag = run.merged.get("arrivals.start_lag")
    return {
        "target_rate": round(run.target_rate, 3),
        "scheduled_rate": round(scheduled / run.duration_s, 3),
        "achieved_rate": round(started / run.duration_s, 3),
        "scheduled": scheduled,
        "started": started,
        "dropped": dropped,
        "start_lag_p99_ms": _ms(lag.percentile_s(99)),
    }


def replay_summary(run: RunData, trace: Trace, speedup: float) -> dict[str, Any]:
    """Per simulated minute: notices in the trace vs notices the harness sent."""
    offsets = offsets_s(trace, speedup)
    inside = offsets < run.duration_s
    t0_h = float(trace.t_h[0]) if len(trace) else 0.0
    sent = [(row, s) for w in run.per_worker for row, s in w.get("replay_sent", [])]
    sent_s = np.array([s for _, s in sent])
    late_s = np.array([s - offsets[row] for row, s in sent])
    sent_h = t0_h + sent_s * speedup / 3600.0
    span_h = float(trace.t_h[inside][-1] - t0_h) if inside.any() else 0.0
    minutes = int(np.floor(span_h * 60.0)) + 1
    want = per_minute_counts(trace.t_h[inside], t0_h, minutes)
    got = per_minute_counts(sent_h, t0_h, minutes)
    # rows no user was free to send (a busy machine, a slow server): counted at their
    # intended times, so every row of the trace is either sent or dropped
    dropped_s = np.array([s for w in run.per_worker for _, s in w.get("replay_dropped", [])])
    dropped = per_minute_counts(t0_h + dropped_s * speedup / 3600.0, t0_h, minutes)
    # rows whose brand had no listing to name (every one removed already): not sent
    unnamed = sum(len(w.get("replay_unnamed", [])) for w in run.per_worker)
    rel = np.abs(got + dropped - want) / np.maximum(want, 1)
    return {
        "speedup": speedup,
        "rows": int(inside.sum()),
        "sent": len(sent_s),
        "dropped": len(dropped_s),
        "unnamed": unnamed,
        "per_minute_trace": want.tolist(),
        "per_minute_sent": got.tolist(),
        "per_minute_dropped": dropped.tolist(),
        "max_minute_error": round(float(rel.max()), 4) if len(rel) else 0.0,
        "send_late_p99_ms": _ms(float(np.percentile(late_s, 99))) if len(late_s) else None,
        "send_late_max_ms": _ms(float(late_s.max())) if len(late_s) else None,
    }


def load_generator_summary(run: RunData) -> dict[str, Any]:
    """CPU the load-generating processes used, and HTTP requests per CPU-second of it."""
    cpu_s = sum(float(w.get("cpu_s", 0.0)) for w in run.per_worker)
    requests = sum(s.count for n, s in run.merged.series.items() if n in REQUEST_NAMES)
    return {
        "processes": len(run.per_worker),
        "cpu_s": round(cpu_s, 3),
        "requests": requests,
        "requests_per_cpu_s": round(requests / cpu_s, 1) if cpu_s > 0 else None,
    }


def timeline_summary(run: RunData) -> dict[str, Any]:
    """Per second: arrivals against target, and each request's and e2e series' latency."""
    names = [*REQUEST_NAMES, E2E, *(f"{E2E}.{p}" for p in PROGRAMMES)]
    return summarise(run.timeline or Timeline(), names, run.target_per_s)


def histograms(run: RunData) -> dict[str, str]:
    """Each request's and e2e series' merged HDR histogram, encoded (microseconds), for
    a report's percentile spectrum."""
    names = [*REQUEST_NAMES, E2E, *(f"{E2E}.{p}" for p in PROGRAMMES)]
    series = run.merged.series
    return {
        n: series[n].hist.encode().decode("ascii")
        for n in names
        if n in series and series[n].count > 0
    }


def lookup(run: RunData, metric: str, stat: str) -> float | None:
    """One statistic for the SLO gate: seconds for durations, plain numbers otherwise."""
    if metric == "arrivals":
        started, dropped = run.arrivals("started"), run.arrivals("dropped")
        total = started + dropped
        values = {
            "dropped": float(dropped),
            "count": float(started),
            "rps": started / run.duration_s,
            "dropped_ratio": dropped / total if total else 0.0,
        }
        return values.get(stat)
    s = run.gate.series.get(metric)
    if s is None or s.count == 0:
        return 0.0 if stat in ("count", "failures", "rps", "dropped", "unfinished") else None
    q = percentile_of(stat)
    if q is not None:
        return s.percentile_s(q)
    plain = {
        "mean": s.mean_s(),
        "max": s.max_s(),
        "min": s.min_s(),
        "count": float(s.count),
        "failures": float(s.failures),
        "fail_ratio": s.failures / s.count,
        "success_rate": 1.0 - s.failures / s.count,
        "rps": s.count / run.duration_s,
        "unfinished": float(s.censored),
        "unfinished_ratio": s.censored / s.count,
        "dropped": float(s.censored),
        "dropped_ratio": s.censored / s.count,
    }
    return plain.get(stat)


def verdicts(run: RunData, thresholds: list[Threshold]) -> list[Verdict]:
    """Each threshold judged against this run."""
    return evaluate(thresholds, lambda m, s: lookup(run, m, s))


def run_verdicts(run: RunData, thresholds: list[Threshold]) -> list[Verdict]:
    """The thresholds, plus the gates every run has: every worker's results are in, and
    no threshold stopped the run early (abort_on_fail)."""
    out = verdicts(run, thresholds)
    expected = max(run.workers, 1)
    missing = run.missing_workers()
    text = f"reported == {expected}" + (f" (missing: {', '.join(missing)})" if missing else "")
    th = Threshold("workers", "reported", "==", float(expected), text, 0)
    out.append(Verdict(th, float(len(run.per_worker)), not missing))
    if run.aborted:
        a = run.aborted
        text = f"{a['threshold']} (abort_on_fail: stopped the run at {a['at_s']:.1f}s)"
        th = Threshold(str(a["metric"]), str(a["stat"]), "abort", math.nan, text, int(a["line"]))
        out.append(Verdict(th, a.get("value"), False))
    return out


def stats_table(run: RunData) -> dict[str, dict[str, float | None]]:
    """Every gateable statistic of every metric with data (the baseline of a later run)."""
    names = [n for n in sorted(run.gate.series) if run.gate.series[n].count > 0]
    return {n: {st: lookup(run, n, st) for st in STATS} for n in [*names, "arrivals"]}


def baseline_thresholds(regressions: list[Any], baseline_doc: dict[str, Any]) -> list[Threshold]:
    """Each allowed regression as a threshold on the previous run's value."""
    stats = baseline_doc.get("stats", {})
    return [r.threshold(stats.get(r.metric, {}).get(r.stat)) for r in regressions]


def loadtest_doc(run: RunData, checked: list[Verdict], extra: dict[str, Any]) -> dict[str, Any]:
    """The ``loadtest.json`` document."""
    return {
        "requests": request_summary(run),
        "e2e_takedown": e2e_summary(run),
        "arrivals": arrivals_summary(run),
        "slo": [
            {
                "metric": v.threshold.metric,
                "threshold": v.threshold.text,
                "value": v.shown_value(),
                "passed": v.passed,
            }
            for v in checked
        ],
        "passed": all(v.passed for v in checked),
        "stats": stats_table(run),
        "aborted": run.aborted,
        "missing_workers": run.missing_workers(),
        "load_generator": load_generator_summary(run),
        "timeline": timeline_summary(run),
        "histograms": histograms(run),
        "workers": run.workers,
        "worker_counts": {
            str(w["worker_index"]): w.get("counts", {}).get(E2E, 0) for w in run.per_worker
        },
        **extra,
    }


def write_junit(path: Path, checked: list[Verdict]) -> None:
    """One JUnit testcase per threshold, failed when breached (for CI dashboards)."""
    failures = sum(not v.passed for v in checked)
    suite = ET.Element(
        "testsuite", name="loadtest-slo", tests=str(len(checked)), failures=str(failures)
    )
    for v in checked:
        case = ET.SubElement(suite, "testcase", classname=v.threshold.metric, name=v.threshold.text)
        if not v.passed:
            failure = ET.SubElement(case, "failure", message=f"value {v.shown_value()}")
            failure.text = f"{v.threshold.metric}: {v.threshold.text} breached: {v.shown_value()}"
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
