"""Liveness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from loadtest.service.context import Service, service
from loadtest.service.models import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz(svc: Annotated[Service, Depends(service)]) -> Any:
    """Answers once the database is migrated (and seeded, when asked); no database round trip."""
    return {
        "status": "ok",
        "schema_version": svc.schema_version,
        "database": svc.engine.dialect.name,
    }


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(svc: Annotated[Service, Depends(service)]) -> Response:
    """Prometheus text: requests, latency, notices, removals, restorations, queue depth."""
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)
