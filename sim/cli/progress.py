"""Progress displays of the long commands: a rich bar per stage (with ETA) on a terminal,
one plain line per step on stderr otherwise (CI logs, pipes). The library reports
progress through plain callbacks; only the command line knows how it is shown."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

StageFn = Callable[..., None]  # (stage, done, total, line=None)


@contextmanager
def stage_progress(title: str) -> Iterator[StageFn]:
    """Yields ``show(stage, done, total, line=None)``: a bar per stage on a terminal;
    elsewhere ``line`` (or ``[title] stage done/total``) once per step."""
    if not sys.stderr.isatty():
        last: dict[str, int] = {}

        def plain(stage: str, done: int, total: int, line: str | None = None) -> None:
            if last.get(stage) != done:
                last[stage] = done
                print(line or f"[{title}] {stage} {done}/{total}", file=sys.stderr, flush=True)

        yield plain
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int, line: str | None = None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{title}: {stage}", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
