"""GitHub REST API (version 2022-11-28) with a personal access token.

The version is pinned with ``X-GitHub-Api-Version``; lists follow the ``Link:
rel="next"`` header. GitHub answers an exhausted primary rate limit with 403 or 429 and
``x-ratelimit-remaining: 0`` plus an epoch ``x-ratelimit-reset``, and a secondary limit
with 403/429 and ``Retry-After``: :func:`connectors.rate_limits.epoch_reset_retry_after`
turns both into RateLimited (or a wait), never into PermissionDenied. For GitHub
Enterprise Server, set the base URL to ``https://<host>/api/v3``.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import UnexpectedResponse
from connectors.http import BearerAuth, iter_link_header, json_body
from connectors.rate_limits import add_response_hook, epoch_reset_retry_after

__all__ = ["GITHUB_API_VERSION", "GitHubConnector"]

GITHUB_API_VERSION = "2022-11-28"
_PAGE_SIZE = 100  # GitHub's maximum per_page
_limits_hook = epoch_reset_retry_after()
_REPOSITORY = Field(
    pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description="Repository as owner/name"
)


class CreateIssueInput(BaseModel):
    repository: str = _REPOSITORY
    title: str = Field(min_length=1, max_length=256, description="Issue title")
    body: str | None = Field(None, description="Issue text (Markdown)")
    labels: list[str] = Field(default_factory=list, description="Label names to add")
    assignees: list[str] = Field(default_factory=list, description="Logins to assign")
    milestone: int | None = Field(None, description="Milestone number")


class UpdateIssueInput(BaseModel):
    repository: str = _REPOSITORY
    number: int = Field(ge=1, description="Issue number")
    title: str | None = Field(None, min_length=1, max_length=256, description="New title")
    body: str | None = Field(None, description="New text (replaces the old one)")
    state: Literal["open", "closed"] | None = Field(None, description="Open or close it")
    state_reason: Literal["completed", "not_planned", "reopened"] | None = Field(
        None, description="Why it was closed or reopened"
    )
    labels: list[str] | None = Field(None, description="Replace all labels with these")
    assignees: list[str] | None = Field(None, description="Replace all assignees with these")


class CommentInput(BaseModel):
    repository: str = _REPOSITORY
    number: int = Field(ge=1, description="Issue or pull request number")
    body: str = Field(min_length=1, max_length=65536, description="Comment text (Markdown)")


class ListIssuesInput(BaseModel):
    repository: str = _REPOSITORY
    state: Literal["open", "closed", "all"] = Field("open", description="Which issues")
    labels: list[str] = Field(default_factory=list, description="Only issues with all labels")
    since: str | None = Field(None, description="Only updated at/after (ISO 8601 timestamp)")
    include_pull_requests: bool = Field(False, description="GitHub lists PRs as issues too")
    limit: int = Field(100, ge=1, le=10000, description="Maximum issues, newest first")


class ListReposInput(BaseModel):
    visibility: Literal["all", "public", "private"] = Field("all", description="Which repos")
    affiliation: str = Field(
        "owner,collaborator,organization_member", description="Comma-separated relations"
    )
    sort: Literal["created", "updated", "pushed", "full_name"] = Field(
        "full_name", description="Sort order"
    )
    limit: int = Field(100, ge=1, le=10000, description="Maximum repositories")


def _issue(i: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": i["number"],
        "id": i["id"],
        "title": i["title"],
        "state": i["state"],
        "url": i["html_url"],
        "labels": [label["name"] if isinstance(label, dict) else label for label in i["labels"]],
        "assignees": [a["login"] for a in i.get("assignees") or []],
        "author": (i.get("user") or {}).get("login"),
        "comments": i.get("comments", 0),
        "created_at": i.get("created_at"),
        "updated_at": i.get("updated_at"),
        "is_pull_request": "pull_request" in i,
    }


def _repo(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "full_name": r["full_name"],
        "private": bool(r["private"]),
        "url": r["html_url"],
        "description": r.get("description"),
        "default_branch": r.get("default_branch"),
        "archived": bool(r.get("archived")),
        "pushed_at": r.get("pushed_at"),
    }


class GitHubConnector(Connector):
    name = "github"
    title = "GitHub"
    category = "Developer tools"
    description = "Create, update, comment on and list issues, and list repositories."
    docs_url = "https://docs.github.com/en/rest"
    credentials_url = "https://github.com/settings/personal-access-tokens"
    base_url = "https://api.github.com"
    auth_kind = AuthKind.TOKEN
    credential_fields = (
        CredentialField(
            "api_token",
            "Personal access token",
            secret=True,
            help="Fine-grained token with Issues: read and write on the chosen repositories",
            placeholder="github_pat_... or ghp_...",
        ),
    )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("api_token"))

    def http_headers(self) -> dict[str, str]:
        return {"X-GitHub-Api-Version": GITHUB_API_VERSION, "Accept": "application/vnd.github+json"}

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, _limits_hook)

    def _json(self, response: httpx.Response) -> Any:
        data = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(data, dict | list):
            raise UnexpectedResponse("the answer is not JSON data", connector=self.name)
        return data

    def _list(self, url: str, params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return list(
            iter_link_header(
                self.http,
                url,
                params={**params, "per_page": min(_PAGE_SIZE, limit)},
                items=lambda d: d,
                parse=self._json,
                max_items=limit,
            )
        )

    def check_credentials(self) -> str:
        me = self._json(self.http.get("user"))
        return f"authenticated as {me['login']}" + (f" ({me['name']})" if me.get("name") else "")

    @action(
        "create_issue",
        input=CreateIssueInput,
        description="Open an issue with labels and assignees",
        output_keys=("number", "id", "title", "state", "url", "labels", "assignees"),
    )
    def create_issue(self, inp: CreateIssueInput) -> dict[str, Any]:
        body = inp.model_dump(exclude={"repository"}, exclude_none=True)
        data = self._json(self.http.post(f"repos/{inp.repository}/issues", json=body))
        return _issue(data)

    @action(
        "update_issue",
        input=UpdateIssueInput,
        description="Change an issue's title, text, state, labels or assignees",
        output_keys=("number", "id", "title", "state", "url", "labels", "assignees"),
    )
    def update_issue(self, inp: UpdateIssueInput) -> dict[str, Any]:
        body = inp.model_dump(exclude={"repository", "number"}, exclude_none=True)
        url = f"repos/{inp.repository}/issues/{inp.number}"
        return _issue(self._json(self.http.patch(url, json=body)))

    @action(
        "comment_on_issue",
        input=CommentInput,
        description="Add a comment to an issue or pull request",
        output_keys=("id", "url", "created_at"),
    )
    def comment_on_issue(self, inp: CommentInput) -> dict[str, Any]:
        url = f"repos/{inp.repository}/issues/{inp.number}/comments"
        data = self._json(self.http.post(url, json={"body": inp.body}))
        return {"id": data["id"], "url": data["html_url"], "created_at": data.get("created_at")}

    @action(
        "list_issues",
        input=ListIssuesInput,
        description="List a repository's issues, newest first, by state, labels or date",
        output_keys=("issues", "count"),
        paginated=True,
    )
    def list_issues(self, inp: ListIssuesInput) -> dict[str, Any]:
        params: dict[str, Any] = {"state": inp.state, "sort": "created", "direction": "desc"}
        if inp.labels:
            params["labels"] = ",".join(inp.labels)
        if inp.since:
            params["since"] = inp.since
        # Pull requests are dropped after paging, so then pages are full-sized and read
        # until ``limit`` issues remain.
        page = min(_PAGE_SIZE, inp.limit) if inp.include_pull_requests else _PAGE_SIZE
        raw = iter_link_header(
            self.http,
            f"repos/{inp.repository}/issues",
            params={**params, "per_page": page},
            items=lambda d: d,
            parse=self._json,
        )
        issues: list[dict[str, Any]] = []
        for item in raw:
            if inp.include_pull_requests or "pull_request" not in item:
                issues.append(_issue(item))
                if len(issues) >= inp.limit:
                    break
        return {"issues": issues, "count": len(issues)}

    @action(
        "list_repos",
        input=ListReposInput,
        description="List the repositories the token can reach",
        output_keys=("repos", "count"),
        paginated=True,
    )
    def list_repos(self, inp: ListReposInput) -> dict[str, Any]:
        params = {"visibility": inp.visibility, "affiliation": inp.affiliation, "sort": inp.sort}
        repos = [_repo(r) for r in self._list("user/repos", params, inp.limit)]
        return {"repos": repos, "count": len(repos)}
