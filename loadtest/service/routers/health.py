"""Liveness, readiness (a database round trip) and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from loadtest.service import schema as s
from loadtest.service.context import Service, service
from loadtest.service.models import Health
from loadtest.service.problems import Problem, responses

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz(svc: Annotated[Service, Depends(service)]) -> Any:
    """Answers once the database is migrated (and seeded, when asked); no database round trip."""
    return {
        "status": "ok",
        "schema_version": svc.schema_version,
        "database": svc.engine.dialect.name,
    }


@router.get("/readyz", response_model=Health, responses=responses(503))
def readyz(svc: Annotated[Service, Depends(service)]) -> Any:
    """200 when the database answers a query at the migrated version, else 503."""
    try:
        version = svc.read(
            lambda c: c.execute(
                select(s.schema_version.c.version).order_by(s.schema_version.c.version.desc())
            ).scalar()
        )
    except SQLAlchemyError as exc:
        raise Problem(503, f"database unavailable: {type(exc).__name__}") from None
    if version != svc.schema_version:
        raise Problem(503, f"database at schema {version}, expected {svc.schema_version}")
    return {"status": "ok", "schema_version": version, "database": svc.engine.dialect.name}


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(svc: Annotated[Service, Depends(service)]) -> Response:
    """Prometheus text: requests, latency, notices, removals, restorations, queue depth."""
    return Response(svc.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
