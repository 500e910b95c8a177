"""A load test's report: ``report.html`` (self-contained), ``summary.md`` and figures.

``render_loadtest_report(folder)`` reads a folder holding ``loadtest.json`` (as
``takedown loadtest`` writes it) and writes the report beside it, in the simulation
report's style (the shared ``style.css.j2``). ``summary.md`` is short enough to paste
into a pull request: the outcome, every gate, the headline numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.loadtest_data import E2E, LoadtestData, load_loadtest
from reports.loadtest_plots import draw_all
from reports.render import REPORT_FILE, SUMMARY_FILE, environment

E2E_COLUMNS = ("programme", "notices", "unfinished", "unfinished ratio", "p50", "p95", "p99", "max")
REQUEST_COLUMNS = (
    "request", "count", "sent", "dropped", "failures", "rps", "p50", "p95", "p99", "p99.9",
)  # fmt: skip


@dataclass(frozen=True)
class Gate:
    """One gate's line: what it judged, its threshold, the run's value and the verdict."""

    metric: str
    threshold: str
    value: str
    passed: bool


def _secs(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.0f} ms" if value < 1.0 else f"{value:.2f} s"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else _secs(value / 1000.0)


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def gates(data: LoadtestData) -> list[Gate]:
    """Every gate of the run, breached ones first (then in the file's order)."""
    rows = [
        Gate(str(g["metric"]), str(g["threshold"]), str(g["value"]), bool(g["passed"]))
        for g in data.doc.get("slo", [])
    ]
    return sorted(rows, key=lambda g: g.passed)


def outcome(data: LoadtestData) -> str:
    """One line: passed, or how many gates were breached."""
    rows = gates(data)
    breached = sum(not g.passed for g in rows)
    if data.passed:
        return f"PASSED: all {len(rows)} gate(s) held."
    return f"FAILED: {breached} of {len(rows)} gate(s) breached (exit 3)."


def warnings(data: LoadtestData) -> list[str]:
    """Cautions: a run stopped by abort_on_fail, workers whose results are missing."""
    out = []
    aborted = data.doc.get("aborted")
    if aborted:
        out.append(
            f"Stopped early at {aborted.get('at_s')} s: {aborted.get('metric')} "
            f"{aborted.get('threshold')} (abort_on_fail) was breached."
        )
    missing = data.doc.get("missing_workers") or []
    if missing:
        out.append(f"Results missing from {', '.join(missing)}: the figures cover the rest.")
    return out


def headline(data: LoadtestData) -> list[tuple[str, str]]:
    """Arrivals against target, drops, e2e overall, the cross-check and the generator."""
    arr, e2e = data.doc["arrivals"], data.doc.get(E2E, {})
    gen = data.doc.get("load_generator", {})
    cross = e2e.get("crosscheck", {})
    return [
        ("target arrivals", f"{arr.get('target_rate')} /s"),
        ("achieved arrivals", f"{arr.get('achieved_rate')} /s ({arr.get('started')} started)"),
        ("dropped arrivals", f"{arr.get('dropped')} of {arr.get('scheduled')}"),
        ("generator start lag p99", _ms(arr.get("start_lag_p99_ms"))),
        ("notices followed", str(e2e.get("count", 0))),
        ("unfinished notices",
         f"{e2e.get('unfinished', 0)} ({_ratio(e2e.get('unfinished_ratio'))})"),
        ("takedown p50 / p95 / p99",
         " / ".join(_secs(e2e.get(k)) for k in ("p50_s", "p95_s", "p99_s"))),
        ("harness's e2e minus the service's own (median)", _secs(cross.get("median_s"))),
        ("removal events' delay (median)", _secs(e2e.get("stream_delay", {}).get("median_s"))),
        ("HTTP requests per CPU-second", str(gen.get("requests_per_cpu_s"))),
    ]  # fmt: skip


def e2e_rows(data: LoadtestData) -> list[list[str]]:
    """Per programme, then all notices: counts, unfinished and percentiles."""
    e2e = data.doc.get(E2E, {})
    items = [(p, e2e.get("by_program", {}).get(p, {})) for p in data.programmes()]
    items.append(("all notices", e2e))
    keys = ("p50_s", "p95_s", "p99_s", "max_s")
    return [
        [name, str(s.get("count", 0)), str(s.get("unfinished", 0)),
         _ratio(s.get("unfinished_ratio")), *(_secs(s.get(k)) for k in keys)]
        for name, s in items
    ]  # fmt: skip


def request_rows(data: LoadtestData) -> list[list[str]]:
    """Per request name: counts and percentiles from the intended start."""
    requests = data.doc.get("requests", {})
    rows = []
    for name in data.request_names():
        r = requests[name]
        counts = [str(r.get(k, 0)) for k in ("count", "sent", "dropped", "failures")]
        pcts = [_ms(r.get(k)) for k in ("p50_ms", "p95_ms", "p99_ms", "p999_ms")]
        rows.append([name, *counts, str(r.get("rps")), *pcts])
    return rows


def title(data: LoadtestData) -> str:
    """The report's title."""
    return f"Load test: profile {data.doc.get('profile', '?')}, {data.doc.get('duration_s', '?')} s"


def lead(data: LoadtestData) -> str:
    """What was run, in one sentence."""
    workers = int(data.doc.get("workers", 0))
    procs = f"{workers} worker(s)" if workers else "one local runner"
    warmup = float(data.doc.get("warmup_s") or 0.0)
    text = f"Seed {data.doc.get('seed')}, {procs}. Latencies run from each arrival's intended start"
    text += "; dropped arrivals and unfinished notices count, censored at their wait."
    if warmup:
        text += f" The gates leave out the first {warmup:g} s (warm-up); the figures do not."
    return text


def provenance(data: LoadtestData) -> list[tuple[str, str]]:
    """Where the numbers came from."""
    doc = data.doc
    rows = [
        ("folder", str(data.folder)),
        ("profile", str(doc.get("profile"))),
        ("seed", str(doc.get("seed"))),
        ("duration", f"{doc.get('duration_s')} s"),
        ("warm-up left out of gates", f"{doc.get('warmup_s') or 0} s"),
        ("baseline", str(doc.get("baseline") or "none")),
        ("workers", str(doc.get("workers"))),
    ]
    for entry in data.workers.get("workers", []):
        rows.append((f"worker {entry.get('index')}", str(entry.get("status"))))
    return rows


def render_markdown(data: LoadtestData, files: list[str]) -> str:
    """``summary.md``: outcome, gates, headline and e2e tables, the figures' files."""
    lines = [f"# {title(data)}", "", f"**{outcome(data)}**", "", lead(data), ""]
    lines += [f"> {w}" for w in warnings(data)]
    if gates(data):
        lines += ["", "| gate | threshold | value | verdict |", "|---|---|---|---|"]
        lines += [
            f"| `{g.metric}` | {g.threshold} | {g.value} | {'pass' if g.passed else '**BREACH**'} |"
            for g in gates(data)
        ]
    lines += ["", "| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in headline(data))]
    lines += ["", "| " + " | ".join(E2E_COLUMNS) + " |", "|" + "---|" * len(E2E_COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in e2e_rows(data)]
    lines += ["", "Figures: " + ", ".join(f"`{f}`" for f in files), ""]
    return "\n".join(lines)


def render_loadtest_report(folder: Path) -> Path:
    """Write ``report.html``, ``summary.md`` and ``fig_*.png`` into ``folder``; the
    report's path. ReportError for a folder without a readable ``loadtest.json``."""
    folder = Path(folder)
    data = load_loadtest(folder)
    plots = draw_all(data, folder)
    context: dict[str, Any] = {
        "title": title(data), "lead": lead(data), "warnings": warnings(data),
        "outcome": outcome(data), "gates": gates(data), "headline": headline(data),
        "e2e_columns": E2E_COLUMNS, "e2e_rows": e2e_rows(data),
        "request_columns": REQUEST_COLUMNS, "request_rows": request_rows(data),
        "plots": plots, "provenance": provenance(data),
    }  # fmt: skip
    html = environment().get_template("loadtest.html.j2").render(**context)
    report = folder / REPORT_FILE
    report.write_text(html, encoding="utf-8")
    md = render_markdown(data, [p.filename for p in plots])
    (folder / SUMMARY_FILE).write_text(md, encoding="utf-8")
    return report
