"""Pieces every command module shares: the ``--set`` option and the one-line failure.

Kept apart from ``sim.cli`` so command modules can import them without importing the
app that registers those same modules.
"""

from __future__ import annotations

import math
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


def number(value: float | None) -> str:
    """A number for a table: four significant digits, thousands separated from 10,000 on
    (never 1.021e+05), a dash for none or NaN."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:,.4g}"
