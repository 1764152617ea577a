"""Schemathesis against the ops API's own OpenAPI document: no 5xx, responses as documented.

Bounded and deterministic: a few derandomized examples per operation.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from levqor_desktop.app import App
from levqor_desktop.core.opsapi import OpsApiConfig, create_ops_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def ops(app: App) -> tuple[FastAPI, str]:
    assert app.actor is not None
    key = app.api_keys.create(app.actor, name="schemathesis").key
    # Generous limits: this test is about shapes, test_opsapi.py about 429s.
    return create_ops_app(app, OpsApiConfig(rate_per_second=10_000, burst=100_000)), key


@pytest.mark.slow
def test_api_matches_its_schema(ops: tuple[FastAPI, str]) -> None:
    api, key = ops
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", api, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 9
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()
