"""JSON logs with request ids, and the request-id middleware.

Every request gets an id (the caller's ``X-Request-ID`` when it is short and printable,
else a fresh one), echoed in the answer, carried by every log line of the request
and written into the audit events of the writes it makes.
"""

from __future__ import annotations

import contextvars
import json
import logging
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
ACCESS = logging.getLogger("takedown.access")


def request_id() -> str:
    """The id of the request being served ("-" outside one)."""
    return REQUEST_ID.get()


def _valid(value: bytes | None) -> str | None:
    if value is None or not 1 <= len(value) <= 64:
        return None
    text = value.decode("latin-1")
    return text if text.isprintable() and text.isascii() else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": round(record.created, 6),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            doc.update(extra)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, separators=(",", ":"), default=str)


def configure(level: str) -> dict[str, Any]:
    """A logging config (dictConfig) sending every logger, uvicorn's too, as JSON lines."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "takedown": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        },
    }


class RequestIdMiddleware:
    """Sets the request id, echoes it as ``X-Request-ID`` and writes the access log line."""

    def __init__(self, app: ASGIApp, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == b"x-request-id"), None)
        rid = _valid(given) or secrets.token_hex(8)
        token = REQUEST_ID.set(rid)
        status = 500
        start = time.perf_counter()

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            if self.access_log and ACCESS.isEnabledFor(logging.INFO):
                client = scope.get("client") or ("-", 0)
                fields = {
                    "method": scope["method"], "path": scope["path"], "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                    "client": client[0],
                }  # fmt: skip
                ACCESS.info("request", extra={"fields": fields, "request_id": rid})
            REQUEST_ID.reset(token)
