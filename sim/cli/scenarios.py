"""``takedown scenarios``: the scenarios that ship with the package, by name."""

from __future__ import annotations

from typing import Annotated

import typer

from sim import config, shipped
from sim.cli.common import fail

scenarios = typer.Typer(
    name="scenarios",
    help="List the shipped scenarios (names work wherever a scenario file does).",
    invoke_without_command=True,
    no_args_is_help=False,
)


@scenarios.callback()
def listing(ctx: typer.Context) -> None:
    """List the shipped scenarios with their descriptions; 'show NAME' prints one."""
    if ctx.invoked_subcommand is not None:
        return
    names = shipped.names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        typer.echo(f"{name:<{width}}  {shipped.description(name)}".rstrip())


@scenarios.command()
def show(
    name: Annotated[str, typer.Argument(help="A shipped scenario's name, e.g. smoke.")],
) -> None:
    """Print a shipped scenario's TOML as shipped (copy it, or extend it by name)."""
    path = shipped.path_of(name)
    if path is None:
        hint = config.suggestion(name, shipped.names(), "shipped scenarios")
        fail(f"{name}: not a shipped scenario; {hint}")
    typer.echo(path.read_text(encoding="utf-8"), nl=False)
