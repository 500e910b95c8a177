"""The app factory: one FastAPI app per settings object, no global connections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from loadtest.service import db, problems
from loadtest.service.auth import KeyStore
from loadtest.service.clock import Clock, system_clock
from loadtest.service.context import Service, load_params
from loadtest.service.fastpath import FastFiling
from loadtest.service.inline import InlineReader
from loadtest.service.logs import RequestIdMiddleware
from loadtest.service.metrics import MetricsMiddleware, ServiceMetrics
from loadtest.service.pgread import PgReader
from loadtest.service.problems import ProblemModel
from loadtest.service.ratelimit import BodyLimitMiddleware, RateLimitMiddleware, TokenBuckets
from loadtest.service.routers import (
    admin,
    audit,
    complaints,
    counter_notices,
    health,
    listings,
    notices,
    removals,
    review,
    statements,
    transparency,
)
from loadtest.service.settings import Settings
from loadtest.service.writer import Writer

ROUTERS = (
    health, listings, notices, review, counter_notices, audit, admin, statements, complaints,
    transparency, removals,
)  # fmt: skip


def build_service(settings: Settings, clock: Clock = system_clock) -> Service:
    """Engines (migrated), the group-commit writer, the key store and metrics."""
    write_engine = db.make_engine(settings.db, pool_size=1, writer=True)
    version = db.migrate(write_engine, clock)
    read_engine = db.make_engine(settings.db, pool_size=settings.read_pool)
    holder: list[Service] = []
    metrics = ServiceMetrics(lambda: holder[0].queue_depth())
    svc = Service(
        settings=settings,
        engine=read_engine,
        writer=Writer(write_engine, settings.batch_max, on_commit=metrics.committed),
        keys=KeyStore(read_engine, clock, settings.key_refresh_s),
        metrics=metrics,
        params=load_params(read_engine),
        schema_version=version,
        clock=clock,
        inline=InlineReader.for_url(settings.db),
        pg_reader=PgReader.for_url(settings.db, settings.read_pool),
    )
    holder.append(svc)
    return svc


def _buckets(rate: float, burst: float, clock: Clock) -> TokenBuckets | None:
    return TokenBuckets(rate, burst or 2.0 * rate, clock=clock) if rate else None


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> FastAPI:
    """A ready app: its database migrated, its writer running; ``clock`` is its only time."""
    settings = settings or Settings()
    svc = build_service(settings, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        svc.writer.start()
        yield
        close(app)

    app = FastAPI(
        title="takedown-lab reference takedown service",
        version="1.0.0",
        description="Notices, review, removal and counter-notices for a marketplace.",
        lifespan=lifespan,
    )
    app.state.service = svc
    app.state.keys = svc.keys
    problems.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    # the last added is outermost: request ids and metrics see every answer, 413 and 429 too
    app.add_middleware(FastFiling)
    app.add_middleware(
        RateLimitMiddleware,
        buckets=_buckets(settings.rate_limit, settings.burst, clock),
        anonymous=_buckets(settings.anon_rate_limit, 2.0 * settings.anon_rate_limit, clock),
        keys=svc.keys,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=svc.metrics)
    app.add_middleware(RequestIdMiddleware, access_log=settings.access_log)
    _document_problem(app)
    return app


def close(app: FastAPI) -> None:
    """Drain the writer and close the database connections."""
    svc: Service = app.state.service
    svc.writer.close()
    svc.engine.dispose()
    if svc.inline is not None:
        svc.inline.close()
    if svc.pg_reader is not None:
        svc.pg_reader.close()


def _document_problem(app: FastAPI) -> None:
    """Put the problem+json schema into the OpenAPI components."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = original()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["ProblemModel"] = ProblemModel.model_json_schema()
        # the bearer scheme is declared by the auth dependency; name it for readers
        schemes = spec["components"].get("securitySchemes", {})
        for scheme in schemes.values():
            scheme.setdefault("bearerFormat", "opaque API key")
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn worker processes: settings from ``TAKEDOWN_*`` variables."""
    return create_app(Settings())
