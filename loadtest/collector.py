"""The run's bookkeeping: live abort checks, and the merged results written once.

On the master, ``Collector`` gathers each worker's final snapshot, judges the
abort_on_fail thresholds on their live ones and writes ``harness.json`` once; a local
run writes it from its own snapshot (``write_harness``). For Locust started by hand
``write_results`` adds ``loadtest.json`` and ``junit.xml``.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import gevent
import locust.runners

from loadtest.config import RunConfig
from loadtest.hdr import merge
from loadtest.profile import profile_from_dict
from loadtest.slo import Threshold
from loadtest.timeline import merge_timelines
from loadtest.workers import WORKERS_FILE, Roll, process_ended

# A worker is gone when its process has ended (one on this machine), or when nothing
# (heartbeat, stats, message) came from it for LOST_S: Locust's own bound, as a worker
# quits after 60 s without the master's heartbeat. A worker merely starved of CPU keeps
# its place until then, however slow the machine is.
LOST_S = 60.0
FLUSH_AGAIN_S = 5.0  # while waiting for finals, ask the workers still owing one again
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


def _held(counts: dict[str, int]) -> dict[str, int]:
    """User counts per class, leaving out the classes with none."""
    return {k: int(v) for k, v in counts.items() if v}


class Collector:
    """On the master: gathers each worker's final snapshot, merges and writes once.

    It ends the run when every worker has reported, or when every worker not gone has
    and the others are gone (their absence fails the run); and it judges abort_on_fail
    thresholds on the workers' live snapshots. Locust's own notion of a missing worker
    (a few seconds without a heartbeat) is raised to ``LOST_S``: on a starved machine a
    worker late with its heartbeat is slow, not dead, and must not stop the test.
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
        self.heard: dict[int, float] = {}  # worker index -> when it was last heard from
        self.flushed_at: float | None = None  # when the test stopped and finals were asked for
        locust.runners.HEARTBEAT_LIVENESS = max(locust.runners.HEARTBEAT_LIVENESS, int(LOST_S))
        runner = environment.runner
        out = Path(config.out_dir) / WORKERS_FILE
        self.roll = Roll(out, config.workers, config.worker_wait_s)
        runner.register_message("td_final", self.on_final)
        runner.register_message("td_live", self.on_live)
        runner.register_message("td_hello", self.on_hello)
        environment.events.worker_connect.add_listener(self.on_connect)
        environment.events.heartbeat_sent.add_listener(self.on_heard)
        environment.events.worker_report.add_listener(self.on_heard)
        environment.events.test_stop.add_listener(self.on_test_stop)
        environment.events.spawning_complete.add_listener(self.on_spawned)
        self._watcher = gevent.spawn(self.watch)

    def seen(self) -> set[int]:
        """Worker indexes that connected at some point."""
        return {int(k) for k in self.environment.runner.worker_indexes.values()}

    def gone(self) -> set[int]:
        """Worker indexes whose process ended, or that were silent for ``LOST_S``, or
        (once the test stopped) did not answer the request for results in ``LOST_S``:
        one that still sends heartbeats but not its results is broken, not slow."""
        now = time.monotonic()
        deaf = self.flushed_at is not None and now - self.flushed_at > LOST_S
        return {
            k
            for k in self.seen()
            if deaf
            or now - self.heard.get(k, now) > LOST_S
            or process_ended(self.roll.joined.get(k, {}))
        }

    def owing(self) -> set[int]:
        """Worker indexes still expected to send their final results (seen, not gone)."""
        return self.seen() - set(self.finals) - self.gone()

    def on_heard(self, client_id: str, **_kwargs: Any) -> None:
        """Something came from a worker (a heartbeat, stats, a message): it is alive."""
        index = self.environment.runner.worker_indexes.get(client_id)
        if index is not None:
            self.heard[int(index)] = time.monotonic()

    def on_connect(self, client_id: str, **_kwargs: Any) -> None:
        """A worker connected: note it in ``workers.json``."""
        self.on_heard(client_id)
        index = self.environment.runner.worker_indexes.get(client_id)
        if index is not None:
            self.roll.connected(int(index), client_id)

    def on_hello(self, environment: Any, msg: Any, **_kwargs: Any) -> None:
        """A worker named its host and process (so a missing one can be named)."""
        self.on_heard(msg.node_id)
        index = self.environment.runner.worker_indexes.get(msg.node_id)
        if index is not None:
            self.roll.said_hello(int(index), msg.data)

    def on_spawned(self, **_kwargs: Any) -> None:
        """Locust placed the users: send the plan once the workers have said so."""
        gevent.spawn(self.send_plan)

    def send_plan(self) -> None:
        """Tell every worker where Locust placed the users, so rates split by users held.

        Locust fires ``spawning_complete`` after waiting a second at most for the
        workers to report their users; a starved worker reports later, and a plan read
        before then would give it no users, so no share of the load. The plan waits for
        every report (or for a worker to be gone: that run fails anyway)."""
        runner = self.environment.runner
        while (
            not self.quitting
            and _held(runner.reported_user_classes_count) != _held(runner.target_user_classes_count)
            and not self.gone()
        ):
            gevent.sleep(0.1)
        plan = {
            str(runner.worker_indexes[c.id]): dict(c.user_classes_count)
            for c in runner.clients.values()
        }
        runner.send_message("td_plan", plan)

    def on_live(self, environment: Any, msg: Any, **_kwargs: Any) -> None:
        """A worker's live snapshot (for abort_on_fail)."""
        self.on_heard(msg.node_id)
        self.lives[int(msg.data["worker_index"])] = msg.data

    def on_final(self, environment: Any, msg: Any, **_kwargs: Any) -> None:
        """A worker's snapshot; once every worker has sent one, end the run."""
        self.on_heard(msg.node_id)
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
        """Every second: a breached abort threshold, or every worker not gone having
        reported (the others gone), ends the run."""
        while not self.quitting:
            gevent.sleep(1.0)
            if self.aborting and self.aborted is None:
                found = breach(self.aborting, list(self.lives.values()), self.config.workers)
                if found is not None:
                    self.aborted = found
                    log.error("abort_on_fail: %s %s", found["metric"], found["threshold"])
                    self.environment.runner.send_message("td_flush")
            if self.finals and not self.owing():
                if len(self.finals) < self.config.workers:
                    log.error("workers missing: every worker not gone has reported")
                self.quit()

    def flush(self, indexes: set[int]) -> None:
        """Ask workers ``indexes`` for their final results (each sends the same one again)."""
        runner = self.environment.runner
        for client_id, index in list(runner.worker_indexes.items()):
            if int(index) in indexes:
                runner.send_message("td_flush", client_id=client_id)

    def on_test_stop(self, **_kwargs: Any) -> None:
        """Ask stragglers to flush and wait for every one not gone (however slow: only
        a worker gone stops the wait), then write the merged result."""
        out = Path(self.config.out_dir) / "harness.json"
        if out.exists():
            return
        self.flushed_at = time.monotonic()
        asked = -math.inf
        while self.owing():
            if time.monotonic() - asked >= FLUSH_AGAIN_S:
                self.flush(self.owing())
                asked = time.monotonic()
            gevent.sleep(0.1)
        write_harness(
            out, list(self.finals.values()), self.config.workers, sorted(self.seen()), self.aborted
        )
        if self.plain:
            write_results(self.environment, self.config)
