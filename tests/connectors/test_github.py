"""GitHub: the table run by the shared harness, with GitHub's own examples as bodies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import InvalidInput, PermissionDenied, RateLimited
from connectors.github import GITHUB_API_VERSION, GitHubConnector
from tests.connectors.harness import POLICY, Case, ConnectorTable, Reply, table_tests

FIXTURES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "github.json").read_text(encoding="utf-8")
)
TOKEN = "github_pat_11AAAAAAA0abcdefghijklmnopqrstuvwxyz0123456789"
ISSUES = "/repos/octocat/Hello-World/issues"


def _json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def _issue(number: int, *, pull_request: bool = False, **changes: Any) -> dict[str, Any]:
    issue: dict[str, Any] = copy.deepcopy(FIXTURES["issue"])
    issue.update(number=number, id=1_000_000 + number, **changes)
    if not pull_request:
        issue.pop("pull_request", None)
    return issue


def _headers(request: httpx.Request) -> None:
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["X-GitHub-Api-Version"] == GITHUB_API_VERSION
    assert request.headers["Accept"] == "application/vnd.github+json"


def _next(url: str) -> dict[str, str]:
    return {"Link": f'<{url}>; rel="next", <https://api.github.com/x?page=9>; rel="last"'}


PAGE_2 = f"https://api.github.com{ISSUES}?state=open&per_page=100&page=2"

TABLE = ConnectorTable(
    connector=GitHubConnector,
    credentials={"api_token": TOKEN},
    vendor="github",
    cases=[
        Case(
            "check",
            replies=[
                Reply(
                    json=FIXTURES[
                        "private-user-response-with-public-and-private-profile-information"
                    ],
                    method="GET",
                    path="/user",
                    check=_headers,
                )
            ],
            expect={"detail": "authenticated as octocat (monalisa octocat)"},
        ),
        Case(
            "create_issue",
            {
                "repository": "octocat/Hello-World",
                "title": "Found a bug",
                "body": "x",
                "labels": ["bug"],
                "assignees": ["octocat"],
            },
            replies=[
                Reply(
                    201,
                    json=FIXTURES["issue"],
                    method="POST",
                    path=ISSUES,
                    check=lambda r: (
                        _json(r)
                        == {
                            "title": "Found a bug",
                            "body": "x",
                            "labels": ["bug"],
                            "assignees": ["octocat"],
                        }
                    ),
                )
            ],
            expect={
                "number": 1347,
                "url": "https://github.com/octocat/Hello-World/issues/1347",
                "labels": ["bug"],
                "assignees": ["octocat"],
            },
        ),
        Case(
            "update_issue",
            {
                "repository": "octocat/Hello-World",
                "number": 1347,
                "state": "closed",
                "state_reason": "completed",
            },
            replies=[
                Reply(
                    json=_issue(1347, state="closed"),
                    method="PATCH",
                    path=f"{ISSUES}/1347",
                    check=lambda r: _json(r) == {"state": "closed", "state_reason": "completed"},
                )
            ],
            expect={"number": 1347, "state": "closed"},
        ),
        Case(
            "comment_on_issue",
            {"repository": "octocat/Hello-World", "number": 1347, "body": "Me too"},
            replies=[
                Reply(
                    201,
                    json=FIXTURES["issue-comment"],
                    method="POST",
                    path=f"{ISSUES}/1347/comments",
                    check=lambda r: _json(r) == {"body": "Me too"},
                )
            ],
            expect={
                "id": 1,
                "url": "https://github.com/octocat/Hello-World/issues/1347#issuecomment-1",
            },
        ),
        Case(
            "list_issues",
            {"repository": "octocat/Hello-World", "labels": ["bug", "p1"], "limit": 3},
            replies=[
                Reply(
                    json=[_issue(10), _issue(9, pull_request=True), _issue(8)],
                    headers=_next(PAGE_2),
                    method="GET",
                    path=ISSUES,
                    check=lambda r: (
                        dict(r.url.params)
                        == {
                            "state": "open",
                            "sort": "created",
                            "direction": "desc",
                            "labels": "bug,p1",
                            "per_page": "100",
                        }
                    ),
                ),
                Reply(
                    json=[_issue(7), _issue(6)],
                    path=ISSUES,
                    check=lambda r: r.url.params["page"] == "2",
                ),
            ],
            expect={"count": 3, "issues": lambda xs: [x["number"] for x in xs] == [10, 8, 7]},
        ),
        Case(
            "list_repos",
            {"limit": 1},
            replies=[
                Reply(
                    json=FIXTURES["repository-items-default-response"],
                    headers=_next("https://api.github.com/user/repos?page=2"),
                    method="GET",
                    path="/user/repos",
                    check=lambda r: r.url.params["per_page"] == "1",
                )
            ],
            expect={"count": 1, "repos": lambda rs: rs[0]["full_name"] == "octocat/Hello-World"},
        ),
        Case(
            "create_issue",
            {"repository": "octocat/Hello-World", "title": "x", "labels": ["nope"]},
            replies=[
                Reply(
                    422,
                    json={
                        "message": "Validation Failed",
                        "errors": [{"resource": "Label", "code": "invalid", "field": "labels"}],
                        "documentation_url": "https://docs.github.com/rest",
                    },
                )
            ],
            raises=InvalidInput,
            id="create_issue-validation-failed",
        ),
    ],
)

test_github_cases, test_github_vendor_spec, test_github_covers_every_action = table_tests(TABLE)


def _github(replies: list[httpx.Response], sleeps: list[float]) -> GitHubConnector:
    return GitHubConnector(
        ConnectorContext(
            credentials={"api_token": TOKEN},
            transport=httpx.MockTransport(lambda _r: replies.pop(0)),
            sleep=sleeps.append,
            retry=POLICY,
        )
    )


def test_exhausted_primary_limit_on_403_is_rate_limited_not_permission() -> None:
    reply = httpx.Response(
        403,
        json={"message": "API rate limit exceeded for user ID 1."},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "4102444800"},
    )
    with _github([reply], []) as gh, pytest.raises(RateLimited) as info:
        gh.run("list_repos", {})
    assert info.value.retry_after is not None and info.value.retry_after > 0


def test_secondary_limit_403_with_retry_after() -> None:
    reply = httpx.Response(
        403,
        json={"message": "You have exceeded a secondary rate limit."},
        headers={"retry-after": "60"},
    )
    with _github([reply], []) as gh, pytest.raises(RateLimited) as info:
        gh.run("comment_on_issue", {"repository": "o/r", "number": 1, "body": "x"})
    assert info.value.retry_after == 60


def test_plain_403_stays_a_permission_error() -> None:
    reply = httpx.Response(
        403,
        json={"message": "Resource not accessible by personal access token"},
        headers={"x-ratelimit-remaining": "4999"},
    )
    with _github([reply], []) as gh, pytest.raises(PermissionDenied):
        gh.run("list_repos", {})


def test_429_waits_until_the_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.github as module
    from connectors.rate_limits import epoch_reset_retry_after

    monkeypatch.setattr(module, "_limits_hook", epoch_reset_retry_after(clock=lambda: 1000.0))
    replies = [
        httpx.Response(
            429,
            json={"message": "limit"},
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1004.2"},
        ),
        httpx.Response(200, json=[]),
    ]
    sleeps: list[float] = []
    with _github(replies, sleeps) as gh:
        assert gh.run("list_repos", {})["count"] == 0
    assert sleeps == [5.0]


def test_detail_without_a_name() -> None:
    me = {**FIXTURES["private-user-response-with-public-and-private-profile-information"]}
    me["name"] = None
    with _github([httpx.Response(200, json=me)], []) as gh:
        assert gh.check().detail == "authenticated as octocat"
