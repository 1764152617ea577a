"""Linear: the table run by the shared harness; every query is validated against the schema."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import AuthError, InvalidInput, NotFound, PermissionDenied, RateLimited
from connectors.linear import LinearConnector, linear_error
from tests.connectors.harness import Case, ConnectorTable, Reply, table_tests

KEY = "lin_api_0123456789abcdefghijklmnopqrstuvwxyzABCD"
TEAM = "9cfb482a-81e3-4154-b5b9-2c805e70a02d"


def _vars(request: httpx.Request) -> dict[str, Any]:
    variables: dict[str, Any] = json.loads(request.content)["variables"]
    return variables


def _issue(n: int, title: str = "Fix login", state: str = "Todo") -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "identifier": f"ENG-{n}",
        "title": title,
        "url": f"https://linear.app/acme/issue/ENG-{n}",
        "priority": 2,
        "state": {"name": state, "type": "unstarted"},
        "assignee": {"name": "Ada", "email": "ada@example.com"},
        "createdAt": "2025-10-01T10:00:00.000Z",
    }


def _page(field: str, nodes: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    info = {"hasNextPage": cursor is not None, "endCursor": cursor}
    return {"data": {field: {"nodes": nodes, "pageInfo": info}}}


def _raw_key(request: httpx.Request) -> None:
    assert request.headers["Authorization"] == KEY  # personal keys are sent without Bearer


TABLE = ConnectorTable(
    connector=LinearConnector,
    credentials={"api_key": KEY},
    vendor="linear",
    cases=[
        Case(
            "check",
            replies=[
                Reply(
                    json={
                        "data": {
                            "viewer": {"id": "u1", "name": "Ada", "email": "ada@example.com"},
                            "organization": {"name": "Acme"},
                        }
                    },
                    method="POST",
                    path="/graphql",
                    check=_raw_key,
                )
            ],
            expect={"detail": "authenticated as Ada in Acme"},
        ),
        Case(
            "create_issue",
            {"team_id": TEAM, "title": "Fix login", "priority": 2, "label_ids": ["l1"]},
            replies=[
                Reply(
                    json={"data": {"issueCreate": {"success": True, "issue": _issue(7)}}},
                    check=lambda r: (
                        _vars(r)
                        == {
                            "input": {
                                "teamId": TEAM,
                                "title": "Fix login",
                                "priority": 2,
                                "labelIds": ["l1"],
                            }
                        }
                    ),
                )
            ],
            expect={"identifier": "ENG-7", "state": "Todo", "assignee": "Ada"},
        ),
        Case(
            "update_issue",
            {"issue": "ENG-7", "state_id": "s-done"},
            replies=[
                Reply(
                    json={
                        "data": {"issueUpdate": {"success": True, "issue": _issue(7, state="Done")}}
                    },
                    check=lambda r: _vars(r) == {"id": "ENG-7", "input": {"stateId": "s-done"}},
                )
            ],
            expect={"identifier": "ENG-7", "state": "Done"},
        ),
        Case(
            "comment_on_issue",
            {"issue": "ENG-7", "body": "Deployed in v2.3"},
            replies=[
                Reply(
                    json={
                        "data": {
                            "commentCreate": {
                                "success": True,
                                "comment": {
                                    "id": "c1",
                                    "url": "https://linear.app/acme/issue/ENG-7#comment-c1",
                                    "createdAt": "2025-10-01T11:00:00.000Z",
                                },
                            }
                        }
                    },
                    check=lambda r: (
                        _vars(r) == {"input": {"issueId": "ENG-7", "body": "Deployed in v2.3"}}
                    ),
                )
            ],
            expect={"id": "c1", "url": "https://linear.app/acme/issue/ENG-7#comment-c1"},
        ),
        Case(
            "list_issues",
            {"team_key": "ENG", "state": "Todo", "limit": 3},
            replies=[
                Reply(
                    json=_page("issues", [_issue(9), _issue(8)], "cur-2"),
                    check=lambda r: (
                        _vars(r)
                        == {
                            "filter": {
                                "team": {"key": {"eq": "ENG"}},
                                "state": {"name": {"eq": "Todo"}},
                            },
                            "first": 3,
                        }
                    ),
                ),
                Reply(
                    json=_page("issues", [_issue(7)], "cur-3"),
                    check=lambda r: _vars(r)["after"] == "cur-2" and _vars(r)["first"] == 1,
                ),
            ],
            expect={
                "count": 3,
                "issues": lambda xs: [x["identifier"] for x in xs] == ["ENG-9", "ENG-8", "ENG-7"],
            },
        ),
        Case(
            "list_teams",
            replies=[
                Reply(
                    json=_page("teams", [{"id": TEAM, "key": "ENG", "name": "Engineering"}], None),
                    check=lambda r: _vars(r) == {"first": 50},
                )
            ],
            expect={"teams": [{"id": TEAM, "key": "ENG", "name": "Engineering"}], "count": 1},
        ),
        # GraphQL errors, with HTTP 200 and with HTTP 400.
        *[
            Case(
                "update_issue",
                {"issue": "ENG-404", "title": "x"},
                replies=[
                    Reply(
                        status,
                        json={
                            "data": None,
                            "errors": [
                                {"message": "fault", "extensions": {"code": code, "type": kind}}
                            ],
                        },
                    )
                ],
                raises=cls,
                id=f"update_issue-{code}-{status}",
            )
            for status, code, kind, cls in [
                (200, "ENTITY_NOT_FOUND", "invalid input", NotFound),
                (200, "FORBIDDEN", "forbidden", PermissionDenied),
                (400, "AUTHENTICATION_ERROR", "authentication error", AuthError),
                (400, "RATELIMITED", "ratelimited", RateLimited),
                (400, "INVALID_INPUT", "invalid input", InvalidInput),
                (400, "GRAPHQL_VALIDATION_FAILED", "graphql error", InvalidInput),
            ]
        ],
    ],
)

test_linear_cases, _vendor_spec, test_linear_covers_every_action = table_tests(TABLE)
test_linear_vendor_spec = pytest.mark.slow(_vendor_spec)  # building the schema takes ~3 s


def test_rate_limit_carries_the_reset_time() -> None:
    errors = [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]
    error = linear_error(errors, status=400, reset_ms="1700000030000", now=1_700_000_000.0)
    assert isinstance(error, RateLimited) and error.retry_after == 30.0


def test_oauth_tokens_are_sent_as_bearer() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"data": {"viewer": {"id": "u", "name": "A"}}})

    linear = LinearConnector(
        ConnectorContext(
            credentials={"api_key": "oauth-abc123"}, transport=httpx.MockTransport(handler)
        )
    )
    assert linear.check().ok and seen == ["Bearer oauth-abc123"]


def test_update_needs_a_change() -> None:
    linear = LinearConnector(ConnectorContext(credentials={"api_key": KEY}))
    with pytest.raises(InvalidInput, match="at least one field"):
        linear.run("update_issue", {"issue": "ENG-1"})
