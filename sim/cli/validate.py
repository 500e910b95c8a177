"""``takedown validate``: check scenario files without running them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import SetOpt, fail
from sim.scenario import ScenarioError, load_scenario


def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario TOML files to check.")],
    set_: SetOpt = None,
) -> None:
    """Check scenario files; exit 0 when all are valid, 2 with one line per problem."""
    problems: list[str] = []
    for path in files:
        try:
            load_scenario(path, set_ or ())
        except ScenarioError as exc:
            problems.extend(exc.problems)
        else:
            typer.echo(f"ok: {path}")
    if problems:
        fail(problems)
