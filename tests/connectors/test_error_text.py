"""The hook that hands Jira's and ClickUp's error reasons to the shared error table."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.error_text import (
    clickup_error_text,
    jira_error_text,
    readable_errors_hook,
    zendesk_error_text,
)
from connectors.errors import ConnectorError, InvalidInput, NotFound, PermissionDenied

SECRET = "ATATT3xFfGF0-very-secret-token"


def _response(status: int, body: Any) -> httpx.Response:
    request = httpx.Request("POST", "https://acme.atlassian.net/rest/api/3/issue")
    return httpx.Response(status, json=body, request=request)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"errorMessages": ["Issue does not exist"], "errors": {}}, "Issue does not exist"),
        (
            {"errorMessages": ["Bad"], "errors": {"summary": "Required", "labels": ""}},
            "Bad; summary: Required",
        ),
        ({"errorMessages": [], "errors": {}}, None),
        (["not", "a", "dict"], None),
    ],
)
def test_jira_error_text(body: Any, text: str | None) -> None:
    assert jira_error_text(body) == text


def test_clickup_error_text() -> None:
    assert clickup_error_text({"err": "Team not authorized", "ECODE": "OAUTH_027"}) == (
        "Team not authorized (OAUTH_027)"
    )
    assert clickup_error_text({"err": "x"}) == "x"
    assert clickup_error_text({"message": "x"}) is None


def test_zendesk_error_text() -> None:
    body = {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {
            "subject": [{"description": "Subject: cannot be blank", "error": "BlankValue"}]
        },
    }
    assert zendesk_error_text(body) == (
        "RecordInvalid: Record validation errors; subject: Subject: cannot be blank"
    )
    assert zendesk_error_text({"error": "Couldn't authenticate you"}) is None


@pytest.mark.parametrize(
    ("status", "cls"), [(400, InvalidInput), (403, PermissionDenied), (404, NotFound)]
)
def test_hook_raises_the_mapped_error_with_the_text_redacted(
    status: int, cls: type[ConnectorError]
) -> None:
    hook = readable_errors_hook(jira_error_text, [SECRET])
    body = {"errorMessages": [f"token {SECRET} may not do this"], "errors": {}}
    with pytest.raises(cls) as info:
        hook(_response(status, body))
    assert "may not do this" in str(info.value) and SECRET not in str(info.value)
    assert info.value.status_code == status


@pytest.mark.parametrize(
    "response",
    [
        _response(429, {"errorMessages": ["slow down"]}),  # left to the retry logic
        _response(503, {"errorMessages": ["down"]}),
        _response(200, {"errorMessages": ["not an error"]}),
        _response(400, {"message": "the shared table reads this itself"}),
        httpx.Response(400, content=b"<html>", request=httpx.Request("GET", "https://x.test")),
    ],
)
def test_hook_leaves_other_answers_alone(response: httpx.Response) -> None:
    readable_errors_hook(jira_error_text)(response)
