"""Locust users per role, driven by open-model arrivals; the master merges HDR histograms.

Run through ``takedown loadtest`` (which writes the ``--td-config`` file), or with
plain Locust::

    locust -f loadtest/locustfile.py --headless -t 60s --host URL

Without ``--td-config`` it loads the profile ``--td-profile`` (``default``), the
service's keys from ``--td-keys`` (``keys.json`` in the current folder, as
``takedown serve --keys-out keys.json`` writes it), gates on ``--td-slo`` if given,
and writes ``harness.json``, ``loadtest.json`` and ``junit.xml`` into ``--td-out``;
arrivals run for ``-t`` (else ``--td-duration``, else 60 s). Every ``--td-*`` option
has an environment twin (``LOCUST_TD_CONFIG``, ``LOCUST_TD_PROFILE``, ...). The users
per role are the profile's ``[pool]``: a ``-u`` below their sum is raised to it, and
without ``-r`` they all start in the first second.

Each role is a FastHttpUser class whose users wait for arrivals from the harness
dispatcher. At the end each worker sends its encoded histograms to the master in a
``td_final`` message; the master merges them exactly and writes ``harness.json``.
Thresholds marked ``abort_on_fail`` are judged while the run goes (workers send
``td_live`` snapshots to the master every 2 s) and stop it when breached.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

from loadtest.config import RunConfig
from loadtest.harness import Harness
from loadtest.hdr import merge
from loadtest.profile import ROLES, profile_from_dict
from loadtest.roles import Actor, perform
from loadtest.slo import Threshold

FLUSH_WAIT_S = 20.0
LIVE_S = 2.0  # how often workers send what the abort thresholds judge
CSV_SETTLE_S = 1.5  # Locust rewrites its CSV every second: let it see the last requests
log = logging.getLogger(__name__)


class RoleUser(FastHttpUser):
    """A user of one role: takes the next arrival of its role and performs it."""

    abstract = True
    role = ""
    wait_time = constant(0)
    concurrency = 4

    def on_start(self) -> None:
        from loadtest import client as api

        harness: Harness = self.environment.td
        transport = api.LocustTransport(self.client, harness.role_record(self.role))
        self.actor = Actor(api.TakedownClient(transport), harness.user_rng(self.role), harness)

    @task
    def serve(self) -> None:
        harness: Harness = self.environment.td
        arrival = harness.slots[self.role].take()
        if arrival is None:
            return  # stopping: nothing more will arrive
        lag_s = perform(self.actor, self.role, arrival)
        harness.recorder.record("arrivals.start_lag", lag_s)


class RightsHolderUser(RoleUser):
    """Brands: file notices, read them back, message their account manager."""

    role = "rights_holder"


class AccountManagerUser(RoleUser):
    """Account managers: claim review items and decide them."""

    role = "account_manager"


class ShopperUser(RoleUser):
    """Shoppers: browse, search and view listings (the read load)."""

    role = "shopper"


class SellerUser(RoleUser):
    """Sellers: new listings and counter-notices."""

    role = "seller"


USER_CLASSES: dict[str, type[RoleUser]] = {
    cls.role: cls for cls in (RightsHolderUser, AccountManagerUser, ShopperUser, SellerUser)
}


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    group = parser.add_argument_group("takedown harness")
    group.add_argument(
        "--td-config", default="", env_var="LOCUST_TD_CONFIG",
        help="Run config JSON written by takedown loadtest (overrides the other --td-* options).",
    )  # fmt: skip
    group.add_argument(
        "--td-profile", default="default", env_var="LOCUST_TD_PROFILE",
        help="Shipped load profile name or TOML path.",
    )  # fmt: skip
    group.add_argument(
        "--td-keys", default="keys.json", env_var="LOCUST_TD_KEYS",
        help="Keys JSON the service wrote (takedown serve --keys-out).",
    )  # fmt: skip
    group.add_argument("--td-slo", default="", env_var="LOCUST_TD_SLO", help="SLO thresholds TOML.")
    group.add_argument(
        "--td-out", default=".", env_var="LOCUST_TD_OUT", help="Folder for harness results."
    )
    group.add_argument(
        "--td-duration", default="", env_var="LOCUST_TD_DURATION",
        help="How long arrivals run (default: -t, else 60s).",
    )  # fmt: skip
    group.add_argument(
        "--td-seed", default="", env_var="LOCUST_TD_SEED", help="Root seed of the load."
    )


def plain_config(options: Any) -> RunConfig:
    """A run config from the ``--td-*`` options, for Locust started by hand.

    Raises ValueError naming the option for a mistake (the caller exits 2 with it).
    """
    from loadtest.profile import ProfileError, load_profile
    from loadtest.results import KNOWN_METRICS
    from loadtest.runner import parse_duration_s
    from loadtest.slo import SloError, load_spec
    from sim.rng import draw_seed

    try:
        profile = load_profile(options.td_profile)
        spec = load_spec(options.td_slo, KNOWN_METRICS) if options.td_slo else None
    except (ProfileError, SloError) as exc:
        raise ValueError(exc.problems[0]) from None
    keys = Path(options.td_keys)
    if not keys.is_file():
        raise ValueError(
            f"--td-keys {options.td_keys}: file not found (start the service with "
            "'takedown serve --keys-out keys.json', or point --td-keys / LOCUST_TD_KEYS at it)"
        )
    if options.td_duration:
        duration_s = parse_duration_s(options.td_duration)
    else:
        duration_s = float(getattr(options, "run_time", None) or 60.0)
    seed_text = str(options.td_seed).strip()
    if seed_text and not seed_text.isdigit():
        raise ValueError(f"--td-seed {seed_text!r}: expected a whole number >= 0")
    seed = int(seed_text) if seed_text else (profile.profile.seed or draw_seed())
    out = Path(options.td_out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "harness.json").unlink(missing_ok=True)  # a previous run's, written at the end
    return RunConfig(
        profile=profile.model_dump(mode="json"), keys_file=str(keys.resolve()),
        duration_s=duration_s, workers=int(getattr(options, "expect_workers", 0) or 0)
        if getattr(options, "master", False) else 0,
        out_dir=str(out.resolve()), seed=seed, warmup_s=spec.warmup_s if spec else 0.0,
        slo_text=Path(options.td_slo).read_text() if options.td_slo else None,
    )  # fmt: skip


def _aborting(config: RunConfig) -> list[Threshold]:
    from loadtest.results import KNOWN_METRICS
    from loadtest.slo import parse_spec

    return parse_spec(config.slo_text, KNOWN_METRICS).aborting if config.slo_text else []


@events.init.add_listener
def _on_init(environment: Any, **_kwargs: Any) -> None:
    options = environment.parsed_options
    if options is None:
        return  # imported as a library (no Locust command line)
    plain = not options.td_config
    try:
        config = plain_config(options) if plain else RunConfig.read(options.td_config)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    profile = profile_from_dict(config.profile)
    for role, cls in USER_CLASSES.items():
        cls.fixed_count = profile.pool_of(role)
    pools = sum(profile.pool_of(r) for r in ROLES)
    if plain and not getattr(options, "worker", False):
        if options.num_users is not None and options.num_users < pools:
            log.warning(
                "-u %s is below the profile's pools (%s): raised to them", options.num_users, pools
            )
        options.num_users = max(options.num_users or 0, pools)
        if options.spawn_rate is None:
            options.spawn_rate = float(pools)
    runner = environment.runner
    aborting = _aborting(config)
    if isinstance(runner, MasterRunner):
        environment.td = Collector(environment, config, aborting, plain)
        return
    index = runner.worker_index if isinstance(runner, WorkerRunner) else 0
    environment.td = Harness(config, environment.host or "", index, environment.events.request)
    environment.td_plain = plain
    environment.events.test_stopping.add_listener(lambda **_: environment.td.close_slots())
    environment.events.test_stop.add_listener(lambda **_: _stop(environment))
    if isinstance(runner, WorkerRunner):
        runner.register_message("td_flush", lambda environment, msg, **_: _send_final(environment))
        runner.register_message(
            "td_plan", lambda environment, msg, **_: _start(environment, msg.data, aborting)
        )
    else:
        environment.events.spawning_complete.add_listener(
            lambda **_: _start(environment, {"0": runner.user_classes_count}, aborting)
        )
    # the set-up above blocked the event loop; without this, timers set next (Locust's
    # -t run-time limit) count from the loop's stale clock and fire seconds early
    gevent.get_hub().loop.update_now()


def _roles(counts: dict[str, int]) -> dict[str, int]:
    """Users per role from Locust's users per class name."""
    by_name = {cls.__name__: role for role, cls in USER_CLASSES.items()}
    return {by_name[name]: int(n) for name, n in counts.items() if name in by_name}


