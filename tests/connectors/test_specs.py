"""The vendor-spec checker itself: one conforming and one faulty request per vendor.

Vendors whose description files exceed 2 MB are marked ``slow`` (loading them takes
a second or more); the checker is the same code for all of them.
"""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.connectors.spec_files import VENDORS, specs_dir, specs_missing_reason
from tests.connectors.specs import request_problems, response_problems

BEARER = {"Authorization": "Bearer t0ken"}
BASIC = {"Authorization": "Basic " + base64.b64encode(b"user:pass").decode()}
GQL = {"Authorization": "key"}


def _r(method: str, url: str, headers: dict[str, str] | None = None, **kw: object) -> httpx.Request:
    return httpx.Request(method, url, headers=headers, **kw)  # type: ignore[arg-type]


# vendor, a conforming request, a faulty request, a fragment of the expected problem
CASES = [
    (
        "asana",
        _r("GET", "https://app.asana.com/api/1.0/users/me", BEARER),
        _r("GET", "https://app.asana.com/api/1.0/users/me"),
        "auth",
    ),
    (
        "clickup",
        _r("GET", "https://api.clickup.com/api/v2/user", {"Authorization": "pk_1"}),
        _r("GET", "https://api.clickup.com/api/v2/usr", {"Authorization": "pk_1"}),
        "is not in",
    ),
    (
        "discord",
        _r("GET", "https://discord.com/api/v10/users/@me", {"Authorization": "Bot x"}),
        _r("GET", "https://discord.com/api/v10/users/@me"),
        "auth",
    ),
    (
        "github",
        _r("POST", "https://api.github.com/repos/o/r/issues", BEARER, json={"title": "x"}),
        _r("POST", "https://api.github.com/repos/o/r/issues", BEARER, json={"body": "x"}),
        "'title'",
    ),
    (
        "google-sheets",
        _r(
            "POST",
            "https://sheets.googleapis.com/v4/spreadsheets/abc/values/A1:append"
            "?valueInputOption=RAW",
            BEARER,
            json={"values": [[1]]},
        ),
        _r(
            "POST",
            "https://sheets.googleapis.com/v4/spreadsheets/abc/values/A1:append"
            "?valueInputOption=RAW",
            json={"values": [[1]]},
        ),
        "auth",
    ),
    (
        "intercom",
        _r("GET", "https://api.intercom.io/me", BEARER),
        _r("GET", "https://api.intercom.io/me", BASIC),
        "auth",
    ),
    (
        "jira",
        _r("GET", "https://x.atlassian.net/rest/api/3/myself", BASIC),
        _r("DELETE", "https://x.atlassian.net/rest/api/3/myself", BASIC),
        "is not in",
    ),
    (
        "linear",
        _r(
            "POST",
            "https://api.linear.app/graphql",
            GQL,
            json={"query": "query { viewer { id name } }"},
        ),
        _r(
            "POST",
            "https://api.linear.app/graphql",
            GQL,
            json={"query": "query { viewer { nosuchfield } }"},
        ),
        "nosuchfield",
    ),
    (
        "monday",
        _r("POST", "https://api.monday.com/v2", GQL, json={"query": "query { me { id } }"}),
        _r(
            "POST",
            "https://api.monday.com/v2",
            GQL,
            json={
                "query": 'mutation($b: ID!) { create_item(board_id: $b, item_name: "x") { id } }'
            },
        ),
        "$b",
    ),
    (
        "notion",
        _r("POST", "https://api.notion.com/v1/search", BEARER, json={}),
        _r("POST", "https://api.notion.com/v1/pages", BEARER, json={"properties": {}}),
        "'parent'",
    ),
    (
        "salesforce",
        _r("GET", "https://x.my.salesforce.com/services/data/v59.0/sobjects", BEARER),
        _r("GET", "https://x.my.salesforce.com/services/data/v59.0/nosuch", BEARER),
        "is not in",
    ),
    (
        "slack",
        _r("GET", "https://slack.com/api/users.lookupByEmail?email=a%40b.c", BEARER),
        _r("GET", "https://slack.com/api/users.lookupByEmail?email=a%40b.c&token=xoxb-1"),
        "must not be sent in the URL",
    ),
    (
        "stripe",
        _r(
            "POST",
            "https://api.stripe.com/v1/customers",
            BEARER,
            data={"email": "a@b.c", "metadata[k]": "v"},
        ),
        _r("GET", "https://api.stripe.com/v1/balance"),
        "auth",
    ),
    (
        "telegram",
        _r(
            "POST",
            "https://api.telegram.org/bot1:abc/sendMessage",
            json={"chat_id": 1, "text": "x"},
        ),
        _r("POST", "https://api.telegram.org/bot1:abc/sendMessage", json={"text": "x"}),
        "chat_id",
    ),
    (
        "trello",
        _r("GET", "https://api.trello.com/1/members/me?key=k&token=t"),
        _r("GET", "https://api.trello.com/1/members/me?key=k"),
        "auth",
    ),
    (
        "twilio",
        _r(
            "POST",
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
            BASIC,
            data={"To": "+1", "From": "+2", "Body": "hi"},
        ),
        _r(
            "POST",
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
            BASIC,
            data={"From": "+2", "Body": "hi"},
        ),
        "'To'",
    ),
    (
        "zendesk",
        _r("GET", "https://acme.zendesk.com/api/v2/users/me", BASIC),
        _r("GET", "https://acme.zendesk.com/api/v2/users/me", BEARER),
        "auth",
    ),
]


def _size(vendor: str) -> int:
    spec = VENDORS[vendor]
    files = [specs_dir() / spec.folder / name for name in spec.files]
    return sum(f.stat().st_size for f in files if f.is_file())


def _params() -> list[object]:
    return [
        pytest.param(
            *case, id=case[0], marks=[pytest.mark.slow] if _size(case[0]) > 2_000_000 else []
        )
        for case in CASES
    ]


@pytest.fixture(autouse=True)
def _need_specs() -> None:
    reason = specs_missing_reason()
    if reason:
        pytest.skip(reason)


def test_every_vendor_has_a_case() -> None:
    assert {c[0] for c in CASES} == set(VENDORS)


@pytest.mark.parametrize(("vendor", "good", "bad", "fault"), _params())
def test_checker(vendor: str, good: httpx.Request, bad: httpx.Request, fault: str) -> None:
    assert request_problems(vendor, good) == []
    problems = request_problems(vendor, bad)
    assert any(fault in p for p in problems), problems


def test_response_schema_check() -> None:
    request = _r("GET", "https://slack.com/api/auth.test", BEARER)
    body = {"ok": True, "url": "u", "team": "T", "user": "u", "team_id": "T1", "user_id": "U1"}
    assert response_problems("slack", request, 200, body) == []
    problems = response_problems("slack", request, 200, {**body, "team": 3, "user_id": None})
    assert "$.team: expected string, got int" in problems
    assert "$.user_id: expected string, got NoneType" in problems
    missing = response_problems("slack", request, 200, {"ok": True})
    assert "$.url: required but missing" in missing


def test_missing_folder_skips_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEVQOR_API_SPECS", "/nonexistent/specs")
    reason = specs_missing_reason("slack")
    assert reason is not None and "LEVQOR_API_SPECS" in reason
