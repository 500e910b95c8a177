"""The run's bookkeeping: live abort checks, and the merged results written once.

On the master, ``Collector`` gathers each worker's final snapshot, judges the
abort_on_fail thresholds on their live ones and writes ``harness.json`` once; a local
run writes it from its own snapshot (``write_harness``). For Locust started by hand
``write_results`` adds ``loadtest.json`` and ``junit.xml``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import gevent
from locust.runners import STATE_MISSING

from loadtest.config import RunConfig
from loadtest.hdr import merge
from loadtest.profile import profile_from_dict
from loadtest.slo import Threshold
from loadtest.timeline import merge_timelines
from loadtest.workers import WORKERS_FILE, Roll

FLUSH_WAIT_S = 20.0
CSV_SETTLE_S = 1.5  # Locust rewrites its CSV every second: let it see the last requests
log = logging.getLogger(__name__)


def breach(
    aborting: list[Threshold], lives: list[dict[str, Any]], workers: int
) -> dict[str, Any] | None:
    """The first abort_on_fail threshold breached by the live data, past its delay."""
    from loadtest.results import RunData, verdicts

    if not lives:
        return None
    elapsed_s = max(float(live["since_start_s"]) for live in lives)
    due = [t for t in aborting if elapsed_s >= t.delay_s]
    if not due:
        return None
    merged = merge(live["recorder"] for live in lives)
    per_worker = [{"worker_index": x["worker_index"], "arrivals": x["arrivals"]} for x in lives]
    run = RunData(merged, per_worker, workers, max(elapsed_s, 1e-3), 0.0)
    for v in verdicts(run, due):
        if v.value is not None and not v.passed:  # no data yet is no breach yet
            th = v.threshold
            return {
                "metric": th.metric, "stat": th.stat, "threshold": th.text, "line": th.line,
                "value": v.value, "at_s": round(elapsed_s, 3),
            }  # fmt: skip
    return None


def write_results(environment: Any, config: RunConfig) -> None:
    """For Locust started by hand: loadtest.json and junit.xml, exit 3 on a breach."""
    from loadtest.results import (
        KNOWN_METRICS,
        loadtest_doc,
        nominal_per_second,
        nominal_rate,
        read_run,
        run_verdicts,
        write_junit,
    )
    from loadtest.slo import parse_spec

    out = Path(config.out_dir)
    profile = profile_from_dict(config.profile)
    target = nominal_rate(profile, config.duration_s)
    per_s = nominal_per_second(profile, config.duration_s)
    data = read_run(out / "harness.json", config.duration_s, target, per_s)
    spec = parse_spec(config.slo_text, KNOWN_METRICS) if config.slo_text else None
    checked = run_verdicts(data, spec.thresholds if spec else [])
    extra = {
        "seed": config.seed, "profile": profile.profile.name, "duration_s": config.duration_s,
        "warmup_s": config.warmup_s, "baseline": None,
    }  # fmt: skip
    doc = loadtest_doc(data, checked, extra)
    (out / "loadtest.json").write_text(json.dumps(doc, indent=2, sort_keys=True))
    write_junit(out / "junit.xml", checked)
    if not doc["passed"]:
        environment.process_exit_code = 3
        for v in checked:
            if not v.passed:
                log.error(
                    "SLO breached: %s %s: %s", v.threshold.metric, v.threshold.text, v.shown_value()
                )


def write_harness(
    path: Path,
    snapshots: list[dict[str, Any]],
    workers: int,
    seen: list[int] | None = None,
    aborted: dict[str, Any] | None = None,
    missing: list[str] | None = None,
) -> None:
    """The merged result of all load-generating processes, for the runner to read
    (``missing``: workers named as missing, when the runner knows them better)."""
    merged = merge(s["recorder"] for s in snapshots)
    steady = [s["steady"] for s in snapshots if s.get("steady") is not None]
    doc = {
        "workers": workers,
        "merged": merged.encode(),
        "merged_counts": merged.counts(),
        "steady": merge(steady).encode() if steady else None,
        "timeline": merge_timelines(s.get("timeline") for s in snapshots).encode(),
        "seen_workers": sorted(
            seen if seen is not None else (s["worker_index"] for s in snapshots)
        ),
        "aborted": aborted,
        "missing": missing,
        "per_worker": [
            {k: v for k, v in s.items() if k not in ("recorder", "steady", "timeline")}
            for s in sorted(snapshots, key=lambda s: s["worker_index"])
        ],
    }
    path.write_text(json.dumps(doc, indent=1, sort_keys=True))


class Collector:
    """On the master: gathers each worker's final snapshot, merges and writes once.

    It ends the run when every worker has reported, or when every worker still
    connected has and the others went missing (their absence fails the run); and it
    judges abort_on_fail thresholds on the workers' live snapshots.
    """

    def __init__(
        self, environment: Any, config: RunConfig, aborting: list[Threshold], plain: bool
    ) -> None:
        self.environment = environment
        self.config = config
        self.aborting = aborting
        self.plain = plain
        self.finals: dict[int, dict[str, Any]] = {}
        self.lives: dict[int, dict[str, Any]] = {}
        self.aborted: dict[str, Any] | None = None
        self.quitting = False
        runner = environment.runner
        out = Path(config.out_dir) / WORKERS_FILE
        self.roll = Roll(out, config.workers, config.worker_wait_s)
        runner.register_message("td_final", self.on_final)
        runner.register_message("td_live", self.on_live)
        runner.register_message("td_hello", self.on_hello)
        environment.events.worker_connect.add_listener(self.on_connect)
        environment.events.test_stop.add_listener(self.on_test_stop)
        environment.events.spawning_complete.add_listener(self.on_spawned)
        self._watcher = gevent.spawn(self.watch)

    def seen(self) -> set[int]:
        """Worker indexes that connected at some point."""
        return {int(k) for k in self.environment.runner.worker_indexes.values()}

    def alive(self) -> set[int]:
        """Worker indexes connected and not missing."""
        runner = self.environment.runner
        return {
            int(runner.worker_indexes[c.id])
            for c in runner.clients.all
            if c.state != STATE_MISSING and c.id in runner.worker_indexes
        }

    def on_connect(self, client_id: str, **_kwargs: Any) -> None:
        """A worker connected: note it in ``workers.json``."""
        index = self.environment.runner.worker_indexes.get(client_id)
        if index is not None:
            self.roll.connected(int(index), client_id)

    def on_hello(self, environment: Any, msg: Any, **_kwargs: Any) -> None:
        """A worker named its host and process (so a missing one can be named)."""
        index = self.environment.runner.worker_indexes.get(msg.node_id)
        if index is not None:
            self.roll.said_hello(int(index), msg.data)

    def on_spawned(self, **_kwargs: Any) -> None:
        """Tell every worker where Locust placed the users, so rates split by users held."""
        runner = self.environment.runner
        plan = {
            str(runner.worker_indexes[c.id]): dict(c.user_classes_count)
            for c in runner.clients.values()
        }
        runner.send_message("td_plan", plan)

    def on_live(self, environment: Any, msg: Any, **_kwargs: Any) -> None:
        """A worker's live snapshot (for abort_on_fail)."""
        self.lives[int(msg.data["worker_index"])] = msg.data

    def on_final(self, environment: Any, msg: Any, **_kwargs: Any) -> None:
        """A worker's snapshot; once every worker has sent one, end the run."""
        self.finals[int(msg.data["worker_index"])] = msg.data
        self.roll.report(int(msg.data["worker_index"]))
        if len(self.finals) >= self.config.workers:
            self.quit()

    def quit(self) -> None:
        """End the run once (after Locust's CSV writer has seen the last counts)."""
        if self.quitting:
            return
        self.quitting = True

        def later() -> None:
            gevent.sleep(CSV_SETTLE_S)
            self.environment.runner.quit()

        gevent.spawn(later)

    def watch(self) -> None:
        """Every second: a breached abort threshold, or workers gone missing, ends the run."""
        while not self.quitting:
            gevent.sleep(1.0)
            if self.aborting and self.aborted is None:
                found = breach(self.aborting, list(self.lives.values()), self.config.workers)
                if found is not None:
                    self.aborted = found
                    log.error("abort_on_fail: %s %s", found["metric"], found["threshold"])
                    self.environment.runner.send_message("td_flush")
            if self.finals and self.alive() <= set(self.finals):
                if len(self.finals) < self.config.workers:
                    log.error("workers missing: every connected worker has reported")
                self.quit()

    def on_test_stop(self, **_kwargs: Any) -> None:
        """Ask stragglers to flush, wait for them (bounded), then write the merged result."""
        out = Path(self.config.out_dir) / "harness.json"
        if out.exists():
            return
        if len(self.finals) < self.config.workers:
            self.environment.runner.send_message("td_flush")
            deadline = time.monotonic() + FLUSH_WAIT_S
            while len(self.finals) < self.config.workers and time.monotonic() < deadline:
                if self.finals and self.alive() <= set(self.finals):
                    break  # the others went missing: they will not report
                gevent.sleep(0.1)
        write_harness(
            out, list(self.finals.values()), self.config.workers, sorted(self.seen()), self.aborted
        )
        if self.plain:
            write_results(self.environment, self.config)
