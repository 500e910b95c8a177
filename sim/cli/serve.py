"""``takedown serve``: migrate (and optionally seed) the database, then run the service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import fail

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="sqlite:///path (default sqlite:///takedown.db) or postgresql://..."),
]


def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
    rate_limit: Annotated[
        float | None,
        typer.Option(min=0, help="Requests per second per key (per worker); 0 turns it off."),
    ] = None,
    seed_scenario: Annotated[
        Path | None, typer.Option(help="Seed brands, sellers, listings and keys from this.")
    ] = None,
    keys_out: Annotated[
        Path | None, typer.Option(help="Where to write the keys JSON (with --seed-scenario).")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed for the synthetic market.")] = 1,
    reset: Annotated[bool, typer.Option(help="Drop existing data before seeding.")] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a scenario value: dotted.path=value."),
    ] = None,
) -> None:
    """Run the reference takedown service (settings also from TAKEDOWN_* variables)."""
    from pydantic import ValidationError

    from loadtest.service.settings import Settings, env_for

    overrides: dict[str, object] = {}
    if db is not None:
        overrides["db"] = db
    if rate_limit is not None:
        overrides["rate_limit"] = rate_limit
    problems = []
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems += [f"TAKEDOWN_{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors()]
    if (seed_scenario is None) != (keys_out is None):
        problems.append("--seed-scenario and --keys-out go together")
    if problems:
        fail(problems)
    prepare(settings, seed_scenario, keys_out, seed, reset, set_ or [])
    os.environ.update(env_for(settings))
    run(settings, host, port, workers)


def prepare(settings: object, scenario: Path | None, keys_out: Path | None, seed: int,
            reset: bool, overrides: list[str]) -> None:  # fmt: skip
    """Migrate, and seed when asked; a user mistake ends in UserError naming each problem."""
    from sqlalchemy.exc import OperationalError

    from loadtest.service import db
    from loadtest.service.seed import seed_market, write_keys
    from loadtest.service.settings import Settings
    from sim.scenario import load_scenario

    assert isinstance(settings, Settings)
    try:
        sc = load_scenario(scenario, overrides) if scenario is not None else None
        engine = db.make_engine(settings.db, pool_size=1, writer=True)
        if sc is not None and db.has_data(engine):
            if not reset:
                fail(f"--db {settings.db}: already holds data; pass --reset to replace it")
            db.drop_all(engine)
        db.migrate(engine)
        if sc is not None and keys_out is not None:
            write_keys(keys_out, seed_market(engine, sc, seed))
        engine.dispose()
    except db.DatabaseUrlError as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"--db {settings.db}: cannot open the database: {str(exc.orig).strip()}")
    except OSError as exc:
        fail(f"--keys-out {keys_out}: {exc.strerror}")


def run(settings: object, host: str, port: int, workers: int) -> None:
    """Serve until interrupted; several workers re-create the app from the environment
    and share one metrics view (Prometheus multiprocess mode)."""
    import shutil
    import tempfile

    import uvicorn

    from loadtest.service.app import create_app
    from loadtest.service.logs import configure
    from loadtest.service.settings import Settings

    assert isinstance(settings, Settings)
    log_config = configure(settings.log_level)
    level = settings.log_level
    if workers > 1:
        shared = tempfile.mkdtemp(prefix="takedown-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared
        try:
            uvicorn.run(
                "loadtest.service.app:create_app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level=level, access_log=False, log_config=log_config,
                http="loadtest.service.nodelay:NoDelayProtocol",
            )  # fmt: skip
        finally:
            shutil.rmtree(shared, ignore_errors=True)
        return
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level=level, access_log=False,
                log_config=log_config)  # fmt: skip
