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

In Locust's web UI (no ``--headless``, no workers) a test can be started, stopped and
started again: each start gets a fresh harness and rewrites the results; a run that
completes its schedule stops (the UI stays up) instead of quitting. A shape class of
``loadtest.locust_shapes`` in the locustfile sets the arrival shape.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from loadtest.collector import CSV_SETTLE_S, Collector, breach, write_harness, write_results
from loadtest.config import RunConfig
from loadtest.harness import Harness
from loadtest.locust_options import abort_thresholds, add_arguments, plain_config
from loadtest.locust_shapes import shaped_config
from loadtest.profile import ROLES, profile_from_dict
from loadtest.slo import Threshold
from loadtest.users import (
    USER_CLASSES,
    AccountManagerUser,
    RightsHolderUser,
    SellerUser,
    ShopperUser,
    roles_of,
)
from loadtest.workers import hello

# Locust runs the User classes it finds at this module's top level
__all__ = ["AccountManagerUser", "RightsHolderUser", "SellerUser", "ShopperUser"]

LIVE_S = 2.0  # how often workers send what the abort thresholds judge
log = logging.getLogger(__name__)

events.init_command_line_parser.add_listener(add_arguments)


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
    config = shaped_config(config, environment.shape_class)
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
    aborting = abort_thresholds(config)
    if isinstance(runner, MasterRunner):
        environment.td = Collector(environment, config, aborting, plain)
        return
    index = runner.worker_index if isinstance(runner, WorkerRunner) else 0
    environment.td = Harness(config, environment.host or "", index, environment.events.request)
    environment.td_plain = plain
    environment.td_config = config
    environment.events.test_stopping.add_listener(lambda **_: environment.td.close_slots())
    environment.events.test_stop.add_listener(lambda **_: _stop(environment))
    if isinstance(runner, WorkerRunner):
        runner.send_message("td_hello", hello())
        runner.register_message("td_flush", lambda environment, msg, **_: _send_final(environment))
        runner.register_message(
            "td_plan", lambda environment, msg, **_: _start(environment, msg.data, aborting)
        )
    else:
        environment.events.test_start.add_listener(lambda **_: _fresh(environment))
        environment.events.spawning_complete.add_listener(
            lambda **_: _start(environment, {"0": runner.user_classes_count}, aborting)
        )
    # the set-up above blocked the event loop; without this, timers set next (Locust's
    # -t run-time limit) count from the loop's stale clock and fire seconds early
    gevent.get_hub().loop.update_now()


def _fresh(environment: Any) -> None:
    """A test started again (Locust's web UI): a new harness for it, from the same
    config, on the host the UI gave; the previous run's results are replaced."""
    old: Harness = environment.td
    if not old.started:
        return
    config: RunConfig = environment.td_config
    (Path(config.out_dir) / "harness.json").unlink(missing_ok=True)
    environment.td = Harness(config, environment.host or "", 0, environment.events.request)


def _end_local(environment: Any) -> None:
    """The local run is over: quit when headless; in the web UI stop, so it can restart
    (Locust's ``--autoquit`` still quits then)."""
    options = environment.parsed_options
    if options is None or getattr(options, "headless", True):
        environment.runner.quit()
    else:
        environment.runner.stop()


def _start(
    environment: Any, plan: dict[str, dict[str, int]], aborting: list[Threshold] | None = None
) -> None:
    """Start dispatching once every worker's users are placed (``plan``: index -> class counts)."""
    harness: Harness = environment.td
    if harness.started:
        return  # a repeated plan or spawning_complete (e.g. after a rebalance)
    harness.worker_index = getattr(environment.runner, "worker_index", 0)
    harness.start({int(k): roles_of(v) for k, v in plan.items()})
    gevent.spawn(_complete, environment)
    if aborting and isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_live_loop, environment)
    elif aborting:
        gevent.spawn(_watch_local, environment, aborting)


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
            _end_local(environment)
            return


def _complete(environment: Any) -> None:
    """After the last arrival: drain, then report (worker) or write and quit (local)."""
    harness: Harness = environment.td
    harness.wait_dispatched()
    if harness.finished:
        return  # stopped early (an abort, or Locust's own stop)
    harness.drain()
    if harness.finished or environment.td is not harness:
        return  # stopped while draining (and perhaps started again: not this run's end)
    if isinstance(environment.runner, WorkerRunner):
        _send_final(environment)
    else:
        _write_local(environment)
        gevent.sleep(CSV_SETTLE_S)
        _end_local(environment)


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
