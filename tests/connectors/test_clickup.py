"""ClickUp: the table run by the shared harness, checked against clickup-api-v2-reference.json."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.clickup import ClickUpConnector
from connectors.errors import (
    AuthError,
    ConfigurationError,
    InvalidInput,
    RateLimited,
    UnexpectedResponse,
)
from tests.connectors.harness import (
    POLICY,
    Case,
    ConnectorTable,
    Reply,
    contains,
    form_or_json,
    run_case,
    table_tests,
)

TOKEN = "pk_3876543_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _sent(expected: dict[str, Any]) -> Any:
    def check(request: httpx.Request) -> None:
        assert request.headers["authorization"] == TOKEN  # no "Bearer" word
        assert form_or_json(request) == expected

    return check


# Bodies trimmed from the examples in clickup-api-v2-reference.json.
USER = {
    "user": {
        "id": 123,
        "username": "John Doe",
        "email": "user@company.com",
        "color": "#000000",
        "profilePicture": "https://clickup.com/avatar.jpg",
        "initials": "JD",
        "week_start_day": 0,
        "global_font_support": False,
        "timezone": "America/Los_Angeles",
    }
}


def _task(task_id: str, name: str, status: str = "to do", **extra: Any) -> dict[str, Any]:
    return {
        "id": task_id,
        "custom_id": None,
        "name": name,
        "text_content": "New Task Content",
        "description": "New Task Content",
        "status": {
            "id": "p7002367_HxJmgqni",
            "status": status,
            "color": "#f8ae00",
            "orderindex": 0,
            "type": "open",
        },
        "orderindex": "1.00000000000000000000000000000000",
        "date_created": "1567780450202",
        "date_updated": "1567780450202",
        "date_closed": None,
        "date_done": None,
        "archived": False,
        "creator": {"id": 183, "username": "Alex Johnson", "color": "#827718"},
        "assignees": [],
        "watchers": [],
        "tags": [],
        "parent": None,
        "priority": {"color": "#f8ae00", "id": "3", "orderindex": "3", "priority": "normal"},
        "due_date": "1508369194377",
        "start_date": None,
        "team_id": "7002367",
        "url": f"https://app.clickup.com/t/{task_id}",
        **extra,
    }


def _page(*ids: str, last: bool) -> dict[str, Any]:
    return {"tasks": [_task(i, f"task {i}") for i in ids], "last_page": last}


TABLE = ConnectorTable(
    connector=ClickUpConnector,
    credentials={"api_token": TOKEN},
    vendor="clickup",
    cases=[
        Case(
            "check",
            replies=[Reply(json=USER, method="GET", path="/api/v2/user")],
            expect={"ok": True, "detail": contains("as John Doe")},
        ),
        Case(
            "create_task",
            {
                "list_id": "901",
                "name": "New Task Name",
                "priority": 3,
                "due_date": "2017-10-18T23:26:34.377Z",
                "assignees": [183],
            },
            replies=[
                Reply(
                    json=_task("9hx", "New Task Name"),
                    method="POST",
                    path="/api/v2/list/901/task",
                    check=_sent(
                        {
                            "name": "New Task Name",
                            "priority": 3,
                            "due_date": 1508369194377,
                            "due_date_time": True,
                            "assignees": [183],
                        }
                    ),
                )
            ],
            expect={
                "id": "9hx",
                "status": "to do",
                "priority": "normal",
                "due_date": "2017-10-18T23:26:34.377000+00:00",
            },
        ),
        Case(
            "update_task",
            {"task_id": "9hx", "status": "in progress", "remove_assignees": [183]},
            replies=[
                Reply(
                    json=_task("9hx", "Updated Task Name", "in progress", assignees=[]),
                    method="PUT",
                    path="/api/v2/task/9hx",
                    check=_sent({"status": "in progress", "assignees": {"add": [], "rem": [183]}}),
                )
            ],
            expect={"status": "in progress", "assignees": []},
        ),
        Case(
            "add_comment",
            {"task_id": "9hx", "text": "Looks good"},
            replies=[
                Reply(
                    json={"id": "458", "hist_id": "26508", "date": 1568036964079},
                    method="POST",
                    path="/api/v2/task/9hx/comment",
                    check=_sent({"comment_text": "Looks good", "notify_all": False}),
                )
            ],
            expect={"id": "458", "date": "2019-09-09T13:49:24.079000+00:00"},
        ),
        Case(
            "get_task",
            {"task_id": "9hx"},
            replies=[
                Reply(
                    json=_task("9hx", "New Task Name", markdown_description="**Bold** content"),
                    method="GET",
                    path="/api/v2/task/9hx",
                    check=lambda r: r.url.params["include_markdown_description"] == "true",
                )
            ],
            expect={"id": "9hx", "description": "**Bold** content"},
        ),
        Case(
            "list_tasks",
            {"list_id": "901", "statuses": ["to do", "in progress"], "limit": 250},
            replies=[
                Reply(
                    json=_page("a1", "a2", last=False),
                    method="GET",
                    path="/api/v2/list/901/task",
                    check=lambda r: (
                        "page" not in r.url.params
                        and r.url.params.get_list("statuses[]") == ["to do", "in progress"]
                        and r.url.params["include_closed"] == "false"
                    ),
                ),
                Reply(
                    json=_page("a3", last=True),
                    check=lambda r: r.url.params["page"] == "1",
                ),
            ],
            expect={"count": 3, "tasks": lambda ts: [t["id"] for t in ts] == ["a1", "a2", "a3"]},
        ),
        Case(
            "list_tasks",
            {"list_id": "901"},
            replies=[
                Reply(
                    json={
                        "tasks": [_task("b1", "t", assignees=[{"id": 183, "username": "Alex"}])],
                        "last_page": True,
                    },
                    # The live API sends assignees as user objects; the reference
                    # types them as strings, so this body is not spec-checked.
                    spec_response=False,
                )
            ],
            expect={"tasks": lambda ts: ts[0]["assignees"] == [183]},
            id="list_tasks-assignee-objects",
            variants=False,
        ),
        Case(
            "add_comment",
            {"task_id": "9hx", "text": "x"},
            replies=[Reply(401, json={"err": "Token invalid", "ECODE": "OAUTH_025"})],
            raises=AuthError,
            id="add_comment-401-err-body",
        ),
        Case(
            "create_task",
            {"list_id": "901", "name": "x"},
            replies=[Reply(200, json=["not", "an", "object"], spec_response=False)],
            raises=UnexpectedResponse,
            id="create_task-not-an-object",
        ),
    ],
)

test_clickup_cases, test_clickup_vendor_spec, test_clickup_covers_every_action = table_tests(TABLE)


def _clickup(handler: Any, sleeps: list[float]) -> ClickUpConnector:
    ctx = ConnectorContext(
        credentials={"api_token": TOKEN},
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        retry=POLICY,
    )
    return ClickUpConnector(ctx)


def _limited(reset: float) -> httpx.Response:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(reset))}
    return httpx.Response(
        429, json={"err": "Rate limit reached", "ECODE": "APP_002"}, headers=headers
    )


def test_429_with_a_past_reset_is_retried_at_once() -> None:
    replies = [_limited(time.time() - 5), httpx.Response(200, json=USER)]
    sleeps: list[float] = []
    assert _clickup(lambda r: replies.pop(0), sleeps).check().ok
    assert sleeps == [0.0]


def test_429_with_a_far_reset_is_rate_limited_with_the_wait() -> None:
    sleeps: list[float] = []
    connector = _clickup(lambda r: _limited(time.time() + 3600), sleeps)
    with pytest.raises(RateLimited) as info:
        connector.run("add_comment", {"task_id": "9hx", "text": "x"})
    assert info.value.retry_after is not None and 3500 < info.value.retry_after <= 3600
    assert sleeps == []


def test_token_shape_and_update_inputs() -> None:
    with pytest.raises(ConfigurationError, match="pk_"):
        ClickUpConnector(ConnectorContext(credentials={"api_token": "Bearer abc"}))
    connector = ClickUpConnector(ConnectorContext(credentials={"api_token": TOKEN}))
    with pytest.raises(InvalidInput, match="at least one field"):
        connector.run("update_task", {"task_id": "9hx"})


def test_clickup_reason_reaches_the_message() -> None:
    case = next(c for c in TABLE.cases if c.id == "add_comment-401-err-body")
    assert "Token invalid (OAUTH_025)" in str(run_case(TABLE, case).outcome)
