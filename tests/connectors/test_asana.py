"""Asana: the table run by the shared harness, checked against asana_oas.yaml."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.asana import AsanaConnector
from connectors.base import ConnectorContext
from connectors.errors import InvalidInput, UnexpectedResponse
from tests.connectors.harness import Case, ConnectorTable, Reply, contains, run_case, table_tests

TOKEN = "2/1200000000000001/1209999999999999:0123456789abcdef0123456789abcdef"
API = "/api/1.0"
OFFSET = "eyJ0eXAiOJiKV1iQLCJhbGciOiJ"


def _body(request: httpx.Request) -> Any:
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    return httpx.Response(200, content=request.content).json()


# Bodies follow the examples in asana_oas.yaml (UserResponse, TaskResponse, StoryResponse).
ME = {
    "data": {
        "gid": "12345",
        "resource_type": "user",
        "name": "Greg Sanchez",
        "email": "gsanchez@example.com",
        "photo": None,
        "workspaces": [
            {"gid": "12345", "resource_type": "workspace", "name": "My Company Workspace"}
        ],
    }
}


def _task(gid: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "gid": gid,
        "resource_type": "task",
        "name": name,
        "resource_subtype": "default_task",
        "completed": False,
        "due_on": "2019-09-15",
        "assignee": {"gid": "12345", "resource_type": "user", "name": "Greg Sanchez"},
        "permalink_url": f"https://app.asana.com/0/resource/{gid}/list",
        **extra,
    }


def _page(*tasks: dict[str, Any], offset: str | None = None) -> dict[str, Any]:
    next_page = (
        {"offset": offset, "path": f"/tasks?offset={offset}", "uri": "https://app.asana.com/x"}
        if offset
        else None
    )
    return {"data": list(tasks), "next_page": next_page}


STORY = {
    "data": {
        "gid": "67890",
        "resource_type": "story",
        "created_at": "2012-02-22T02:06:58.147Z",
        "resource_subtype": "comment_added",
        "text": "This is a comment.",
        "type": "comment",
    }
}


def _created(request: httpx.Request) -> None:
    assert _body(request) == {
        "data": {"name": "Ship it", "projects": ["1331"], "due_on": "2026-12-01"}
    }


TABLE = ConnectorTable(
    connector=AsanaConnector,
    credentials={"access_token": TOKEN},
    vendor="asana",
    cases=[
        Case(
            "check",
            replies=[Reply(json=ME, method="GET", path=f"{API}/users/me")],
            expect={"ok": True, "detail": contains("as Greg Sanchez (1 workspaces)")},
        ),
        Case(
            "create_task",
            {"name": "Ship it", "projects": ["1331"], "due_on": "2026-12-01"},
            replies=[
                Reply(
                    201,
                    json={"data": _task("1001", "Ship it")},
                    method="POST",
                    path=f"{API}/tasks",
                    check=_created,
                )
            ],
            expect={"gid": "1001", "assignee": "12345", "due_on": "2019-09-15"},
        ),
        Case(
            "update_task",
            {"task_gid": "1001", "completed": True},
            replies=[
                Reply(
                    json={"data": _task("1001", "Ship it", completed=True)},
                    method="PUT",
                    path=f"{API}/tasks/1001",
                    check=lambda r: _body(r) == {"data": {"completed": True}},
                )
            ],
            expect={"gid": "1001", "completed": True},
        ),
        Case(
            "add_comment",
            {"task_gid": "1001", "text": "This is a comment."},
            replies=[
                Reply(
                    201,
                    json=STORY,
                    method="POST",
                    path=f"{API}/tasks/1001/stories",
                    check=lambda r: _body(r) == {"data": {"text": "This is a comment."}},
                )
            ],
            expect={"gid": "67890", "created_at": "2012-02-22T02:06:58.147Z"},
        ),
        Case(
            "get_task",
            {"task_gid": "1001"},
            replies=[
                Reply(
                    json={"data": _task("1001", "Ship it", notes="Mittens really likes the stuff")},
                    method="GET",
                    path=f"{API}/tasks/1001",
                    check=lambda r: "notes" in r.url.params["opt_fields"].split(","),
                )
            ],
            expect={"gid": "1001", "notes": "Mittens really likes the stuff"},
        ),
        Case(
            "list_tasks",
            {"project": "1331", "limit": 3},
            replies=[
                Reply(
                    json=_page(_task("1", "a"), _task("2", "b"), offset=OFFSET),
                    method="GET",
                    path=f"{API}/tasks",
                    check=lambda r: (
                        r.url.params["project"] == "1331"
                        and r.url.params["limit"] == "3"
                        and "offset" not in r.url.params
                    ),
                ),
                Reply(
                    json=_page(_task("3", "c"), _task("4", "d"), offset="next2"),
                    check=lambda r: r.url.params["offset"] == OFFSET,
                ),
            ],
            expect={"count": 3, "tasks": lambda ts: [t["gid"] for t in ts] == ["1", "2", "3"]},
        ),
        Case(
            "list_projects",
            {"workspace": "12345", "archived": False},
            replies=[
                Reply(
                    json={
                        "data": [
                            {
                                "gid": "1331",
                                "resource_type": "project",
                                "name": "Stuff to buy",
                                "archived": False,
                                "permalink_url": "https://app.asana.com/0/resource/1331/list",
                            }
                        ],
                        "next_page": None,
                    },
                    path=f"{API}/projects",
                    check=lambda r: (
                        r.url.params["workspace"] == "12345" and r.url.params["archived"] == "false"
                    ),
                )
            ],
            expect={"count": 1, "projects": lambda ps: ps[0]["name"] == "Stuff to buy"},
        ),
        Case(
            "create_task",
            {"name": "x", "workspace": "12345"},
            replies=[Reply(201, json={"errors": []}, spec_response=False)],
            raises=UnexpectedResponse,
            id="create_task-no-data-envelope",
        ),
        Case(
            "create_task",
            {"name": "x", "workspace": "12345"},
            replies=[
                Reply(
                    400,
                    json={"errors": [{"message": "workspace: Not a recognized ID: 12345"}]},
                    spec_response=False,
                )
            ],
            raises=InvalidInput,
            id="create_task-400",
        ),
    ],
)

test_asana_cases, test_asana_vendor_spec, test_asana_covers_every_action = table_tests(TABLE)
# Loading the API description (3 MB of YAML) takes 2-3 s, once per session.
test_asana_vendor_spec = pytest.mark.slow(test_asana_vendor_spec)


def _asana() -> AsanaConnector:
    return AsanaConnector(ConnectorContext(credentials={"access_token": TOKEN}))


@pytest.mark.parametrize(
    ("action", "inputs", "fault"),
    [
        ("create_task", {"name": "x"}, "workspace or at least one project"),
        ("update_task", {"task_gid": "1"}, "at least one field"),
        ("list_tasks", {"assignee": "me"}, "assignee with a workspace"),
    ],
)
def test_inputs_are_checked_before_any_call(
    action: str, inputs: dict[str, Any], fault: str
) -> None:
    with pytest.raises(InvalidInput, match=fault):
        _asana().run(action, inputs)


def test_vendor_error_text_reaches_the_message() -> None:
    case = next(c for c in TABLE.cases if c.id == "create_task-400")
    assert "Not a recognized ID" in str(run_case(TABLE, case).outcome)
