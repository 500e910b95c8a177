"""``takedown check-mapping``: try a service mapping against the running service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import fail


def check_mapping(
    mapping: Annotated[Path, typer.Argument(help="The service mapping TOML.")],
    host: Annotated[str, typer.Option(help="The service's base URL.")],
    keys: Annotated[Path, typer.Option(help="The service's keys JSON.")],
) -> None:
    """Check a mapping of your service's API against the running service: each operation
    is tried once (one real notice is filed); exit 2 naming the mapping line and what the
    service answered."""
    from loadtest.adapters.mapping import load_mapping
    from loadtest.adapters.probe import check_mapping as check
    from loadtest.adapters.probe import role_keys

    spec = load_mapping(mapping)
    problems = check(spec, host.rstrip("/"), role_keys(spec, keys))
    if problems:
        fail(problems)
    typer.echo(f"{mapping}: browse, listing, file_notice and claim answered as mapped")
