"""``takedown init``: scaffold a working folder for a project of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def init(
    folder: Annotated[Path, typer.Argument(help="New (or empty) folder to create.")],
    extends: Annotated[
        str, typer.Option(help="Shipped scenario the project's scenario extends.")
    ] = "smoke",
    no_baseline: Annotated[
        bool,
        typer.Option("--no-baseline", help="Skip the gate's baseline (then: check --update)."),
    ] = False,
) -> None:
    """Scaffold a folder: a scenario extending a shipped one, a load profile, an SLO file,
    the regression baselines and a CI job, each runnable as written."""
    from sim.scaffold import scaffold

    made = scaffold(folder, extends, baseline=not no_baseline)
    for path in made.files:
        typer.echo(f"wrote {path}")
    if made.baseline is not None:
        typer.echo(f"baseline written: {made.baseline}")
    typer.echo(f"next: cd {folder} and run the commands in README.md")
