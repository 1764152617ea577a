"""Linear GraphQL API with a personal API key (or an OAuth access token).

Personal keys (``lin_api_...``) go in ``Authorization`` as they are; OAuth tokens as
``Bearer``. Linear reports failures as a GraphQL ``errors`` array whose
``extensions.code`` names the fault, sometimes with HTTP 200 and sometimes with 400
(rate limits included), so :data:`LINEAR_ERRORS` is applied in both places: to the 200
body, and by a response hook before the shared status table would call every 400
"invalid input". A rate limit carries its reset time (epoch milliseconds) in
``x-ratelimit-requests-reset``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Final

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, ConnectorContext, CredentialField, action
from connectors.errors import (
    AuthError,
    ConnectorError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    UnexpectedResponse,
)
from connectors.http import BearerAuth, json_body
from connectors.rate_limits import add_response_hook
from connectors.redaction import redact

__all__ = ["LINEAR_ERRORS", "LinearConnector", "linear_error"]

LINEAR_ERRORS: Final[dict[str, type[ConnectorError]]] = {
    "AUTHENTICATION_ERROR": AuthError,
    "FORBIDDEN": PermissionDenied,
    "RATELIMITED": RateLimited,
    "INVALID_INPUT": InvalidInput,
    "BAD_USER_INPUT": InvalidInput,
    "GRAPHQL_VALIDATION_FAILED": InvalidInput,
    "GRAPHQL_PARSE_FAILED": InvalidInput,
    "ENTITY_NOT_FOUND": NotFound,
    "NOT_FOUND": NotFound,
    "INTERNAL_SERVER_ERROR": Unavailable,
}
_PAGE_SIZE = 50  # Linear's default page; keeps each query's complexity low

_ISSUE_FIELDS = "id identifier title url priority state { name type } assignee { name email }"
VIEWER = "query Viewer { viewer { id name email } organization { name } }"
TEAMS = (
    "query Teams($first: Int, $after: String) { teams(first: $first, after: $after) "
    "{ nodes { id key name } pageInfo { hasNextPage endCursor } } }"
)
ISSUES = (
    "query Issues($filter: IssueFilter, $first: Int, $after: String) "
    "{ issues(filter: $filter, first: $first, after: $after, orderBy: createdAt) "
    f"{{ nodes {{ {_ISSUE_FIELDS} createdAt }} pageInfo {{ hasNextPage endCursor }} }} }}"
)
ISSUE_CREATE = (
    "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) "
    f"{{ success issue {{ {_ISSUE_FIELDS} }} }} }}"
)
ISSUE_UPDATE = (
    "mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) "
    f"{{ issueUpdate(id: $id, input: $input) {{ success issue {{ {_ISSUE_FIELDS} }} }} }}"
)
COMMENT_CREATE = (
    "mutation CommentCreate($input: CommentCreateInput!) { commentCreate(input: $input) "
    "{ success comment { id url createdAt } } }"
)


def _code(error: dict[str, Any]) -> str:
    ext = error.get("extensions") or {}
    raw = str(ext.get("code") or ext.get("type") or "")
    return raw.strip().upper().replace(" ", "_")


def linear_error(
    errors: list[dict[str, Any]],
    *,
    status: int | None = None,
    reset_ms: str | None = None,
    secrets: tuple[str, ...] = (),
    now: float | None = None,
) -> ConnectorError:
    """The shared error for a GraphQL ``errors`` array (the first error decides)."""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = _code(first)
    cls = LINEAR_ERRORS.get(code, ConnectorError)
    message = redact(f"Linear error {code or 'unknown'}: {first.get('message', '')}", secrets)
    if cls is InvalidInput:
        return InvalidInput(message, status_code=status)
    retry_after = None
    if cls is RateLimited and reset_ms:
        current = time.time() if now is None else now
        retry_after = max(0.0, float(reset_ms) / 1000 - current)
    return cls(message, status_code=status, retry_after=retry_after)


def _errors_in_400(secrets: tuple[str, ...]) -> Callable[[httpx.Response], None]:
    def hook(response: httpx.Response) -> None:
        if response.status_code != 400:
            return
        try:
            errors = json.loads(response.read()).get("errors")
        except (ValueError, AttributeError):
            return
        if isinstance(errors, list) and errors:
            response.close()
            reset = response.headers.get("x-ratelimit-requests-reset")
            raise linear_error(errors, status=400, reset_ms=reset, secrets=secrets)

    return hook


class CreateIssueInput(BaseModel):
    team_id: str = Field(min_length=1, description="Team ID (see list_teams)")
    title: str = Field(min_length=1, description="Issue title")
    description: str | None = Field(None, description="Markdown description")
    priority: int | None = Field(None, ge=0, le=4, description="0 none, 1 urgent ... 4 low")
    assignee_id: str | None = Field(None, description="User ID to assign")
    label_ids: list[str] = Field(default_factory=list, description="Label IDs")
    state_id: str | None = Field(None, description="Workflow state ID (team default if empty)")
    due_date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")


class UpdateIssueInput(BaseModel):
    issue: str = Field(min_length=1, description="Issue ID or identifier such as ENG-123")
    title: str | None = Field(None, min_length=1, description="New title")
    description: str | None = Field(None, description="New description (Markdown)")
    priority: int | None = Field(None, ge=0, le=4, description="0 none, 1 urgent ... 4 low")
    assignee_id: str | None = Field(None, description="New assignee's user ID")
    state_id: str | None = Field(None, description="New workflow state ID")
    label_ids: list[str] | None = Field(None, description="Replace all labels with these IDs")

    @model_validator(mode="after")
    def _something(self) -> UpdateIssueInput:
        if not self.model_dump(exclude={"issue"}, exclude_none=True):
            raise ValueError("give at least one field to change")
        return self


class CommentInput(BaseModel):
    issue: str = Field(min_length=1, description="Issue ID or identifier such as ENG-123")
    body: str = Field(min_length=1, description="Comment text (Markdown)")


class ListIssuesInput(BaseModel):
    team_key: str | None = Field(None, description="Only this team's issues (key, e.g. ENG)")
    state: str | None = Field(None, description="Only issues in this state (e.g. In Progress)")
    assignee_email: str | None = Field(None, description="Only issues assigned to this person")
    label: str | None = Field(None, description="Only issues with this label name")
    limit: int = Field(50, ge=1, le=5000, description="Maximum issues, newest first")


class ListTeamsInput(BaseModel):
    limit: int = Field(250, ge=1, le=5000, description="Maximum teams")


_CAMEL = {
    "assignee_id": "assigneeId",
    "label_ids": "labelIds",
    "state_id": "stateId",
    "team_id": "teamId",
    "due_date": "dueDate",
}


def _input(model: BaseModel, exclude: set[str]) -> dict[str, Any]:
    data = model.model_dump(exclude=exclude, exclude_none=True)
    return {_CAMEL.get(k, k): v for k, v in data.items() if v != []}


def _issue(i: dict[str, Any]) -> dict[str, Any]:
    state = i.get("state") or {}
    assignee = i.get("assignee") or {}
    return {
        "id": i["id"],
        "identifier": i["identifier"],
        "title": i["title"],
        "url": i["url"],
        "priority": i.get("priority"),
        "state": state.get("name"),
        "assignee": assignee.get("name"),
    }


class LinearConnector(Connector):
    name = "linear"
    title = "Linear"
    category = "Project management"
    description = "Create, update, comment on and list Linear issues."
    docs_url = "https://linear.app/developers/graphql"
    credentials_url = "https://linear.app/settings/account/security"
    base_url = "https://api.linear.app"
    auth_kind = AuthKind.TOKEN
    credential_fields = (
        CredentialField(
            "api_key",
            "Personal API key",
            secret=True,
            help="Settings → Security & access → Personal API keys (or an OAuth access token)",
            placeholder="lin_api_...",
        ),
    )

    def http_auth(self) -> httpx.Auth:
        key = self.credential("api_key")
        # Personal keys are sent bare; anything else is an OAuth access token.
        return BearerAuth(key, scheme="" if key.startswith("lin_api_") else "Bearer")

    def __init__(self, ctx: ConnectorContext) -> None:
        super().__init__(ctx)
        self._error_hook = _errors_in_400(self.secrets)

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, self._error_hook)

    def _parse(self, response: httpx.Response) -> dict[str, Any]:
        payload = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(payload, dict):
            raise UnexpectedResponse("the answer is not a JSON object", connector=self.name)
        if payload.get("errors"):
            error = linear_error(
                payload["errors"],
                reset_ms=response.headers.get("x-ratelimit-requests-reset"),
                secrets=self.secrets,
            )
            error.connector = self.name
            raise error
        data = payload.get("data")
        if not isinstance(data, dict):
            raise UnexpectedResponse("the answer has no 'data'", connector=self.name)
        return data

    def _run(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = {"query": query, "variables": variables or {}}
        return self._parse(self.http.post("graphql", json=body))

    def _connection(
        self, query: str, field: str, variables: dict[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        """Relay-style paging: ``first``/``after`` travel inside ``variables``."""
        nodes: list[dict[str, Any]] = []
        after: str | None = None
        while len(nodes) < limit:
            page_vars = {**variables, "first": min(_PAGE_SIZE, limit - len(nodes))}
            if after:
                page_vars["after"] = after
            connection = self._run(query, page_vars)[field]
            nodes += connection["nodes"][: limit - len(nodes)]
            info = connection["pageInfo"]
            if not info["hasNextPage"] or not info["endCursor"] or info["endCursor"] == after:
                break
            after = info["endCursor"]
        return nodes

    def check_credentials(self) -> str:
        data = self._run(VIEWER)
        viewer, org = data["viewer"], data.get("organization") or {}
        return f"authenticated as {viewer['name']} in {org.get('name', '?')}"

    def _payload_issue(self, payload: dict[str, Any], what: str) -> dict[str, Any]:
        if not payload.get("success") or not payload.get("issue"):
            raise UnexpectedResponse(f"Linear did not confirm the {what}", connector=self.name)
        return _issue(payload["issue"])

    @action(
        "create_issue",
        input=CreateIssueInput,
        description="Create an issue in a team, with priority, assignee and labels",
        output_keys=("id", "identifier", "title", "url", "priority", "state", "assignee"),
    )
    def create_issue(self, inp: CreateIssueInput) -> dict[str, Any]:
        data = self._run(ISSUE_CREATE, {"input": _input(inp, set())})
        return self._payload_issue(data["issueCreate"], "new issue")

    @action(
        "update_issue",
        input=UpdateIssueInput,
        description="Change an issue's title, text, priority, assignee, state or labels",
        output_keys=("id", "identifier", "title", "url", "priority", "state", "assignee"),
    )
    def update_issue(self, inp: UpdateIssueInput) -> dict[str, Any]:
        variables = {"id": inp.issue, "input": _input(inp, {"issue"})}
        data = self._run(ISSUE_UPDATE, variables)
        return self._payload_issue(data["issueUpdate"], "update")

    @action(
        "comment_on_issue",
        input=CommentInput,
        description="Add a comment to an issue",
        output_keys=("id", "url", "created_at"),
    )
    def comment_on_issue(self, inp: CommentInput) -> dict[str, Any]:
        data = self._run(COMMENT_CREATE, {"input": {"issueId": inp.issue, "body": inp.body}})
        payload = data["commentCreate"]
        if not payload.get("success") or not payload.get("comment"):
            raise UnexpectedResponse("Linear did not confirm the comment", connector=self.name)
        comment = payload["comment"]
        return {"id": comment["id"], "url": comment["url"], "created_at": comment.get("createdAt")}

    @action(
        "list_issues",
        input=ListIssuesInput,
        description="List issues, newest first, by team, state, assignee or label",
        output_keys=("issues", "count"),
        paginated=True,
    )
    def list_issues(self, inp: ListIssuesInput) -> dict[str, Any]:
        issue_filter: dict[str, Any] = {}
        if inp.team_key:
            issue_filter["team"] = {"key": {"eq": inp.team_key}}
        if inp.state:
            issue_filter["state"] = {"name": {"eq": inp.state}}
        if inp.assignee_email:
            issue_filter["assignee"] = {"email": {"eq": inp.assignee_email}}
        if inp.label:
            issue_filter["labels"] = {"name": {"eq": inp.label}}
        variables = {"filter": issue_filter} if issue_filter else {}
        issues = [_issue(i) for i in self._connection(ISSUES, "issues", variables, inp.limit)]
        return {"issues": issues, "count": len(issues)}

    @action(
        "list_teams",
        input=ListTeamsInput,
        description="List the teams (with their IDs and keys) the key can see",
        output_keys=("teams", "count"),
        paginated=True,
    )
    def list_teams(self, inp: ListTeamsInput) -> dict[str, Any]:
        teams = [
            {"id": t["id"], "key": t["key"], "name": t["name"]}
            for t in self._connection(TEAMS, "teams", {}, inp.limit)
        ]
        return {"teams": teams, "count": len(teams)}
