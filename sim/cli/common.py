"""Pieces every command module shares: the ``--set`` option and the one-line failure.

Kept apart from ``sim.cli`` so command modules can import them without importing the
app that registers those same modules.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from sim.errors import USAGE, UserError

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value: dotted.path=value (repeatable)."),
]


def fail(problems: str | list[str], code: int = USAGE) -> NoReturn:
    """End the command with these problems; ``sim.cli.main`` prints them, one line each."""
    raise UserError(problems, code)
