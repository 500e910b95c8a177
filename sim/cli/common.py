"""Pieces every command module shares: the ``--set`` option and the one-line failure.

Kept apart from ``sim.cli`` so command modules can import them without importing the
app that registers those same modules.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value: dotted.path=value (repeatable)."),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr and a non-zero exit: the way every user mistake ends."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
