"""Jira Cloud: the table run by the shared harness, checked against swagger-v3.v3.json."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import ConfigurationError, InvalidInput
from connectors.jira import JiraConnector, adf, adf_text
from tests.connectors.harness import (
    Case,
    ConnectorTable,
    Reply,
    contains,
    form_or_json,
    run_case,
    table_tests,
)

TOKEN = "ATATT3xFfGF0T4nQ2bSfTq8uYt1Z9cV0dE5rWm3kLp6oHj2gB7a=C0FFEE12"
CREDENTIALS = {
    "site_url": "https://acme.atlassian.net",
    "email": "ops@acme.test",
    "api_token": TOKEN,
}
API = "/rest/api/3"


def _sent(expected: dict[str, Any] | None = None) -> Any:
    def check(request: httpx.Request) -> None:
        assert request.url.host == "acme.atlassian.net"
        scheme, _, value = request.headers["authorization"].partition(" ")
        assert scheme == "Basic" and base64.b64decode(value).decode() == f"ops@acme.test:{TOKEN}"
        if expected is not None:
            assert form_or_json(request) == expected

    return check


# Bodies from the examples in swagger-v3.v3.json (trimmed).
MYSELF = {
    "accountId": "5b10a2844c20165700ede21g",
    "accountType": "atlassian",
    "active": True,
    "displayName": "Mia Krystof",
    "emailAddress": "mia@example.com",
    "self": "https://your-domain.atlassian.net/rest/api/3/user?accountId=5b10a2844c20165700ede21g",
    "timeZone": "Australia/Sydney",
}
CREATED = {
    "id": "10000",
    "key": "ED-24",
    "self": "https://your-domain.atlassian.net/rest/api/3/issue/10000",
    "transition": {"status": 200, "errorCollection": {"errorMessages": [], "errors": {}}},
}
COMMENT = {
    "author": {"accountId": "5b10a2844c20165700ede21g", "active": False, "displayName": "Mia"},
    "body": adf("Deployed to staging"),
    "created": "2021-01-17T12:34:00.000+0000",
    "id": "10000",
    "self": "https://your-domain.atlassian.net/rest/api/3/issue/10010/comment/10000",
    "updated": "2021-01-18T23:45:00.000+0000",
}
TRANSITIONS = {
    "transitions": [
        {
            "id": "2",
            "name": "Close Issue",
            "hasScreen": False,
            "isAvailable": True,
            "to": {"id": "10001", "name": "Done", "description": "Finished."},
        },
        {
            "id": "11",
            "name": "Start Progress",
            "hasScreen": False,
            "isAvailable": True,
            "to": {"id": "10000", "name": "In Progress", "description": "Being worked on."},
        },
    ]
}


def _issue(number: int) -> dict[str, Any]:
    return {
        "expand": "",
        "id": str(10000 + number),
        "key": f"ED-{number}",
        "self": f"https://your-domain.atlassian.net/rest/api/3/issue/{10000 + number}",
        "fields": {
            "summary": f"issue {number}",
            "status": {"name": "In Progress", "id": "10000"},
            "assignee": {"displayName": "Mia Krystof", "accountId": "5b10a2844c20165700ede21g"},
            "priority": {"name": "High", "id": "2"},
            "issuetype": {"name": "Bug", "id": "1"},
            "updated": "2026-11-27T10:00:00.000+0000",
        },
    }


def _search(*numbers: int, token: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {"isLast": token is None, "issues": [_issue(n) for n in numbers]}
    if token:
        page["nextPageToken"] = token
    return page


TABLE = ConnectorTable(
    connector=JiraConnector,
    credentials=CREDENTIALS,
    vendor="jira",
    cases=[
        Case(
            "check",
            replies=[Reply(json=MYSELF, method="GET", path=f"{API}/myself", check=_sent())],
            expect={"ok": True, "detail": contains("as Mia Krystof")},
        ),
        Case(
            "create_issue",
            {
                "project_key": "ED",
                "summary": "Printer on fire",
                "issue_type": "Bug",
                "description": "It smokes.\nA lot.\n\nPlease help.",
                "labels": ["hardware"],
                "priority": "High",
            },
            replies=[
                Reply(
                    201,
                    json=CREATED,
                    method="POST",
                    path=f"{API}/issue",
                    check=_sent(
                        {
                            "fields": {
                                "project": {"key": "ED"},
                                "summary": "Printer on fire",
                                "issuetype": {"name": "Bug"},
                                "description": adf("It smokes.\nA lot.\n\nPlease help."),
                                "labels": ["hardware"],
                                "priority": {"name": "High"},
                            }
                        }
                    ),
                )
            ],
            expect={"key": "ED-24", "url": "https://acme.atlassian.net/browse/ED-24"},
        ),
        Case(
            "update_issue",
            {"issue_key": "ED-24", "summary": "Printer still on fire", "labels": []},
            replies=[
                Reply(
                    204,
                    method="PUT",
                    path=f"{API}/issue/ED-24",
                    check=_sent({"fields": {"summary": "Printer still on fire", "labels": []}}),
                )
            ],
            expect={"key": "ED-24", "updated": ["labels", "summary"]},
        ),
        Case(
            "add_comment",
            {"issue_key": "ED-24", "body": "Deployed to staging"},
            replies=[
                Reply(
                    201,
                    json=COMMENT,
                    method="POST",
                    path=f"{API}/issue/ED-24/comment",
                    check=_sent({"body": adf("Deployed to staging")}),
                )
            ],
            expect={"id": "10000", "author": "Mia"},
        ),
        Case(
            "search_issues",
            {"jql": "project = ED AND status = 'In Progress'", "limit": 3},
            replies=[
                Reply(
                    json=_search(1, 2, token="CAEaAggD"),
                    method="GET",
                    path=f"{API}/search/jql",
                    check=lambda r: (
                        r.url.params["jql"] == "project = ED AND status = 'In Progress'"
                        and r.url.params["maxResults"] == "3"
                        and "nextPageToken" not in r.url.params
                    ),
                ),
                Reply(
                    json=_search(3, 4, token=None),
                    check=lambda r: r.url.params["nextPageToken"] == "CAEaAggD",
                ),
            ],
            expect={
                "count": 3,
                "issues": lambda issues: (
                    [i["key"] for i in issues] == ["ED-1", "ED-2", "ED-3"]
                    and issues[0]["status"] == "In Progress"
                ),
            },
        ),
        Case(
            "get_issue",
            {"issue_key": "ED-1"},
            replies=[
                Reply(
                    json={
                        **_issue(1),
                        "fields": {
                            **_issue(1)["fields"],
                            "description": adf("It smokes.\nA lot.\n\nPlease help."),
                        },
                    },
                    method="GET",
                    path=f"{API}/issue/ED-1",
                    check=lambda r: "description" in r.url.params["fields"].split(","),
                )
            ],
            expect={
                "key": "ED-1",
                "status": "In Progress",
                "description": "It smokes.\nA lot.\n\nPlease help.",
                "url": "https://acme.atlassian.net/browse/ED-1",
            },
        ),
        Case(
            "transition_issue",
            {"issue_key": "ED-24", "to": "done"},
            replies=[
                Reply(json=TRANSITIONS, method="GET", path=f"{API}/issue/ED-24/transitions"),
                Reply(
                    204,
                    method="POST",
                    path=f"{API}/issue/ED-24/transitions",
                    check=_sent({"transition": {"id": "2"}}),
                ),
            ],
            expect={"transition_id": "2", "status": "Done"},
        ),
        Case(
            "create_issue",
            {"project_key": "ED", "summary": "x", "issue_type": "Epic"},
            replies=[
                Reply(
                    400,
                    json={
                        "errorMessages": [],
                        "errors": {"issuetype": "Specify a valid issue type"},
                    },
                )
            ],
            raises=InvalidInput,
            id="create_issue-400-field-errors",
        ),
        Case(
            "transition_issue",
            {"issue_key": "ED-24", "to": "Archive"},
            replies=[Reply(json=TRANSITIONS)],
            raises=InvalidInput,
            id="transition_issue-unknown",
        ),
    ],
)

test_jira_cases, test_jira_vendor_spec, test_jira_covers_every_action = table_tests(TABLE)


def test_adf_paragraphs_and_breaks() -> None:
    doc = adf("one\ntwo\n\nthree\n")
    assert doc["type"] == "doc" and doc["version"] == 1
    first, second = doc["content"]
    assert first["content"] == [
        {"type": "text", "text": "one"},
        {"type": "hardBreak"},
        {"type": "text", "text": "two"},
    ]
    assert second["content"] == [{"type": "text", "text": "three"}]


def test_adf_text_reads_lists_and_breaks() -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Steps:"}]},
            {
                "type": "bulletList",
                "content": [
                    {"type": "listItem", "content": [adf("one")["content"][0]]},
                    {"type": "listItem", "content": [adf("two\nthree")["content"][0]]},
                ],
            },
        ],
    }
    assert adf_text(doc) == "Steps:\n\none\n\ntwo\nthree"
    assert adf_text(adf("a\n\nb")) == "a\n\nb"


@pytest.mark.parametrize(
    ("credentials", "field"),
    [
        ({**CREDENTIALS, "site_url": "acme.atlassian.net"}, "site_url"),
        ({**CREDENTIALS, "site_url": "http://acme.atlassian.net"}, "site_url"),
        ({**CREDENTIALS, "email": "ops"}, "email"),
    ],
)
def test_credentials_are_checked_by_field(credentials: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigurationError, match=f"\\({field}\\)"):
        JiraConnector(ConnectorContext(credentials=credentials))


def test_unknown_transition_lists_the_available_ones() -> None:
    case = next(c for c in TABLE.cases if c.id == "transition_issue-unknown")
    message = str(run_case(TABLE, case).outcome)
    assert "available: Close Issue, Start Progress" in message


def test_field_errors_reach_the_message() -> None:
    case = next(c for c in TABLE.cases if c.id == "create_issue-400-field-errors")
    message = str(run_case(TABLE, case).outcome)
    assert "rejected as invalid: issuetype: Specify a valid issue type" in message
