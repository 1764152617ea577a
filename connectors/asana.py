"""Asana REST API 1.0 with a personal access token.

Every request and response body is wrapped as ``{"data": ...}``. Lists page with
``limit`` and an opaque ``offset`` token that the previous page returns in
``next_page.offset`` (null on the last page). Errors arrive as
``{"errors": [{"message": ...}]}`` with a proper HTTP status, so the shared error table
covers them; 429s carry ``Retry-After``, which the shared client honours.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import UnexpectedResponse
from connectors.http import BearerAuth, iter_cursor, json_body

__all__ = ["AsanaConnector"]

_PAGE_SIZE = 100  # Asana's maximum page size
# Ask for the fields we return: Asana's list endpoints send only gid+name by default.
_TASK_FIELDS = "name,completed,due_on,assignee.name,permalink_url,notes"
_PROJECT_FIELDS = "name,archived,permalink_url"


class CreateTaskInput(BaseModel):
    name: str = Field(min_length=1, description="Task title")
    notes: str | None = Field(None, description="Plain-text description")
    workspace: str | None = Field(None, description="Workspace gid (needed without projects)")
    projects: list[str] = Field(default_factory=list, description="Project gids to add it to")
    assignee: str | None = Field(None, description="User gid, e-mail or 'me'")
    due_on: date | None = Field(None, description="Due date (YYYY-MM-DD)")

    @model_validator(mode="after")
    def _placed(self) -> CreateTaskInput:
        if not self.workspace and not self.projects:
            raise ValueError("give a workspace or at least one project")
        return self


class UpdateTaskInput(BaseModel):
    task_gid: str = Field(min_length=1, description="The task to change")
    name: str | None = Field(None, min_length=1, description="New title")
    notes: str | None = Field(None, description="New description")
    completed: bool | None = Field(None, description="Mark done (true) or open (false)")
    assignee: str | None = Field(None, description="User gid, e-mail or 'me'")
    due_on: date | None = Field(None, description="New due date (YYYY-MM-DD)")

    @model_validator(mode="after")
    def _something(self) -> UpdateTaskInput:
        if not self.model_dump(exclude_none=True, exclude={"task_gid"}):
            raise ValueError("give at least one field to change")
        return self


class AddCommentInput(BaseModel):
    task_gid: str = Field(min_length=1, description="The task to comment on")
    text: str = Field(min_length=1, description="Comment text")


class GetTaskInput(BaseModel):
    task_gid: str = Field(min_length=1, description="The task to read")


class ListTasksInput(BaseModel):
    project: str | None = Field(None, description="Project gid")
    section: str | None = Field(None, description="Section gid")
    assignee: str | None = Field(None, description="User gid or 'me' (needs workspace)")
    workspace: str | None = Field(None, description="Workspace gid (with assignee)")
    completed_since: str | None = Field(
        None, description="Only tasks open or completed since this ISO time; 'now' = open only"
    )
    limit: int = Field(100, ge=1, le=5000, description="Maximum tasks to return")

    @model_validator(mode="after")
    def _scope(self) -> ListTasksInput:
        if not (self.project or self.section or (self.assignee and self.workspace)):
            raise ValueError("give a project, a section, or an assignee with a workspace")
        return self


class ListProjectsInput(BaseModel):
    workspace: str = Field(min_length=1, description="Workspace gid")
    archived: bool | None = Field(None, description="Only archived (true) or active (false)")
    limit: int = Field(100, ge=1, le=5000, description="Maximum projects to return")


def _task(t: dict[str, Any]) -> dict[str, Any]:
    assignee = t.get("assignee") or {}
    return {
        "gid": t["gid"],
        "name": t.get("name", ""),
        "completed": bool(t.get("completed")),
        "due_on": t.get("due_on"),
        "assignee": assignee.get("gid"),
        "url": t.get("permalink_url"),
    }


class AsanaConnector(Connector):
    name = "asana"
    title = "Asana"
    category = "Project management"
    description = "Create, update, comment on and list Asana tasks and projects."
    docs_url = "https://developers.asana.com/reference/rest-api-reference"
    credentials_url = "https://app.asana.com/0/my-apps"
    base_url = "https://app.asana.com/api/1.0"
    auth_kind = AuthKind.TOKEN
    tier = "v2"
    credential_fields = (
        CredentialField(
            "access_token",
            "Personal access token",
            secret=True,
            help="My settings → Apps → Developer apps → Create new token",
            placeholder="2/1200...",
        ),
    )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("access_token"))

    def _data(self, response: httpx.Response) -> Any:
        body = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(body, dict) or "data" not in body:
            raise UnexpectedResponse("the answer has no 'data' envelope", connector=self.name)
        return body["data"]

    def _page(self, response: httpx.Response) -> dict[str, Any]:
        body = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise UnexpectedResponse("the list answer has no 'data' array", connector=self.name)
        return body

    def _list(self, path: str, params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return list(
            iter_cursor(
                self.http,
                path,
                params={**params, "limit": min(_PAGE_SIZE, limit)},
                items=lambda d: d["data"],
                next_cursor=lambda d: (d.get("next_page") or {}).get("offset"),
                cursor_param="offset",
                parse=self._page,
                max_items=limit,
            )
        )

    def check_credentials(self) -> str:
        me = self._data(self.http.get("users/me"))
        spaces = len(me.get("workspaces") or [])
        return f"authenticated as {me.get('name', '?')} ({spaces} workspaces)"

    @action(
        "create_task",
        input=CreateTaskInput,
        description="Create a task in a workspace or project",
        output_keys=("gid", "name", "completed", "due_on", "assignee", "url"),
    )
    def create_task(self, inp: CreateTaskInput) -> dict[str, Any]:
        data = inp.model_dump(mode="json", exclude_none=True)
        if not data.get("projects"):
            data.pop("projects", None)
        task = self._data(self.http.post("tasks", json={"data": data}))
        return _task(task)

    @action(
        "update_task",
        input=UpdateTaskInput,
        description="Change a task's title, notes, assignee, due date or completion",
        output_keys=("gid", "name", "completed", "due_on", "assignee", "url"),
    )
    def update_task(self, inp: UpdateTaskInput) -> dict[str, Any]:
        data = inp.model_dump(mode="json", exclude_none=True, exclude={"task_gid"})
        task = self._data(self.http.put(f"tasks/{inp.task_gid}", json={"data": data}))
        return _task(task)

    @action(
        "add_comment",
        input=AddCommentInput,
        description="Add a comment to a task",
        output_keys=("gid", "text", "created_at"),
    )
    def add_comment(self, inp: AddCommentInput) -> dict[str, Any]:
        story = self._data(
            self.http.post(f"tasks/{inp.task_gid}/stories", json={"data": {"text": inp.text}})
        )
        return {
            "gid": story["gid"],
            "text": story.get("text", inp.text),
            "created_at": story.get("created_at"),
        }

    @action(
        "get_task",
        input=GetTaskInput,
        description="Read a task, with its notes",
        output_keys=("gid", "name", "completed", "due_on", "assignee", "url", "notes"),
    )
    def get_task(self, inp: GetTaskInput) -> dict[str, Any]:
        task = self._data(
            self.http.get(f"tasks/{inp.task_gid}", params={"opt_fields": _TASK_FIELDS})
        )
        return {**_task(task), "notes": task.get("notes") or ""}

    @action(
        "list_tasks",
        input=ListTasksInput,
        description="List the tasks of a project, section or assignee",
        output_keys=("tasks", "count"),
        paginated=True,
    )
    def list_tasks(self, inp: ListTasksInput) -> dict[str, Any]:
        params = inp.model_dump(exclude_none=True, exclude={"limit"})
        params["opt_fields"] = _TASK_FIELDS
        tasks = [_task(t) for t in self._list("tasks", params, inp.limit)]
        return {"tasks": tasks, "count": len(tasks)}

    @action(
        "list_projects",
        input=ListProjectsInput,
        description="List the projects of a workspace",
        output_keys=("projects", "count"),
        paginated=True,
    )
    def list_projects(self, inp: ListProjectsInput) -> dict[str, Any]:
        params: dict[str, Any] = {"workspace": inp.workspace, "opt_fields": _PROJECT_FIELDS}
        if inp.archived is not None:
            params["archived"] = str(inp.archived).lower()
        projects = [
            {
                "gid": p["gid"],
                "name": p.get("name", ""),
                "archived": bool(p.get("archived")),
                "url": p.get("permalink_url"),
            }
            for p in self._list("projects", params, inp.limit)
        ]
        return {"projects": projects, "count": len(projects)}
