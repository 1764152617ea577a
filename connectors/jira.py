"""Jira Cloud platform REST API v3 with an Atlassian account e-mail and API token.

The site (``https://acme.atlassian.net``) is a non-secret credential field; API tokens
use HTTP basic auth (e-mail : token). Issue descriptions and comments are Atlassian
Document Format (ADF) in v3; :func:`adf` turns plain text into it. Searches use
``/rest/api/3/search/jql`` with ``nextPageToken`` (the old ``/search`` is removed).
429s carry ``Retry-After``, honoured by the shared client. Jira's error reasons
(``errorMessages``, per-field ``errors``) are put into the error messages.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.error_text import jira_error_text
from connectors.errors import ConfigurationError, InvalidInput
from connectors.http import iter_cursor

__all__ = ["JiraConnector", "adf", "adf_text"]

_PAGE_SIZE = 100
_SITE = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d+)?/?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SEARCH_FIELDS = "summary,status,assignee,priority,issuetype,updated"


def adf(text: str) -> dict[str, Any]:
    """Plain text as an ADF document: blank lines split paragraphs, newlines break lines."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        content: list[dict[str, Any]] = []
        for number, line in enumerate(block.split("\n")):
            if number:
                content.append({"type": "hardBreak"})
            if line:  # ADF rejects empty text nodes
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


def adf_text(node: Any) -> str:
    """The plain text of an ADF document: blocks separated by blank lines."""
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    parts = [adf_text(child) for child in node.get("content") or []]
    if node.get("type") in ("doc", "bulletList", "orderedList", "listItem"):
        return "\n\n".join(p for p in parts if p)
    return "".join(parts)


class CreateIssueInput(BaseModel):
    project_key: str = Field(min_length=1, description="Project key, e.g. OPS")
    summary: str = Field(min_length=1, max_length=255, description="Issue summary")
    issue_type: str = Field("Task", min_length=1, description="Issue type name (Task, Bug...)")
    description: str | None = Field(None, description="Plain-text description")
    labels: list[str] = Field(default_factory=list, description="Labels (no spaces)")
    priority: str | None = Field(None, description="Priority name, e.g. High")
    assignee_account_id: str | None = Field(None, description="Assignee's Atlassian account id")
    parent_key: str | None = Field(None, description="Parent issue key (for sub-tasks)")


class UpdateIssueInput(BaseModel):
    issue_key: str = Field(min_length=1, description="Issue key, e.g. OPS-12")
    summary: str | None = Field(None, min_length=1, max_length=255, description="New summary")
    description: str | None = Field(None, description="New plain-text description")
    labels: list[str] | None = Field(None, description="Replace the labels with these")
    priority: str | None = Field(None, description="New priority name")
    assignee_account_id: str | None = Field(None, description="New assignee's account id")

    @model_validator(mode="after")
    def _something(self) -> UpdateIssueInput:
        if not self.model_dump(exclude_none=True, exclude={"issue_key"}):
            raise ValueError("give at least one field to change")
        return self


class AddCommentInput(BaseModel):
    issue_key: str = Field(min_length=1, description="Issue key, e.g. OPS-12")
    body: str = Field(min_length=1, description="Plain-text comment (sent as ADF)")


class SearchIssuesInput(BaseModel):
    jql: str = Field(min_length=1, description="JQL, e.g. 'project = OPS AND status = Open'")
    limit: int = Field(100, ge=1, le=5000, description="Maximum issues to return")


class GetIssueInput(BaseModel):
    issue_key: str = Field(min_length=1, description="Issue key, e.g. OPS-12")


class TransitionIssueInput(BaseModel):
    issue_key: str = Field(min_length=1, description="Issue key, e.g. OPS-12")
    to: str = Field(
        min_length=1, description="Transition name or id, or the target status name (Done)"
    )


def _issue(i: dict[str, Any]) -> dict[str, Any]:
    fields = i.get("fields") or {}
    return {
        "id": i["id"],
        "key": i["key"],
        "summary": fields.get("summary"),
        "status": (fields.get("status") or {}).get("name"),
        "assignee": (fields.get("assignee") or {}).get("displayName"),
        "priority": (fields.get("priority") or {}).get("name"),
        "type": (fields.get("issuetype") or {}).get("name"),
        "updated": fields.get("updated"),
    }


