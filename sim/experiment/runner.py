"""Runs replication tasks on a backend and collects their metrics as they finish.

Each run's folder is written as soon as that run completes (atomically: into a scratch
folder that is then renamed), so an interrupted experiment keeps every finished
replication on disk and never a half-written one.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.backends import Backend
from sim.experiment.design import RunTask


@dataclass(frozen=True)
class RunOutcome:
    """What a worker sends back: the run's metrics (and the whole result when the client
    writes the folder, as with a remote Dask cluster that shares no disk)."""

    index: int
    label: str
    rep: int
    seed: int
    metrics: dict[str, float]
    wall_s: float
    version: str
    result: Any = None


@dataclass(frozen=True)
class ProgressEvent:
    """One finished replication, for progress displays."""

    done: int
    total: int
    label: str
    rep: int
    wall_s: float


ProgressFn = Callable[[ProgressEvent], None]


def write_run_atomic(result: Any, run_dir: Path) -> None:
    """Write one run's folder via a scratch sibling renamed into place."""
    from sim.outputs import write_run

    scratch = run_dir.with_name(f".{run_dir.name}.partial-{os.getpid()}")
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    write_run(result, scratch)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    os.replace(scratch, run_dir)


def run_task(task: RunTask) -> RunOutcome:
    """Run one replication (in a worker); write its folder there when asked."""
    from sim.model import run

    start = time.perf_counter()
    result = run(task.scenario, task.seed)
    keep = None
    if task.run_dir is not None:
        if task.write_on_worker:
            write_run_atomic(result, Path(task.run_dir))
        else:
            keep = result
    metrics = {k: float(v) for k, v in result.metrics.items()}
    wall_s = time.perf_counter() - start
    return RunOutcome(
        task.index, task.label, task.rep, task.seed, metrics, wall_s, result.version, keep
    )


def execute(
    backend: Backend,
    tasks: Sequence[RunTask],
    sink: list[RunOutcome],
    progress: ProgressFn | None = None,
    total: int | None = None,
) -> None:
    """Run ``tasks``, appending each outcome to ``sink`` as it arrives.

    ``sink`` is the caller's, so after a KeyboardInterrupt it still holds every finished
    replication. ``total`` is the planned count for the progress display.
    """
    planned = total if total is not None else len(sink) + len(tasks)
    by_index = {t.index: t for t in tasks}
    for outcome in backend.imap_unordered(run_task, tasks):
        if outcome.result is not None:
            run_dir = by_index[outcome.index].run_dir
            assert run_dir is not None
            write_run_atomic(outcome.result, Path(run_dir))
            outcome = _drop_result(outcome)
        sink.append(outcome)
        if progress is not None:
            progress(ProgressEvent(len(sink), planned, outcome.label, outcome.rep, outcome.wall_s))


def _drop_result(outcome: RunOutcome) -> RunOutcome:
    return RunOutcome(
        outcome.index,
        outcome.label,
        outcome.rep,
        outcome.seed,
        outcome.metrics,
        outcome.wall_s,
        outcome.version,
    )


def recover_finished(tasks: Sequence[RunTask], sink: Sequence[RunOutcome]) -> list[RunOutcome]:
    """After an interrupt: runs whose folder a worker finished writing but whose result
    never reached us, read back from disk so the runs table matches the folders.
    Scratch folders of writes cut short are removed. Call after the workers stopped."""
    from sim.outputs import read_summary

    have = {o.index for o in sink}
    found = []
    for task in tasks:
        if task.index in have or task.run_dir is None:
            continue
        run_dir = Path(task.run_dir)
        for scratch in run_dir.parent.glob(f".{run_dir.name}.partial-*"):
            shutil.rmtree(scratch, ignore_errors=True)  # a write cut short by the stop
        if not (run_dir / "summary.json").is_file():
            continue
        summary = read_summary(run_dir)
        metrics = {k: math.nan if v is None else float(v) for k, v in summary["metrics"].items()}
        found.append(
            RunOutcome(task.index, task.label, task.rep, task.seed, metrics, math.nan,
                       str(summary.get("version", "")))
        )  # fmt: skip
    return found
