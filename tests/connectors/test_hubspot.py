"""HubSpot: the table run by the shared harness.

HubSpot's OpenAPI files are not licensed for use outside HubSpot, so there is no spec
file for it in ../shared/api-specs. Instead of the spec checker, every request the
success cases make is checked against the endpoints documented in SOURCES.md (from
HubSpot's public CRM v3 developer documentation): method and path, Bearer auth, and
the body fields HubSpot documents as needed. Canned bodies follow the response
examples in that documentation.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import ConfigurationError, InvalidInput, RateLimited
from connectors.hubspot import DEAL_TO_CONTACT, HubSpotConnector
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

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"

# (method, path pattern, body fields HubSpot requires) per SOURCES.md / developers.hubspot.com.
DOCUMENTED: list[tuple[str, str, tuple[str, ...]]] = [
    ("GET", r"/account-info/v3/details", ()),
    ("POST", r"/crm/v3/objects/contacts", ("properties",)),
    ("GET", r"/crm/v3/objects/contacts", ()),
    ("POST", r"/crm/v3/objects/contacts/search", ()),
    ("PATCH", r"/crm/v3/objects/contacts/[^/]+", ("properties",)),
    ("GET", r"/crm/v3/objects/contacts/[^/]+", ()),
    ("POST", r"/crm/v3/objects/(deals|0-3)", ("properties",)),
    ("GET", r"/crm/v3/owners", ()),
]


def documented_problems(request: httpx.Request) -> list[str]:
    if request.url.host != "api.hubapi.com":
        return [f"host {request.url.host} is not api.hubapi.com"]
    if not request.headers.get("authorization", "").startswith("Bearer pat-"):
        return ["auth: expected Authorization: Bearer <private app token>"]
    for method, pattern, needed in DOCUMENTED:
        if request.method == method and re.fullmatch(pattern, request.url.path):
            body = form_or_json(request) if request.content else {}
            return [f"body field {f!r} is missing" for f in needed if f not in body]
    return [f"{request.method} {request.url.path} is not a documented HubSpot endpoint"]


def _sent(expected: dict[str, Any]) -> Any:
    return lambda r: form_or_json(r) == expected


def _contact(record_id: str, email: str, **props: str) -> dict[str, Any]:
    return {
        "id": record_id,
        "properties": {
            "createdate": "2026-11-28T10:00:00.000Z",
            "email": email,
            "hs_object_id": record_id,
            "lastmodifieddate": "2026-11-28T10:00:00.000Z",
            **props,
        },
        "createdAt": "2026-11-28T10:00:00.000Z",
        "updatedAt": "2026-11-28T10:00:00.000Z",
        "archived": False,
    }


def _page(*ids: str, after: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "total": 4,
        "results": [_contact(i, f"{i}@example.com") for i in ids],
    }
    if after:
        page["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
    return page


ACCOUNT = {
    "portalId": 62515,
    "accountType": "STANDARD",
    "timeZone": "US/Eastern",
    "companyCurrency": "USD",
    "additionalCurrencies": [],
    "utcOffset": "-05:00",
    "utcOffsetMilliseconds": -18000000,
    "uiDomain": "app.hubspot.com",
    "dataHostingLocation": "na1",
}
SEARCH = {
    "properties": ["email", "firstname", "lastname", "phone", "company", "lifecyclestage"],
    "limit": 3,
    "filterGroups": [
        {
            "filters": [
                {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@acme.test"},
                {"propertyName": "phone", "operator": "HAS_PROPERTY"},
            ]
        }
    ],
}

TABLE = ConnectorTable(
    connector=HubSpotConnector,
    credentials={"access_token": TOKEN},
    vendor=None,  # no licensed spec file; see documented_problems above
    cases=[
        Case(
            "check",
            replies=[Reply(json=ACCOUNT, method="GET", path="/account-info/v3/details")],
            expect={"ok": True, "detail": contains("account 62515 (STANDARD)")},
        ),
        Case(
            "create_contact",
            {"email": "bcooper@biglytics.net", "firstname": "Bryan", "properties": {"x": "1"}},
            replies=[
                Reply(
                    201,
                    json=_contact("512", "bcooper@biglytics.net", firstname="Bryan"),
                    method="POST",
                    path="/crm/v3/objects/contacts",
                    check=_sent(
                        {
                            "properties": {
                                "x": "1",
                                "email": "bcooper@biglytics.net",
                                "firstname": "Bryan",
                            }
                        }
                    ),
                )
            ],
            expect={"id": "512", "properties": lambda p: p["firstname"] == "Bryan"},
        ),
        Case(
            "update_contact",
            {"contact_id": "512", "properties": {"lifecyclestage": "customer"}},
            replies=[
                Reply(
                    json=_contact("512", "b@x.test", lifecyclestage="customer"),
                    method="PATCH",
                    path="/crm/v3/objects/contacts/512",
                    check=_sent({"properties": {"lifecyclestage": "customer"}}),
                )
            ],
            expect={"properties": lambda p: p["lifecyclestage"] == "customer"},
        ),
        Case(
            "get_contact",
            {"contact_id": "512", "properties": ["email", "lifecyclestage"]},
            replies=[
                Reply(
                    json=_contact("512", "b@x.test", lifecyclestage="lead"),
                    method="GET",
                    path="/crm/v3/objects/contacts/512",
                    check=lambda r: r.url.params["properties"] == "email,lifecyclestage",
                )
            ],
            expect={"id": "512", "properties": lambda p: p["lifecyclestage"] == "lead"},
        ),
        Case(
            "search_contacts",
            {
                "filters": [
                    {"property": "email", "operator": "CONTAINS_TOKEN", "value": "*@acme.test"},
                    {"property": "phone", "operator": "HAS_PROPERTY"},
                ],
                "limit": 3,
            },
            replies=[
                Reply(
                    json=_page("1", "2", after="NTI1Cg%3D%3D"),
                    method="POST",
                    path="/crm/v3/objects/contacts/search",
                    check=_sent(SEARCH),
                ),
                Reply(
                    json=_page("3", "4", after=None),
                    check=_sent({**SEARCH, "after": "NTI1Cg%3D%3D"}),
                ),
            ],
            expect={"count": 3, "contacts": lambda cs: [c["id"] for c in cs] == ["1", "2", "3"]},
        ),
        Case(
            "create_deal",
            {"dealname": "Acme renewal", "amount": "1500.50", "contact_ids": ["512"]},
            replies=[
                Reply(
                    201,
                    json={
                        "id": "9001",
                        "properties": {"dealname": "Acme renewal", "amount": "1500.50"},
                        "createdAt": "2026-11-28T10:00:00.000Z",
                        "updatedAt": "2026-11-28T10:00:00.000Z",
                        "archived": False,
                    },
                    method="POST",
                    path="/crm/v3/objects/deals",
                    check=_sent(
                        {
                            "properties": {
                                "dealname": "Acme renewal",
                                "pipeline": "default",
                                "amount": "1500.50",
                            },
                            "associations": [
                                {
                                    "to": {"id": "512"},
                                    "types": [
                                        {
                                            "associationCategory": "HUBSPOT_DEFINED",
                                            "associationTypeId": DEAL_TO_CONTACT,
                                        }
                                    ],
                                }
                            ],
                        }
                    ),
                )
            ],
            expect={"id": "9001"},
        ),
        Case(
            "create_contact",
            {"email": "taken@example.com"},
            replies=[
                Reply(
                    409,
                    json={
                        "status": "error",
                        "message": "Contact already exists. Existing ID: 512",
                        "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf",
                        "category": "CONFLICT",
                    },
                )
            ],
            raises=InvalidInput,
            id="create_contact-409-exists",
        ),
    ],
)

test_hubspot_cases, _no_spec_file, test_hubspot_covers_every_action = table_tests(TABLE)

SUCCESS = [c for c in TABLE.cases if c.raises is None]


@pytest.mark.parametrize("case", SUCCESS, ids=[c.name for c in SUCCESS])
def test_hubspot_requests_match_the_documented_endpoints(case: Case) -> None:
    run = run_case(TABLE, case)
    assert run.exchanges
    for request, _ in run.exchanges:
        assert documented_problems(request) == [], f"{request.method} {request.url}"


def test_the_documented_check_rejects_strays() -> None:
    stray = httpx.Request("GET", "https://api.hubapi.com/contacts/v1/lists")
    stray.headers["Authorization"] = f"Bearer {TOKEN}"
    assert "not a documented" in documented_problems(stray)[0]
    bare = httpx.Request("POST", "https://api.hubapi.com/crm/v3/objects/contacts", json={})
    assert documented_problems(bare)[0].startswith("auth:")


def test_conflict_text_reaches_the_message() -> None:
    case = next(c for c in TABLE.cases if c.id == "create_contact-409-exists")
    assert "Existing ID: 512" in str(run_case(TABLE, case).outcome)


def _hubspot(handler: Any, sleeps: list[float]) -> HubSpotConnector:
    ctx = ConnectorContext(
        credentials={"access_token": TOKEN},
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        retry=POLICY,
    )
    return HubSpotConnector(ctx)


def _limited(policy: str) -> httpx.Response:
    return httpx.Response(
        429,
        json={
            "status": "error",
            "message": "You have reached your limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": "c033cdaa-2c40-4a64-ae48-b4cec88dad24",
            "policyName": policy,
        },
    )


def test_daily_limit_fails_at_once_without_retrying() -> None:
    calls: list[str] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return _limited("DAILY")

    with pytest.raises(RateLimited, match="daily API limit"):
        _hubspot(handler, sleeps).run(
            "update_contact", {"contact_id": "1", "properties": {"a": "b"}}
        )
    assert len(calls) == 1 and sleeps == []


def test_secondly_limit_is_retried() -> None:
    replies = [_limited("TEN_SECONDLY_ROLLING"), httpx.Response(200, json=ACCOUNT)]
    sleeps: list[float] = []
    assert _hubspot(lambda r: replies.pop(0), sleeps).check().ok
    assert len(sleeps) == 1


def test_token_must_be_a_private_app_token() -> None:
    with pytest.raises(ConfigurationError, match="pat-"):
        HubSpotConnector(ConnectorContext(credentials={"access_token": "abc-123"}))
