"""The ``takedown`` command: parses, calls the Python API, prints. Nothing else.

User mistakes exit 2 with one line on stderr; a breached gate exits 1 (``check``) or
3 (``loadtest`` SLOs).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

# typer vendors its own click; its exception types live here
from typer._click import exceptions as click

from sim.cli_common import SetOpt, fail
from sim.scenario import ScenarioError, load_scenario

__all__ = ["SetOpt", "app", "fail", "main"]

app = typer.Typer(
    name="takedown",
    help="Simulate and load-test how an online marketplace fights counterfeits.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command()
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
        for line in dict.fromkeys(problems):  # a bad --set is the same line for every file
            typer.echo(line, err=True)
        raise typer.Exit(2)


@app.callback()
def _root() -> None:
    """Simulate and load-test how an online marketplace fights counterfeits."""


def _register_commands() -> None:
    """Commands from other modules; each keeps its heavy imports inside the command."""
    from loadtest.cli import loadtest
    from loadtest.service.cli import serve
    from reports.cli import report
    from sim import decide_cli as dc
    from sim import experiment_cli as xp
    from sim.run_cli import run

    commands = (run, xp.compare, xp.sweep, xp.check, report, serve, loadtest)
    for command in (*commands, dc.optimize, dc.sensitivity, dc.calibrate):
        app.command()(command)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors become one line and exit 2, never a traceback."""
    try:
        code = app(args=argv, standalone_mode=False)
    except click.UsageError as exc:
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        typer.echo(f"error: {exc.format_message()}{where}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        typer.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # an unreadable input or unwritable output path the user gave
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(2)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
