"""Schemathesis over every operation of the OpenAPI spec: no server error, answers conform.

In process (ASGI) against a seeded SQLite file, each operation called with a key of
the role it serves so generated cases reach the handlers, not just the 401 gate.
Examples per operation are kept small for the make-test budget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.hypo import examples
from tests.loadtest.service.conftest import seed_db

EXAMPLES = 12
# Schema-valid is not always meaningful here: a cursor must be one the service issued and
# a notice must name the brand's own listings; those answer 422 by design. Every other
# default check runs (server errors, status codes, content types, schemas, headers).
EXCLUDED = [checks.positive_data_acceptance]


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory: pytest.TempPathFactory, scenario_file: Path) -> Any:
    from loadtest.service.app import close, create_app
    from loadtest.service.settings import Settings

    url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'schema.db'}"
    seeded = seed_db(url, scenario_file)
    app = create_app(Settings(db=url, rate_limit=0))
    app.state.test_keys = seeded.keys
    yield app
    close(app)


@pytest.fixture(scope="module")
def api_schema(seeded_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", seeded_app)


def _operations(streams: bool = True) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, read from its routers (no database needed);
    without the event streams when ``streams`` is False (a stream never ends, so a
    fuzzer's call would never return: tests/loadtest/test_stream.py reads it)."""
    from fastapi.responses import StreamingResponse
    from fastapi.routing import APIRoute

    from loadtest.service.app import ROUTERS

    ops = []
    for module in ROUTERS:
        for route in module.router.routes:
            if not isinstance(route, APIRoute):
                continue
            if streams or route.response_class is not StreamingResponse:
                ops += [(m, route.path) for m in sorted(route.methods or ())]
    return ops


def key_for(keys: dict[str, Any], method: str, path: str) -> str:
    """A key of the role the operation serves."""
    if path == "/v1/notices" and method == "POST":
        return str(keys["rights_holders"][0]["key"])
    if "review-queue" in path or "decision" in path or path.endswith("/restore"):
        return str(keys["account_managers"][0]["key"])
    if path == "/v1/complaints" and method == "POST":
        return str(keys["sellers"][0]["key"])
    if "counter-notices" in path or (path == "/v1/listings" and method == "POST"):
        return str(keys["sellers"][0]["key"])
    if path.startswith("/v1/notices"):
        return str(keys["rights_holders"][0]["key"])
    return str(keys["admin"]["key"])


def test_spec_covers_every_route(api_schema: Any) -> None:
    spec_ops = {(m.upper(), p) for p, item in api_schema.raw_schema["paths"].items() for m in item}
    assert spec_ops == set(_operations())


@pytest.mark.property
@pytest.mark.parametrize(("method", "path"), _operations(streams=False))
def test_every_operation(method: str, path: str, api_schema: Any, seeded_app: FastAPI) -> None:
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {key_for(seeded_app.state.test_keys, method, path)}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples(EXAMPLES),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

    run()