class JiraConnector(Connector):
    name = "jira"
    title = "Jira"
    category = "Project management"
    description = "Create, update, comment on, transition and search Jira Cloud issues."
    docs_url = "https://developer.atlassian.com/cloud/jira/platform/rest/v3/"
    credentials_url = "https://id.atlassian.com/manage-profile/security/api-tokens"
    base_url = "https://your-domain.atlassian.net"
    auth_kind = AuthKind.BASIC
    tier = "v2"
    credential_fields = (
        CredentialField(
            "site_url", "Site URL", secret=False, placeholder="https://acme.atlassian.net"
        ),
        CredentialField(
            "email",
            "Atlassian account e-mail",
            secret=False,
            help="The account that created the API token; the automation acts as it",
        ),
        CredentialField(
            "api_token",
            "API token",
            secret=True,
            help="id.atlassian.com → Security → Create and manage API tokens",
        ),
    )

    def validate_credentials(self) -> None:
        if not _SITE.match(self.credential("site_url").strip()):
            raise ConfigurationError(
                "the site URL (site_url) must look like https://acme.atlassian.net",
                connector=self.name,
            )
        if not _EMAIL.match(self.credential("email").strip()):
            raise ConfigurationError(
                "the account e-mail (email) is not an e-mail address", connector=self.name
            )

    def resolved_base_url(self) -> str:
        return self.ctx.base_url or self.credential("site_url").strip().rstrip("/")

    def http_auth(self) -> httpx.Auth:
        return httpx.BasicAuth(self.credential("email").strip(), self.credential("api_token"))

    def _no_content(self, response: httpx.Response) -> None:
        # Jira answers these calls 204; anything else must at least be JSON (a login or
        # proxy page with 200 means the change did not happen).
        if response.status_code != 204:
            self._json(response)

    def _browse(self, key: str) -> str:
        return f"{self.resolved_base_url().rstrip('/')}/browse/{key}"

    def error_text(self, body: Any) -> str | None:
        # Jira's reasons sit in errorMessages / errors{field: text}.
        return jira_error_text(body)

    def check_credentials(self) -> str:
        me = self._json(self.http.get("rest/api/3/myself"))
        return f"authenticated as {me['displayName']}"

    @action(
        "create_issue",
        input=CreateIssueInput,
        description="Create an issue in a project",
        output_keys=("id", "key", "url"),
    )
    def create_issue(self, inp: CreateIssueInput) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "project": {"key": inp.project_key},
            "summary": inp.summary,
            "issuetype": {"name": inp.issue_type},
        }
        if inp.description:
            fields["description"] = adf(inp.description)
        if inp.labels:
            fields["labels"] = inp.labels
        if inp.priority:
            fields["priority"] = {"name": inp.priority}
        if inp.assignee_account_id:
            fields["assignee"] = {"accountId": inp.assignee_account_id}
        if inp.parent_key:
            fields["parent"] = {"key": inp.parent_key}
        made = self._json(self.http.post("rest/api/3/issue", json={"fields": fields}))
        return {"id": made["id"], "key": made["key"], "url": self._browse(made["key"])}

    @action(
        "update_issue",
        input=UpdateIssueInput,
        description="Change an issue's summary, description, labels, priority or assignee",
        output_keys=("key", "updated", "url"),
    )
    def update_issue(self, inp: UpdateIssueInput) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if inp.summary is not None:
            fields["summary"] = inp.summary
        if inp.description is not None:
            fields["description"] = adf(inp.description)
        if inp.labels is not None:
            fields["labels"] = inp.labels
        if inp.priority is not None:
            fields["priority"] = {"name": inp.priority}
        if inp.assignee_account_id is not None:
            fields["assignee"] = {"accountId": inp.assignee_account_id}
        self._no_content(
            self.http.put(f"rest/api/3/issue/{inp.issue_key}", json={"fields": fields})
        )
        return {"key": inp.issue_key, "updated": sorted(fields), "url": self._browse(inp.issue_key)}

    @action(
        "add_comment",
        input=AddCommentInput,
        description="Add a comment to an issue",
        output_keys=("id", "created", "author"),
    )
    def add_comment(self, inp: AddCommentInput) -> dict[str, Any]:
        made = self._json(
            self.http.post(
                f"rest/api/3/issue/{inp.issue_key}/comment", json={"body": adf(inp.body)}
            )
        )
        return {
            "id": made["id"],
            "created": made.get("created"),
            "author": (made.get("author") or {}).get("displayName"),
        }

    @action(
        "search_issues",
        input=SearchIssuesInput,
        description="Find issues with JQL",
        output_keys=("issues", "count"),
        paginated=True,
    )
    def search_issues(self, inp: SearchIssuesInput) -> dict[str, Any]:
        params = {
            "jql": inp.jql,
            "maxResults": min(_PAGE_SIZE, inp.limit),
            "fields": _SEARCH_FIELDS,
        }
        issues = [
            _issue(i)
            for i in iter_cursor(
                self.http,
                "rest/api/3/search/jql",
                params=params,
                items=lambda d: d["issues"],
                next_cursor=lambda d: None if d.get("isLast", True) else d.get("nextPageToken"),
                cursor_param="nextPageToken",
                parse=self._json,
                max_items=inp.limit,
            )
        ]
        return {"issues": issues, "count": len(issues)}

    @action(
        "get_issue",
        input=GetIssueInput,
        description="Read an issue's summary, status, assignee and description",
        output_keys=(
            "id",
            "key",
            "summary",
            "status",
            "assignee",
            "priority",
            "type",
            "updated",
            "description",
            "url",
        ),
    )
    def get_issue(self, inp: GetIssueInput) -> dict[str, Any]:
        params = {"fields": f"{_SEARCH_FIELDS},description"}
        issue = self._json(self.http.get(f"rest/api/3/issue/{inp.issue_key}", params=params))
        description = (issue.get("fields") or {}).get("description")
        return {
            **_issue(issue),
            "description": adf_text(description) if description else "",
            "url": self._browse(issue["key"]),
        }

    @action(
        "transition_issue",
        input=TransitionIssueInput,
        description="Move an issue through its workflow (e.g. to Done)",
        output_keys=("key", "transition_id", "status"),
    )
    def transition_issue(self, inp: TransitionIssueInput) -> dict[str, Any]:
        path = f"rest/api/3/issue/{inp.issue_key}/transitions"
        available = self._json(self.http.get(path))["transitions"]
        wanted = inp.to.strip().lower()
        match = next(
            (
                t
                for t in available
                if wanted in (str(t["id"]), str(t.get("name", "")).lower())
                or wanted == str((t.get("to") or {}).get("name", "")).lower()
            ),
            None,
        )
        if match is None:
            names = ", ".join(sorted(str(t.get("name")) for t in available)) or "none"
            raise InvalidInput(
                f"{inp.issue_key} has no transition {inp.to!r}; available: {names}",
                connector=self.name,
                fields=["to"],
            )
        self._no_content(self.http.post(path, json={"transition": {"id": str(match["id"])}}))
        return {
            "key": inp.issue_key,
            "transition_id": str(match["id"]),
            "status": (match.get("to") or {}).get("name"),
        }