def _start(
    environment: Any, plan: dict[str, dict[str, int]], aborting: list[Threshold] | None = None
) -> None:
    """Start dispatching once every worker's users are placed (``plan``: index -> class counts)."""
    harness: Harness = environment.td
    if harness.started:
        return  # a repeated plan or spawning_complete (e.g. after a rebalance)
    harness.worker_index = getattr(environment.runner, "worker_index", 0)
    harness.start({int(k): _roles(v) for k, v in plan.items()})
    gevent.spawn(_complete, environment)
    if aborting and isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_live_loop, environment)
    elif aborting:
        gevent.spawn(_watch_local, environment, aborting)


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


def _live_loop(environment: Any) -> None:
    harness: Harness = environment.td
    while not harness.finished:
        gevent.sleep(LIVE_S)
        if not harness.finished:
            environment.runner.send_message("td_live", harness.live())


def _watch_local(environment: Any, aborting: list[Threshold]) -> None:
    harness: Harness = environment.td
    while not harness.finished:
        gevent.sleep(1.0)
        found = breach(aborting, [harness.live()], 0)
        if found and not harness.finished:
            harness.aborted = found
            _write_local(environment)
            gevent.sleep(CSV_SETTLE_S)
            environment.runner.quit()
            return


def _complete(environment: Any) -> None:
    """After the last arrival: drain, then report (worker) or write and quit (local)."""
    harness: Harness = environment.td
    harness.wait_dispatched()
    if harness.finished:
        return  # stopped early (an abort, or Locust's own stop)
    harness.drain()
    if isinstance(environment.runner, WorkerRunner):
        _send_final(environment)
    else:
        _write_local(environment)
        gevent.sleep(CSV_SETTLE_S)
        environment.runner.quit()


