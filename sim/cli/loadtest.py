"""The ``takedown loadtest`` command: parse, run, print the SLO table, pick the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from loadtest.config import parse_duration_s
from sim.cli.common import fail

ProfileOpt = Annotated[
    str, typer.Option(help="Shipped profile name (default, smoke, ramp, ...) or TOML path.")
]
SloOpt = Annotated[Path | None, typer.Option(help="SLO thresholds TOML; breach exits 3.")]
HostOpt = Annotated[
    str | None, typer.Option(help="Service base URL; without it a local one is started.")
]
KeysOpt = Annotated[
    Path | None, typer.Option(help="Keys JSON written by the service (needed with --host).")
]
DurationOpt = Annotated[str, typer.Option(help="How long arrivals run: 20s, 5m, 1h.")]
WorkersOpt = Annotated[
    int, typer.Option(help="Local Locust worker processes (0: one local runner).")
]
RemoteOpt = Annotated[
    int, typer.Option(help="Workers on other machines to wait for (see the load-test guide).")
]
PortOpt = Annotated[int, typer.Option(help="Port the master listens on for remote workers.")]
BindOpt = Annotated[str, typer.Option(help="Address the master listens on for remote workers.")]
ReplayOpt = Annotated[
    Path | None, typer.Option(help="Simulated notices.csv to replay as notice arrivals.")
]
SpeedupOpt = Annotated[float, typer.Option(help="Replay this many times faster.")]
OutOpt = Annotated[Path, typer.Option(help="Directory for results.")]
SeedOpt = Annotated[int | None, typer.Option(help="Root seed of the load's randomness.")]
ScenarioOpt = Annotated[
    Path | None,
    typer.Option(help="Scenario file or shipped name that seeds the local service's data."),
]
WorkerWaitOpt = Annotated[
    str | None,
    typer.Option(
        help="How long the master waits for every worker to connect (default 60s, 5m with "
        "--remote-workers); one that never connects fails the run (exit 3, named)."
    ),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(help="A previous loadtest.json; the SLO's [baseline] regressions gate on it."),
]


MappingOpt = Annotated[
    Path | None,
    typer.Option(help="Mapping TOML of your service's API (with --host); checked at start-up."),
]

AdapterOpt = Annotated[
    str | None,
    typer.Option(help="Python adapter package.module:Class (with --host), see loadtest.adapters."),
]


def loadtest(
    profile: ProfileOpt = "default",
    slo: SloOpt = None,
    host: HostOpt = None,
    keys: KeysOpt = None,
    duration: DurationOpt = "60s",
    workers: WorkersOpt = 0,
    remote_workers: RemoteOpt = 0,
    master_port: PortOpt = 5557,
    master_bind_host: BindOpt = "0.0.0.0",
    replay: ReplayOpt = None,
    speedup: SpeedupOpt = 60.0,
    out: OutOpt = Path("out/loadtest"),
    seed: SeedOpt = None,
    scenario: ScenarioOpt = None,
    baseline: BaselineOpt = None,
    mapping: MappingOpt = None,
    adapter: AdapterOpt = None,
    worker_wait: WorkerWaitOpt = None,
) -> None:
    """Load-test the takedown service: open-model arrivals per role, e2e takedown latency, SLOs.

    Writes Locust's CSV and HTML, loadtest.json, junit.xml and (with workers)
    workers.json into --out. Exits 3 when an SLO threshold is breached or a worker's
    results are missing, 2 for a usage mistake (every problem, one line each).
    """
    from loadtest.runner import DEFAULT_SCENARIO, LoadtestError, Options, prepare

    problems: list[str] = []
    try:
        duration_s = parse_duration_s(duration)
    except ValueError as exc:
        problems.append(str(exc))
        duration_s = 60.0  # checked no further: the line above already says what is wrong
    worker_wait_s = None
    if worker_wait is not None:
        try:
            worker_wait_s = parse_duration_s(worker_wait, "worker_wait")
        except ValueError as exc:
            problems.append(str(exc))
    scenario = _scenario(scenario, host, problems)
    opts = Options(
        profile=profile, slo=slo, host=host.rstrip("/") if host else None, keys=keys,
        duration_s=duration_s, workers=workers, replay=replay, speedup=speedup, out_dir=out,
        seed=seed, scenario=scenario or DEFAULT_SCENARIO, remote_workers=remote_workers,
        master_port=master_port, master_bind_host=master_bind_host, baseline=baseline,
        mapping=mapping, adapter=adapter,
        worker_wait_s=worker_wait_s,
    )  # fmt: skip
    try:
        prepare(opts)
    except LoadtestError as exc:
        problems += exc.problems
    if problems:
        fail(problems)
    _run(opts)


def _scenario(given: Path | None, host: str | None, problems: list[str]) -> Path | None:
    """The scenario file that seeds a local service (a shipped name resolved), loaded now
    so a mistake in it exits 2 before anything starts."""
    if given is None or host:
        return given
    from sim.scenario import ScenarioError, load_scenario
    from sim.scenario_files import resolve

    try:
        path = resolve(given)
        load_scenario(path)
    except ScenarioError as exc:
        problems.extend(f"scenario: {line}" for line in exc.problems)
        return given
    return path


def _run(opts: Any) -> None:
    from loadtest.runner import run

    outcome = run(opts, notify=lambda line: typer.echo(line, err=True))
    _print(outcome.doc, outcome.verdicts, opts.out_dir)
    if not outcome.passed:
        raise typer.Exit(3)


def _print(doc: dict[str, Any], verdicts: list[Any], out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    arr, e2e = doc["arrivals"], doc["e2e_takedown"]
    pcts = " ".join(f"{p}={_secs(e2e[f'{p}_s'])}" for p in ("p50", "p95", "p99"))
    console.print(
        f"arrivals: target {arr['target_rate']}/s, achieved {arr['achieved_rate']}/s, "
        f"dropped {arr['dropped']}; e2e_takedown: n={e2e['count']} {pcts}"
    )
    if verdicts:
        table = Table(title="SLO thresholds")
        for col in ("metric", "threshold", "value", "verdict"):
            table.add_column(col)
        for v in verdicts:
            verdict = "pass" if v.passed else "BREACH"
            table.add_row(v.threshold.metric, v.threshold.text, v.shown_value(), verdict)
        console.print(table)
    for name in doc.get("missing_workers") or []:
        console.print(f"missing worker: {name}")
    console.print(f"results: {out_dir / 'loadtest.json'}")


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}s"
