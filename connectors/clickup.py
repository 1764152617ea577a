"""ClickUp API v2 with a personal API token (``Authorization: pk_...``, no scheme word).

Dates travel as Unix epoch milliseconds (as strings in answers); this connector takes
and returns ISO 8601. Task lists page with ``page`` (0-based, 100 tasks a page) until
the answer says ``last_page``. A 429 carries ``X-RateLimit-Reset`` (epoch seconds)
rather than ``Retry-After``; a response hook converts it for the shared client.
Error reasons come as ``{"err", "ECODE"}`` and are put into the error messages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.error_text import clickup_error_text
from connectors.errors import ConfigurationError
from connectors.http import BearerAuth, iter_cursor
from connectors.rate_limits import add_response_hook, epoch_reset_retry_after

__all__ = ["ClickUpConnector"]

_RESET_HOOK = epoch_reset_retry_after(statuses=frozenset({429}))

Priority = Literal[1, 2, 3, 4]  # 1 urgent, 2 high, 3 normal, 4 low


def _millis(when: datetime) -> int:
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def _iso(millis: Any) -> str | None:
    if millis in (None, ""):
        return None
    return datetime.fromtimestamp(int(millis) / 1000, tz=UTC).isoformat()


class CreateTaskInput(BaseModel):
    list_id: str = Field(min_length=1, description="The list to create the task in")
    name: str = Field(min_length=1, description="Task name")
    description: str | None = Field(None, description="Description (Markdown)")
    status: str | None = Field(None, description="Status name as configured on the list")
    priority: Priority | None = Field(None, description="1 urgent, 2 high, 3 normal, 4 low")
    due_date: datetime | None = Field(None, description="Due date and time (ISO 8601)")
    assignees: list[int] = Field(default_factory=list, description="User ids to assign")
    tags: list[str] = Field(default_factory=list, description="Tag names")


class UpdateTaskInput(BaseModel):
    task_id: str = Field(min_length=1, description="The task to change")
    name: str | None = Field(None, min_length=1, description="New name")
    description: str | None = Field(None, description="New description (Markdown)")
    status: str | None = Field(None, description="New status name")
    priority: Priority | None = Field(None, description="1 urgent, 2 high, 3 normal, 4 low")
    due_date: datetime | None = Field(None, description="New due date and time")
    add_assignees: list[int] = Field(default_factory=list, description="User ids to add")
    remove_assignees: list[int] = Field(default_factory=list, description="User ids to remove")

    @model_validator(mode="after")
    def _something(self) -> UpdateTaskInput:
        if not self.model_dump(exclude_none=True, exclude_defaults=True, exclude={"task_id"}):
            raise ValueError("give at least one field to change")
        return self


class AddCommentInput(BaseModel):
    task_id: str = Field(min_length=1, description="The task to comment on")
    text: str = Field(min_length=1, description="Comment text")
    notify_all: bool = Field(False, description="Notify everyone watching the task")


class GetTaskInput(BaseModel):
    task_id: str = Field(min_length=1, description="The task to read")


class ListTasksInput(BaseModel):
    list_id: str = Field(min_length=1, description="The list whose tasks to return")
    statuses: list[str] = Field(default_factory=list, description="Only these status names")
    include_closed: bool = Field(False, description="Include closed tasks")
    limit: int = Field(500, ge=1, le=10000, description="Maximum tasks to return")


def _task(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": t["id"],
        "name": t.get("name", ""),
        "status": (t.get("status") or {}).get("status"),
        "priority": (t.get("priority") or {}).get("priority"),
        "due_date": _iso(t.get("due_date")),
        # The live API sends user objects; the reference types them as id strings.
        "assignees": [a.get("id") if isinstance(a, dict) else a for a in t.get("assignees") or []],
        "url": t.get("url"),
    }


_TASK_KEYS = ("id", "name", "status", "priority", "due_date", "assignees", "url")


class ClickUpConnector(Connector):
    name = "clickup"
    title = "ClickUp"
    category = "Project management"
    description = "Create, update, comment on and list ClickUp tasks."
    docs_url = "https://developer.clickup.com/reference"
    credentials_url = "https://app.clickup.com/settings/apps"
    base_url = "https://api.clickup.com/api/v2"
    auth_kind = AuthKind.TOKEN
    tier = "v2"
    credential_fields = (
        CredentialField(
            "api_token",
            "Personal API token",
            secret=True,
            help="Settings → Apps → API Token → Generate",
            placeholder="pk_...",
        ),
    )

    def validate_credentials(self) -> None:
        if not self.credential("api_token").startswith("pk_"):
            raise ConfigurationError(
                "the personal API token (api_token) must start with pk_", connector=self.name
            )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("api_token"), scheme="")  # ClickUp: no scheme word

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, _RESET_HOOK)

    def error_text(self, body: Any) -> str | None:
        # ClickUp's reason is in {"err", "ECODE"}, which the shared table does not read.
        return clickup_error_text(body)

    def check_credentials(self) -> str:
        user = self._json(self.http.get("user"))["user"]
        return f"authenticated as {user['username']}"

    @action(
        "create_task",
        input=CreateTaskInput,
        description="Create a task in a list",
        output_keys=_TASK_KEYS,
    )
    def create_task(self, inp: CreateTaskInput) -> dict[str, Any]:
        body: dict[str, Any] = {"name": inp.name}
        if inp.description is not None:
            body["markdown_content"] = inp.description
        if inp.status:
            body["status"] = inp.status
        if inp.priority:
            body["priority"] = inp.priority
        if inp.due_date:
            body["due_date"] = _millis(inp.due_date)
            body["due_date_time"] = True
        if inp.assignees:
            body["assignees"] = inp.assignees
        if inp.tags:
            body["tags"] = inp.tags
        return _task(self._json(self.http.post(f"list/{inp.list_id}/task", json=body)))

    @action(
        "update_task",
        input=UpdateTaskInput,
        description="Change a task's name, description, status, priority, due date or assignees",
        output_keys=_TASK_KEYS,
    )
    def update_task(self, inp: UpdateTaskInput) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if inp.name is not None:
            body["name"] = inp.name
        if inp.description is not None:
            body["markdown_content"] = inp.description
        if inp.status is not None:
            body["status"] = inp.status
        if inp.priority is not None:
            body["priority"] = inp.priority
        if inp.due_date is not None:
            body["due_date"] = _millis(inp.due_date)
            body["due_date_time"] = True
        if inp.add_assignees or inp.remove_assignees:
            body["assignees"] = {"add": inp.add_assignees, "rem": inp.remove_assignees}
        return _task(self._json(self.http.put(f"task/{inp.task_id}", json=body)))

    @action(
        "add_comment",
        input=AddCommentInput,
        description="Add a comment to a task",
        output_keys=("id", "date"),
    )
    def add_comment(self, inp: AddCommentInput) -> dict[str, Any]:
        body = {"comment_text": inp.text, "notify_all": inp.notify_all}
        made = self._json(self.http.post(f"task/{inp.task_id}/comment", json=body))
        return {"id": str(made["id"]), "date": _iso(made.get("date"))}

    @action(
        "get_task",
        input=GetTaskInput,
        description="Read a task, with its Markdown description",
        output_keys=(*_TASK_KEYS, "description"),
    )
    def get_task(self, inp: GetTaskInput) -> dict[str, Any]:
        params = {"include_markdown_description": "true"}
        task = self._json(self.http.get(f"task/{inp.task_id}", params=params))
        text = task.get("markdown_description") or task.get("description") or ""
        return {**_task(task), "description": text}

    @action(
        "list_tasks",
        input=ListTasksInput,
        description="List the tasks of a list",
        output_keys=("tasks", "count"),
        paginated=True,
    )
    def list_tasks(self, inp: ListTasksInput) -> dict[str, Any]:
        params: dict[str, Any] = {"include_closed": str(inp.include_closed).lower()}
        if inp.statuses:
            params["statuses[]"] = inp.statuses
        pages = iter(range(1, 1_000_000))

        def next_page(data: dict[str, Any]) -> str | None:
            # ClickUp pages are numbered from 0; the answer says when it was the last.
            return None if data.get("last_page", True) else str(next(pages))

        tasks = [
            _task(t)
            for t in iter_cursor(
                self.http,
                f"list/{inp.list_id}/task",
                params=params,
                items=lambda d: d["tasks"],
                next_cursor=next_page,
                cursor_param="page",
                parse=self._json,
                max_items=inp.limit,
            )
        ]
        return {"tasks": tasks, "count": len(tasks)}
