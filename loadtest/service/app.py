"""The app factory: one FastAPI app per settings object, no global connections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from loadtest.service import db, problems
from loadtest.service.auth import KeyStore
from loadtest.service.context import Service, load_params
from loadtest.service.metrics import MetricsMiddleware, ServiceMetrics
from loadtest.service.problems import ProblemModel
from loadtest.service.ratelimit import BodyLimitMiddleware, RateLimitMiddleware, TokenBuckets
from loadtest.service.routers import audit, counter_notices, health, listings, notices, review
from loadtest.service.settings import Settings
from loadtest.service.writer import Writer

ROUTERS = (health, listings, notices, review, counter_notices, audit)


def build_service(settings: Settings) -> Service:
    """Engines (migrated), the group-commit writer, the key store and metrics."""
    write_engine = db.make_engine(settings.db, pool_size=1, writer=True)
    version = db.migrate(write_engine)
    read_engine = db.make_engine(settings.db, pool_size=settings.read_pool)
    holder: list[Service] = []
    metrics = ServiceMetrics(
        lambda: holder[0].queue_depth(),
        lambda: (holder[0].writer.batches, holder[0].writer.jobs),
    )
    svc = Service(
        settings=settings,
        engine=read_engine,
        writer=Writer(write_engine, settings.batch_max),
        keys=KeyStore(read_engine),
        metrics=metrics,
        params=load_params(read_engine),
        schema_version=version,
    )
    holder.append(svc)
    return svc


def create_app(settings: Settings | None = None) -> FastAPI:
    """A ready app: its database migrated, its writer running."""
    settings = settings or Settings()
    svc = build_service(settings)

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
    buckets = TokenBuckets(settings.rate_limit, settings.burst) if settings.rate_limit else None
    # outermost first on the way in: metrics see every answer, including 413 and 429
    app.add_middleware(RateLimitMiddleware, buckets=buckets)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=svc.metrics)
    _document_problem(app)
    return app


def close(app: FastAPI) -> None:
    """Drain the writer and close the database connections."""
    svc: Service = app.state.service
    svc.writer.close()
    svc.engine.dispose()


def _document_problem(app: FastAPI) -> None:
    """Put the problem+json schema into the OpenAPI components."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = original()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["ProblemModel"] = ProblemModel.model_json_schema()
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn worker processes: settings from ``TAKEDOWN_*`` variables."""
    return create_app(Settings())
