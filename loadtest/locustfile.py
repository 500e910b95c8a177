"""Locust users per role, driven by open-model arrivals; the master merges HDR histograms.

Run through ``takedown loadtest`` (which writes the ``--td-config`` file), or by hand:
``locust -f loadtest/locustfile.py --headless --td-config run.json --host URL``.
Each role is a FastHttpUser class whose users wait for arrivals from the harness
dispatcher; their count is the role's pool (the concurrency bound). At the end each
worker sends its encoded histograms to the master in a ``td_final`` message; the
master merges them exactly and writes ``harness.json`` for the runner.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.runners import MasterRunner, WorkerRunner

from loadtest import client as api
from loadtest.config import RunConfig
from loadtest.harness import Harness
from loadtest.hdr import merge
from loadtest.profile import profile_from_dict
from loadtest.roles import Actor, perform

FLUSH_WAIT_S = 20.0


class RoleUser(FastHttpUser):
    """A user of one role: takes the next arrival of its role and performs it."""

    abstract = True
    role = ""
    wait_time = constant(0)
    concurrency = 4

    def on_start(self) -> None:
        harness: Harness = self.environment.td
        transport = api.LocustTransport(self.client, harness.recorder.record)
        self.actor = Actor(api.TakedownClient(transport), harness.user_rng(self.role), harness)

    @task
    def serve(self) -> None:
        harness: Harness = self.environment.td
        arrival = harness.slots[self.role].take()
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
    parser.add_argument("--td-config", default="", help="Run config JSON written by the runner.")


@events.init.add_listener
def _on_init(environment: Any, **_kwargs: Any) -> None:
    path = (
        getattr(environment.parsed_options, "td_config", "") if environment.parsed_options else ""
    )
    if not path:
        return  # imported without a harness config (e.g. `locust --list`)
    config = RunConfig.read(path)
    profile = profile_from_dict(config.profile)
    for role, cls in USER_CLASSES.items():
        cls.fixed_count = profile.pool_of(role)
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        environment.td = Collector(environment, config)
        return
    index = runner.worker_index if isinstance(runner, WorkerRunner) else 0
    environment.td = Harness(config, environment.host or "", index, environment.events.request)
    environment.events.test_stop.add_listener(lambda **_: _stop(environment))
    if isinstance(runner, WorkerRunner):
        runner.register_message("td_flush", lambda environment, msg, **_: _send_final(environment))
        runner.register_message(
            "td_plan", lambda environment, msg, **_: _start(environment, msg.data)
        )
    else:
        environment.events.spawning_complete.add_listener(
            lambda **_: _start(environment, {"0": runner.user_classes_count})
        )


def _roles(counts: dict[str, int]) -> dict[str, int]:
    """Users per role from Locust's users per class name."""
    by_name = {cls.__name__: role for role, cls in USER_CLASSES.items()}
    return {by_name[name]: int(n) for name, n in counts.items() if name in by_name}


def _start(environment: Any, plan: dict[str, dict[str, int]]) -> None:
    """Start dispatching once every worker's users are placed (``plan``: index -> class counts)."""
    harness: Harness = environment.td
    if harness.started:
        return  # a repeated plan or spawning_complete (e.g. after a rebalance)
    harness.worker_index = getattr(environment.runner, "worker_index", 0)
    harness.start({int(k): _roles(v) for k, v in plan.items()})
    gevent.spawn(_complete, environment)


def _complete(environment: Any) -> None:
    """After the last arrival: drain, then report (worker) or write and quit (local)."""
    harness: Harness = environment.td
    harness.wait_dispatched()
    harness.drain()
    if isinstance(environment.runner, WorkerRunner):
        _send_final(environment)
    else:
        _write_local(environment)
        environment.runner.quit()


def _stop(environment: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        _send_final(environment)
    else:
        _write_local(environment)


def _send_final(environment: Any) -> None:
    harness: Harness = environment.td
    first = not harness.finished
    snapshot = harness.finish()
    if first:
        out = Path(harness.config.out_dir) / f"worker-{snapshot['worker_index']}.json"
        out.write_text(json.dumps({k: v for k, v in snapshot.items() if k != "recorder"}))
    environment.runner.send_message("td_final", snapshot)


def _write_local(environment: Any) -> None:
    harness: Harness = environment.td
    out = Path(harness.config.out_dir) / "harness.json"
    if not out.exists():
        write_harness(out, [harness.finish()], workers=0)


def write_harness(path: Path, snapshots: list[dict[str, Any]], workers: int) -> None:
    """The merged result of all load-generating processes, for the runner to read."""
    merged = merge(s["recorder"] for s in snapshots)
    doc = {
        "workers": workers,
        "merged": merged.encode(),
        "merged_counts": merged.counts(),
        "per_worker": [
            {k: v for k, v in s.items() if k != "recorder"}
            for s in sorted(snapshots, key=lambda s: s["worker_index"])
        ],
    }
    path.write_text(json.dumps(doc, indent=1, sort_keys=True))


class Collector:
    """On the master: gathers each worker's final snapshot, merges and writes once."""

    def __init__(self, environment: Any, config: RunConfig) -> None:
        self.environment = environment
        self.config = config
        self.finals: dict[int, dict[str, Any]] = {}
        self.quitting = False
        environment.runner.register_message("td_final", self.on_final)
        environment.events.test_stop.add_listener(self.on_test_stop)
        environment.events.spawning_complete.add_listener(self.on_spawned)

    def on_spawned(self, **_kwargs: Any) -> None:
        """Tell every worker where Locust placed the users, so rates split by users held."""
        runner = self.environment.runner
        plan = {
            str(runner.worker_indexes[c.id]): dict(c.user_classes_count)
            for c in runner.clients.values()
        }
        runner.send_message("td_plan", plan)

    def on_final(self, environment: Any, msg: Any, **_kwargs: Any) -> None:
        """A worker's snapshot; once every worker has sent one, end the run."""
        self.finals[int(msg.data["worker_index"])] = msg.data
        if len(self.finals) >= self.config.workers and not self.quitting:
            self.quitting = True
            gevent.spawn(self.environment.runner.quit)

    def on_test_stop(self, **_kwargs: Any) -> None:
        """Ask stragglers to flush, wait for them (bounded), then write the merged result."""
        out = Path(self.config.out_dir) / "harness.json"
        if out.exists():
            return
        if len(self.finals) < self.config.workers:
            self.environment.runner.send_message("td_flush")
            deadline = time.monotonic() + FLUSH_WAIT_S
            while len(self.finals) < self.config.workers and time.monotonic() < deadline:
                gevent.sleep(0.1)
        write_harness(out, list(self.finals.values()), self.config.workers)
