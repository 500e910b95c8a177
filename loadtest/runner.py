"""Runs a load test: the service (unless a host is given), a Locust master and workers.

Every process is started here, in its own process group, and stopped here on every
path out (end of run, failure, Ctrl-C), so no process outlives the run. Load goes
to the given host only; without one, to a service on a free 127.0.0.1 port.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.adapters.classes import load_class
from loadtest.adapters.probe import startup_problems
from loadtest.config import MAX_DURATION_S as MAX_DURATION_S
from loadtest.config import RunConfig
from loadtest.config import parse_duration_s as parse_duration_s
from loadtest.processes import HEALTH_TIMEOUT_S as HEALTH_TIMEOUT_S
from loadtest.processes import LoadtestError as LoadtestError
from loadtest.processes import Processes as Processes
from loadtest.processes import free_port as free_port
from loadtest.processes import processes as processes
from loadtest.processes import tail
from loadtest.processes import wait_healthy as wait_healthy
from loadtest.profile import Profile, load_profile
from loadtest.replay import load_trace, offsets_s
from loadtest.results import (
    KNOWN_METRICS,
    baseline_thresholds,
    loadtest_doc,
    nominal_per_second,
    nominal_rate,
    read_run,
    replay_summary,
    run_verdicts,
)
from loadtest.results import write_junit as _write_junit
from loadtest.slo import SloSpec, Threshold, Verdict, load_spec
from loadtest.workers import (
    GAVE_UP,
    LocalWorker,
    default_wait_s,
    finish_roll,
    never_connected,
    read_roll,
    write_no_show,
)
from sim import shipped
from sim.errors import UserError

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
TAKEDOWN = (sys.executable, "-c", "from sim.cli import main; main()")  # the console script
DEFAULT_SCENARIO = shipped.scenario_dir() / "smoke.toml"  # checkout or installed package
END_SLACK_S = 60.0  # beyond the duration: drain, flush and Locust's own shutdown


BASE_URL = re.compile(r"^https?://[^/\s]+(/\S*)?$")
Notify = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    """Everything ``takedown loadtest`` was asked to do."""

    profile: str = "default"
    slo: Path | None = None
    host: str | None = None
    keys: Path | None = None
    duration_s: float = 60.0
    workers: int = 0
    replay: Path | None = None
    speedup: float = 60.0
    out_dir: Path = Path("out/loadtest")
    seed: int | None = None
    scenario: Path = DEFAULT_SCENARIO
    service_env: tuple[tuple[str, str], ...] = ()
    remote_workers: int = 0
    master_port: int = 5557
    master_bind_host: str = "0.0.0.0"
    baseline: Path | None = None
    mapping: Path | None = None  # a service mapping (loadtest.adapters); None: reference API
    adapter: str | None = None  # package.module:Class of a Python adapter
    worker_wait_s: float | None = None  # None: a minute locally, 5 minutes with remote workers

    @property
    def wait_s(self) -> float:
        """How long the master waits for every worker to connect."""
        if self.worker_wait_s is not None:
            return self.worker_wait_s
        return default_wait_s(self.remote_workers)

    def problems(self) -> list[str]:
        """Every problem with the values themselves, one line each naming the field."""
        checks = [
            (1.0 <= self.duration_s <= MAX_DURATION_S, f"duration_s {self.duration_s:g}: "
             f"must lie between 1 and {MAX_DURATION_S:.0f} (1 s to 24 h)"),
            (0 <= self.workers <= 32, f"workers {self.workers}: must lie between 0 and 32"),
            (0 <= self.remote_workers <= 256,
             f"remote_workers {self.remote_workers}: must lie between 0 and 256"),
            (1024 <= self.master_port <= 65535,
             f"master_port {self.master_port}: must lie between 1024 and 65535"),
            (0 < self.speedup <= 1e6, f"speedup {self.speedup:g}: must be > 0 and <= 1e6"),
            (self.host is None or bool(BASE_URL.match(self.host)),
             f"host {self.host!r}: expected a base URL like http://127.0.0.1:8000"),
            (self.seed is None or self.seed >= 0, f"seed {self.seed}: must be >= 0"),
            (not self.host or self.keys is not None,
             "host needs keys: the keys file the service wrote"),
            (self.keys is None or self.keys.is_file(), f"keys {self.keys}: file not found"),
            (self.mapping is None or bool(self.host),
             "mapping needs host: the service the mapping describes"),
            (self.mapping is None or self.mapping.is_file(),
             f"mapping {self.mapping}: file not found"),
            (self.mapping is None or self.adapter is None,
             "adapter and mapping: give one of the two"),
            (self.adapter is None or bool(self.host),
             "adapter needs host: the service the adapter reaches"),
        ]  # fmt: skip
        return [message for ok, message in checks if not ok]


@dataclass(frozen=True)
class Outcome:
    """The written ``loadtest.json`` document and the SLO verdicts."""

    doc: dict[str, Any]
    verdicts: list[Verdict]

    @property
    def passed(self) -> bool:
        """All thresholds held."""
        return all(v.passed for v in self.verdicts)


def start_service(procs: Processes, opts: Options) -> tuple[str, Path]:
    """The reference service on a free loopback port, seeded; returns (url, keys file)."""
    port = free_port()
    keys = opts.out_dir / "keys.json"
    db = opts.out_dir / "service.db"
    args = [
        *TAKEDOWN, "serve",
        "--db", f"sqlite:///{db}", "--host", "127.0.0.1", "--port", str(port),
        "--seed-scenario", str(opts.scenario), "--keys-out", str(keys), "--reset",
    ]  # fmt: skip
    env = {**os.environ, **dict(opts.service_env)}
    log = opts.out_dir / "service.log"
    proc = procs.start(args, log, env)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc, log)
    return url, keys


def run_time_s(opts: Options, profile: Profile) -> int:
    """Locust's run-time limit: the arrivals, the notices' follow-up window, then slack."""
    return int(opts.duration_s + profile.e2e.timeout_s + END_SLACK_S)


def locust_args(
    opts: Options, host: str, config: Path, users: int, run_time: int | None = None
) -> list[str]:
    """The master's (or local runner's) command line."""
    out = opts.out_dir
    run_time = run_time if run_time is not None else int(opts.duration_s + END_SLACK_S)
    args = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--host", host, "-u", str(users), "-r", str(min(max(users, 1), 100 * max(opts.workers, 1))),
        "--run-time", f"{run_time}s", "--stop-timeout", "0",
        "--csv", str(out / "locust"), "--html", str(out / "locust.html"),
        "--td-config", str(config), "--loglevel", "WARNING", "--only-summary",
    ]  # fmt: skip
    return args


def remote_worker_command(opts: Options, host: str) -> str:
    """What to run on each other machine (in a copy of the results folder)."""
    return (
        f"locust -f loadtest/locustfile.py --worker --master-host <this machine> "
        f"--master-port {opts.master_port} --host {host} --td-config run.json"
    )


def run_locust(
    procs: Processes,
    opts: Options,
    host: str,
    config: Path,
    users: int,
    notify: Notify,
    run_time: int | None = None,
) -> None:
    """Locust headless: one local runner, or a master with local (and remote) workers."""
    args = locust_args(opts, host, config, users, run_time)
    wait_s = (run_time or opts.duration_s + END_SLACK_S) + 60
    port = free_port()
    if opts.workers + opts.remote_workers > 0:
        expect = opts.workers + opts.remote_workers
        args += ["--master", "--expect-workers", str(expect)]
        args += ["--expect-workers-max-wait", str(math.ceil(opts.wait_s))]
        wait_s += opts.wait_s
        if opts.remote_workers:
            port = opts.master_port
            args += ["--master-bind-host", opts.master_bind_host]
            args += ["--master-bind-port", str(port)]
            notify(
                f"waiting up to {opts.wait_s:.0f}s for {opts.remote_workers} remote "
                f"worker(s): copy {config.parent}/run.json and keys.json (and the replayed "
                f"trace) to each and run there: {remote_worker_command(opts, host)}"
            )
        else:
            args += ["--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
    master = procs.start(args, opts.out_dir / "locust-master.log")
    local = []
    for k in range(opts.workers):
        worker = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker"]
        worker += ["--master-host", "127.0.0.1", "--master-port", str(port)]
        worker += ["--host", host, "--td-config", str(config), "--loglevel", "WARNING"]
        local.append(procs.start(worker, opts.out_dir / f"locust-worker-{k}.log"))
    try:
        master.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        raise LoadtestError("Locust did not finish in time; stopped it", 1) from None
    _settle_workers(opts, local)


def _settle_workers(opts: Options, local: list[Any]) -> None:
    """After the master: name the workers that never connected (a failed run, not an
    error: an empty harness.json whose only gate, the workers', fails), and record
    every worker's outcome in workers.json."""
    out, log = opts.out_dir, opts.out_dir / "locust-master.log"
    expected = opts.workers + opts.remote_workers
    gave_up = expected > 0 and log.is_file() and GAVE_UP in log.read_text(errors="replace")
    if not (out / "harness.json").exists() and not gave_up:
        raise LoadtestError(f"Locust ended without results: {tail(log)}", 1)
    if not expected:
        return
    roll = read_roll(out)
    missing: list[str] | None = None
    if gave_up:
        workers = [
            LocalWorker(k, p.pid, f"locust-worker-{k}.log", p.poll()) for k, p in enumerate(local)
        ]
        missing = never_connected(roll, expected, workers, opts.remote_workers)
        seen = [int(w["index"]) for w in roll.get("connected", [])]
        write_no_show(out / "harness.json", expected, seen, missing)
    if missing is None:
        reported = set(roll.get("reported", []))
        connected = [int(w["index"]) for w in roll.get("connected", [])]
        missing = [f"worker {k}" for k in connected if k not in reported]
    finish_roll(out, gave_up, missing)


def _replay_rows(opts: Options) -> int:
    if opts.replay is None:
        return 0
    offsets = offsets_s(load_trace(opts.replay), opts.speedup)
    return int((offsets < opts.duration_s).sum())


def read_baseline(path: Path) -> dict[str, Any]:
    """A previous run's ``loadtest.json``; LoadtestError (exit 2) naming the flag otherwise."""
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise LoadtestError(f"baseline {path}: file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LoadtestError(f"baseline {path}: not a loadtest.json: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("stats"), dict):
        raise LoadtestError(f"baseline {path}: no 'stats' table (written by an older harness?)")
    return doc


def prepare(opts: Options) -> tuple[Profile, list[Threshold]]:
    """Check the user's inputs before starting anything (LoadtestError, exit 2)."""
    profile, spec = prepare_spec(opts)
    return profile, spec.thresholds


def prepare_spec(opts: Options) -> tuple[Profile, SloSpec]:
    """The profile and the whole SLO file, checked: LoadtestError (exit 2) with every
    problem of the options, the profile, the SLO file, the trace and the baseline."""
    problems = opts.problems()
    profile, spec = None, SloSpec([])
    try:
        profile = load_profile(opts.profile)
    except UserError as exc:
        problems += exc.problems
    try:
        spec = load_spec(opts.slo, KNOWN_METRICS) if opts.slo else SloSpec([])
    except UserError as exc:
        problems += exc.problems
    try:
        _replay_rows(opts)
    except UserError as exc:
        problems += exc.problems
    if opts.adapter is not None:
        try:
            load_class(opts.adapter)
        except UserError as exc:
            problems += exc.problems
    if opts.baseline is not None:
        try:
            read_baseline(opts.baseline)
        except UserError as exc:
            problems += exc.problems
        if opts.slo and not spec.regressions:
            problems.append("baseline needs a [baseline] table of allowed regressions in slo")
    if problems or profile is None:
        raise LoadtestError(problems)
    return profile, spec


def _bundle(opts: Options, keys: Path) -> tuple[str, str | None]:
    """The keys file and trace as run.json names them. The keys (every role's secret, the
    admin's included) stay where they are; only a run with remote workers, whose folder
    must travel to other machines, gets a copy beside run.json, readable by its owner
    alone (0600). The trace is copied beside run.json."""
    bundled = opts.out_dir / "keys.json"
    keys_name = str(keys.resolve())
    if opts.remote_workers and keys.resolve() != bundled.resolve():
        bundled.unlink(missing_ok=True)
        fd = os.open(bundled, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(keys.read_bytes())
        keys_name = bundled.name
    if opts.replay is None:
        return keys_name, None
    trace = opts.out_dir / f"replay{opts.replay.suffix}"
    shutil.copyfile(opts.replay, trace)
    return keys_name, trace.name


def run(opts: Options, notify: Notify = lambda _line: None) -> Outcome:
    """Run the whole load test and write its results into ``opts.out_dir``."""
    from sim.rng import draw_seed

    profile, spec = prepare_spec(opts)
    thresholds = list(spec.thresholds)
    if opts.baseline is not None:
        thresholds += baseline_thresholds(spec.regressions, read_baseline(opts.baseline))
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    (opts.out_dir / "harness.json").unlink(missing_ok=True)
    seed = opts.seed if opts.seed is not None else (profile.profile.seed or draw_seed())
    with processes() as procs:
        host, keys = (opts.host, opts.keys) if opts.host else start_service(procs, opts)
        assert keys is not None
        if opts.mapping is not None:  # every operation tried once, before any load
            problems = startup_problems(opts.mapping, host, keys)
            if problems:
                raise LoadtestError(problems)
        keys_name, trace_name = _bundle(opts, keys)
        config = RunConfig(
            profile=profile.model_dump(mode="json"), keys_file=keys_name,
            duration_s=opts.duration_s, workers=opts.workers + opts.remote_workers,
            out_dir=".", seed=seed, replay=trace_name, speedup=opts.speedup,
            warmup_s=spec.warmup_s, slo_text=opts.slo.read_text() if opts.slo else None,
            worker_wait_s=opts.wait_s,
            mapping_text=opts.mapping.read_text() if opts.mapping else None,
            adapter=opts.adapter,
        )  # fmt: skip
        config.write(opts.out_dir / "run.json")
        users = sum(profile.pool_of(r) for r in ("rights_holder", "account_manager"))
        users += profile.pool_of("shopper") + profile.pool_of("seller")
        run_time = run_time_s(opts, profile)
        run_locust(procs, opts, host, opts.out_dir / "run.json", users, notify, run_time)
    target = nominal_rate(profile, opts.duration_s, _replay_rows(opts))
    offsets: list[float] = []
    if opts.replay is not None:
        offsets = offsets_s(load_trace(opts.replay), opts.speedup).tolist()
    per_s = nominal_per_second(profile, opts.duration_s, offsets)
    data = read_run(opts.out_dir / "harness.json", opts.duration_s, target, per_s)
    checked = run_verdicts(data, thresholds)
    extra: dict[str, Any] = {
        "seed": seed, "profile": profile.profile.name, "duration_s": opts.duration_s,
        "warmup_s": spec.warmup_s,
        "baseline": str(opts.baseline) if opts.baseline is not None else None,
    }  # fmt: skip
    if opts.replay is not None:
        extra["replay"] = replay_summary(data, load_trace(opts.replay), opts.speedup)
    doc = loadtest_doc(data, checked, extra)
    (opts.out_dir / "loadtest.json").write_text(json.dumps(doc, indent=2, sort_keys=True))
    _write_junit(opts.out_dir / "junit.xml", checked)
    return Outcome(doc, checked)
