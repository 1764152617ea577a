"""The response hooks that turn vendor rate-limit signals into Retry-After or RateLimited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.errors import RateLimited
from connectors.rate_limits import (
    add_response_hook,
    body_retry_after,
    default_retry_after,
    epoch_reset_retry_after,
)


def _response(status: int, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "https://x.test/"), **kwargs)


def test_add_response_hook_adds_once() -> None:
    hook = default_retry_after(5)
    with httpx.Client() as client:
        add_response_hook(client, hook)
        add_response_hook(client, hook)
        assert client.event_hooks["response"] == [hook]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (_response(429, json={"parameters": {"retry_after": 2.1}}), "3"),  # rounded up
        (
            _response(429, json={"parameters": {"retry_after": 2}}, headers={"Retry-After": "9"}),
            "9",
        ),
        (_response(429, json={"parameters": {}}), None),
        (_response(429, content=b"<html>"), None),
        (_response(503, json={"parameters": {"retry_after": 2}}), None),
    ],
    ids=["from-body", "header-wins", "no-value", "not-json", "not-429"],
)
def test_body_retry_after(response: httpx.Response, expected: str | None) -> None:
    body_retry_after("parameters", "retry_after")(response)
    assert response.headers.get("retry-after") == expected


def test_default_retry_after_only_fills_a_missing_header() -> None:
    bare, given = _response(429), _response(429, headers={"Retry-After": "1"})
    hook = default_retry_after(30)
    hook(bare)
    hook(given)
    assert bare.headers["retry-after"] == "30" and given.headers["retry-after"] == "1"


def test_epoch_reset() -> None:
    hook = epoch_reset_retry_after(clock=lambda: 100.0)
    limited = _response(429, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "112"})
    hook(limited)
    assert limited.headers["retry-after"] == "12"
    with pytest.raises(RateLimited) as info:
        hook(_response(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "160"}))
    assert info.value.retry_after == 60 and info.value.status_code == 403
    allowed = _response(403, headers={"x-ratelimit-remaining": "12"})
    hook(allowed)  # a real permission problem stays a 403 for the status table
    assert "retry-after" not in allowed.headers