def _stop(environment: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        _send_final(environment)
    elif _write_local(environment):
        gevent.sleep(CSV_SETTLE_S)  # Locust's CSV writer then sees the final counts


def _send_final(environment: Any) -> None:
    harness: Harness = environment.td
    first = not harness.finished
    snapshot = harness.finish()
    if first:
        out = Path(harness.config.out_dir) / f"worker-{snapshot['worker_index']}.json"
        out.write_text(json.dumps({k: v for k, v in snapshot.items() if k != "recorder"}))
    environment.runner.send_message("td_final", snapshot)
    # and Locust's own counts of this worker, so the master's final CSV has them all
    send_stats = getattr(environment.runner, "_send_stats", None)
    if send_stats is not None:
        send_stats()


def _write_local(environment: Any) -> bool:
    """Write harness.json (and in plain Locust loadtest.json) once; True if written now."""
    harness: Harness = environment.td
    out = Path(harness.config.out_dir) / "harness.json"
    if out.exists():
        return False
    snapshot = harness.finish()
    write_harness(out, [snapshot], workers=0, aborted=snapshot.get("aborted"))
    if getattr(environment, "td_plain", False):
        write_results(environment, harness.config)
    return True


def write_results(environment: Any, config: RunConfig) -> None:
    """For Locust started by hand: loadtest.json and junit.xml, exit 3 on a breach."""
    from loadtest.results import (
        KNOWN_METRICS,
        loadtest_doc,
        nominal_rate,
        read_run,
        run_verdicts,
        write_junit,
    )
    from loadtest.slo import parse_spec

    out = Path(config.out_dir)
    profile = profile_from_dict(config.profile)
    target = nominal_rate(profile, config.duration_s)
    data = read_run(out / "harness.json", config.duration_s, target)
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
) -> None:
    """The merged result of all load-generating processes, for the runner to read."""
    merged = merge(s["recorder"] for s in snapshots)
    steady = [s["steady"] for s in snapshots if s.get("steady") is not None]
    doc = {
        "workers": workers,
        "merged": merged.encode(),
        "merged_counts": merged.counts(),
        "steady": merge(steady).encode() if steady else None,
        "seen_workers": sorted(
            seen if seen is not None else (s["worker_index"] for s in snapshots)
        ),
        "aborted": aborted,
        "per_worker": [
            {k: v for k, v in s.items() if k not in ("recorder", "steady")}
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
        runner.register_message("td_final", self.on_final)
        runner.register_message("td_live", self.on_live)
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
