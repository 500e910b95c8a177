"""The ``takedown`` command: parses, calls the Python API, prints. Nothing else.

This package is the only place that imports across ``sim``, ``reports`` and
``loadtest``. Every user mistake is a ``sim.errors.UserError`` carrying all its
problems; ``main`` prints them, one line each, and exits 2 (or the error's code).
A breached gate exits 1 (``check``) or 3 (``loadtest`` SLOs).
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

# typer vendors its own click; its exception types live here
from typer._click import exceptions as click

from sim.cli.common import SetOpt, fail
from sim.errors import USAGE, UserError

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


@app.callback()
def _root() -> None:
    """Simulate and load-test how an online marketplace fights counterfeits."""


def _register_commands() -> None:
    """Commands from their modules; each keeps its heavy imports inside the command."""
    from sim.cli import decide as dc
    from sim.cli import experiment as xp
    from sim.cli.adapter import check_mapping
    from sim.cli.init import init
    from sim.cli.loadtest import loadtest
    from sim.cli.report import report
    from sim.cli.run import run
    from sim.cli.scenarios import scenarios
    from sim.cli.serve import serve
    from sim.cli.validate import validate

    commands = (validate, run, xp.compare, xp.sweep, xp.check, report, serve, loadtest)
    for command in (*commands, dc.optimize, dc.sensitivity, dc.calibrate, init, check_mapping):
        app.command()(command)
    app.add_typer(scenarios)


_register_commands()


def _exit(lines: list[str], code: int) -> NoReturn:
    for line in dict.fromkeys(lines):  # a bad --set is the same line for every file
        typer.echo(f"error: {line}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: every user mistake becomes its lines and an exit code, never a traceback."""
    try:
        code = app(args=argv, standalone_mode=False)
    except UserError as exc:
        _exit(exc.problems, exc.code)
    except click.UsageError as exc:
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        _exit([f"{exc.format_message()}{where}"], USAGE)
    except click.ClickException as exc:
        _exit([exc.format_message()], exc.exit_code)
    except OSError as exc:  # an unreadable input or unwritable output path the user gave
        where = f"{exc.filename}: " if exc.filename else ""
        _exit([f"{where}{exc.strerror or exc}"], USAGE)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
