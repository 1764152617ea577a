"""Salesforce: the table run by the shared harness, plus the OAuth refresh flow.

Salesforce publishes no static API description; the file in ../shared/api-specs is the
org-generated sObjects OAS for v59.0, which has no /query, /limits or OAuth endpoints.
So the vendor-spec test here checks each request against that file when its path is in
it (``/sobjects/...``: method, path, parameters, Bearer auth, response schema), and
against the endpoints the REST API Developer Guide documents (listed in SOURCES.md)
otherwise: ``GET /query?q=``, ``GET /query/<locator>``, ``GET /limits`` and
``POST /services/oauth2/token``.

The table's credentials carry no refresh token: with one, every 401 the harness
derives would first trigger a refresh. The refresh flow has its own tests below.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import AuthError, ConfigurationError, InvalidInput, RateLimited
from connectors.salesforce import SalesforceConnector
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
from tests.connectors.spec_files import specs_missing_reason
from tests.connectors.specs import assert_request_matches, assert_response_matches

INSTANCE = "https://acme.my.salesforce.com"
ACCESS = "00D5g000004ABCD!AQ0AQFakeAccessTokenForTests.abcdefghijklmnopqrstuvwxyz0123"
REFRESH = "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJo7Fakerefreshtoken0123456789"
SECRET = "8E7A1C0F2B4D6E9F0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B0C1D2E3F"
CREDENTIALS = {"instance_url": INSTANCE, "access_token": ACCESS}
DATA = "/services/data/v59.0"

# Documented in the REST API Developer Guide but absent from the generated OAS file.
DOCUMENTED: list[tuple[str, str, tuple[str, ...]]] = [
    ("GET", rf"{DATA}/query", ("q",)),
    ("GET", rf"{DATA}/query/[A-Za-z0-9-]+", ()),
    ("GET", rf"{DATA}/limits", ()),
]


def _bearer(request: httpx.Request) -> None:
    assert request.headers["authorization"] == f"Bearer {ACCESS}"


def _sent(expected: dict[str, Any]) -> Any:
    def check(request: httpx.Request) -> None:
        _bearer(request)
        assert form_or_json(request) == expected

    return check


LIMITS = {
    "DailyApiRequests": {"Max": 15000, "Remaining": 14998},
    "DataStorageMB": {"Max": 5, "Remaining": 5},
}


def _account(record_id: str, name: str) -> dict[str, Any]:
    return {
        "attributes": {"type": "Account", "url": f"{DATA}/sobjects/Account/{record_id}"},
        "Id": record_id,
        "Name": name,
        "Industry": "Technology",
        "Owner": {"attributes": {"type": "User"}, "Name": "Ada Admin"},
    }


def _query_page(*ids: str, next_url: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "totalSize": 3,
        "done": next_url is None,
        "records": [_account(i, f"Account {i}") for i in ids],
    }
    if next_url:
        page["nextRecordsUrl"] = next_url
    return page


TABLE = ConnectorTable(
    connector=SalesforceConnector,
    credentials=CREDENTIALS,
    vendor=None,  # see test_salesforce_vendor_spec: the file lacks /query and /limits
    cases=[
        Case(
            "check",
            replies=[Reply(json=LIMITS, method="GET", path=f"{DATA}/limits", check=_bearer)],
            expect={"ok": True, "detail": contains("14998 of 15000")},
        ),
        Case(
            "create_record",
            {"object": "Lead", "fields": {"LastName": "Doe", "Company": "Acme"}},
            replies=[
                Reply(
                    201,
                    json={"id": "00Q5g00000A1b2cEAB", "success": True, "errors": []},
                    method="POST",
                    path=f"{DATA}/sobjects/Lead",
                    check=_sent({"LastName": "Doe", "Company": "Acme"}),
                )
            ],
            expect={"id": "00Q5g00000A1b2cEAB", "object": "Lead"},
        ),
        Case(
            "update_record",
            {"object": "Account", "record_id": "0015g00000XyZabAAB", "fields": {"Rating": "Hot"}},
            replies=[
                Reply(
                    204,
                    method="PATCH",
                    path=f"{DATA}/sobjects/Account/0015g00000XyZabAAB",
                    check=_sent({"Rating": "Hot"}),
                )
            ],
            expect={"updated": ["Rating"]},
        ),
        Case(
            "get_record",
            {"object": "Account", "record_id": "0015g00000XyZabAAB", "fields": ["Id", "Name"]},
            replies=[
                Reply(
                    json=_account("0015g00000XyZabAAB", "Acme"),
                    method="GET",
                    path=f"{DATA}/sobjects/Account/0015g00000XyZabAAB",
                    check=lambda r: r.url.params["fields"] == "Id,Name",
                )
            ],
            expect={
                "id": "0015g00000XyZabAAB",
                "record": lambda rec: (
                    rec["Name"] == "Acme"
                    and "attributes" not in rec
                    and rec["Owner"] == {"Name": "Ada Admin"}
                ),
            },
        ),
        Case(
            "query",
            {"soql": "SELECT Id, Name FROM Account", "limit": 3},
            replies=[
                Reply(
                    json=_query_page(
                        "001A", "001B", next_url=f"{DATA}/query/01gD0000002HU6KIAW-2000"
                    ),
                    method="GET",
                    path=f"{DATA}/query",
                    check=lambda r: r.url.params["q"] == "SELECT Id, Name FROM Account",
                ),
                Reply(
                    json=_query_page("001C", next_url=None),
                    path=f"{DATA}/query/01gD0000002HU6KIAW-2000",
                    check=lambda r: r.url.host == "acme.my.salesforce.com",
                ),
            ],
            expect={"count": 3, "total_size": 3, "records": lambda rs: rs[2]["Id"] == "001C"},
        ),
        Case(
            "create_record",
            {"object": "Lead", "fields": {"Company": "Acme"}},
            replies=[
                Reply(
                    400,
                    json=[
                        {
                            "message": "Required fields are missing: [LastName]",
                            "errorCode": "REQUIRED_FIELD_MISSING",
                            "fields": ["LastName"],
                        }
                    ],
                )
            ],
            raises=InvalidInput,
            id="create_record-required-field-missing",
        ),
        Case(
            "query",
            {"soql": "SELECT Id FROM Account"},
            replies=[
                Reply(
                    403,
                    json=[
                        {
                            "message": "TotalRequests Limit exceeded.",
                            "errorCode": "REQUEST_LIMIT_EXCEEDED",
                        }
                    ],
                )
            ],
            raises=RateLimited,
            id="query-request-limit-exceeded",
        ),
    ],
)

test_salesforce_cases, _no_spec_file, test_salesforce_covers_every_action = table_tests(TABLE)

SUCCESS = [c for c in TABLE.cases if c.raises is None]


def documented_problems(request: httpx.Request) -> list[str] | None:
    """Faults against the documented endpoints; None when the path is not one of them."""
    for method, pattern, needed in DOCUMENTED:
        if request.method == method and re.fullmatch(pattern, request.url.path):
            problems = [
                f"required query parameter {name!r} is missing"
                for name in needed
                if name not in request.url.params
            ]
            if not request.headers.get("authorization", "").startswith("Bearer "):
                problems.append("auth: expected Authorization: Bearer <access token>")
            return problems
    return None


# Loading the 19 MB sObjects description takes a second or two, once per session.
@pytest.mark.slow
@pytest.mark.parametrize("case", SUCCESS, ids=[c.name for c in SUCCESS])
def test_salesforce_vendor_spec(case: Case) -> None:
    reason = specs_missing_reason("salesforce")
    if reason:
        pytest.skip(reason)
    run = run_case(TABLE, case)
    assert run.exchanges
    for request, reply in run.exchanges:
        problems = documented_problems(request)
        if problems is not None:
            assert problems == [], f"{request.method} {request.url.path}: {problems}"
            continue
        assert_request_matches("salesforce", request)
        if reply.spec_response and reply.json is not None:
            assert_response_matches("salesforce", request, reply.status, reply.json)


def test_documented_check_catches_a_missing_q() -> None:
    bare = httpx.Request("GET", f"{INSTANCE}{DATA}/query", headers={"Authorization": "Bearer x"})
    assert documented_problems(bare) == ["required query parameter 'q' is missing"]
    other = httpx.Request("GET", f"{INSTANCE}{DATA}/sobjects")
    assert documented_problems(other) is None


def _salesforce(handler: Any, refreshed: list[dict[str, str]]) -> SalesforceConnector:
    ctx = ConnectorContext(
        credentials={
            **CREDENTIALS,
            "refresh_token": REFRESH,
            "client_id": "3MVG9fakeConsumerKey",
            "client_secret": SECRET,
        },
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
        retry=POLICY,
        on_token_refresh=refreshed.append,
    )
    return SalesforceConnector(ctx)


def test_expired_token_is_refreshed_at_the_instance_and_handed_to_the_core() -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.url.path == "/services/oauth2/token":
            form = form_or_json(request)
            assert form["grant_type"] == "refresh_token" and form["refresh_token"] == REFRESH
            assert form["client_id"] == "3MVG9fakeConsumerKey"
            assert request.url.host == "acme.my.salesforce.com"
            return httpx.Response(
                200,
                json={
                    "access_token": "00D5g000004ABCD!NEWTOKEN",
                    "instance_url": INSTANCE,
                    "token_type": "Bearer",
                    "issued_at": "1732790000000",
                },
            )
        if request.headers["authorization"] == f"Bearer {ACCESS}":
            return httpx.Response(
                401,
                json=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
            )
        return httpx.Response(200, json=LIMITS)

    refreshed: list[dict[str, str]] = []
    assert _salesforce(handler, refreshed).check().ok
    assert seen == [
        ("GET", f"{DATA}/limits"),
        ("POST", "/services/oauth2/token"),
        ("GET", f"{DATA}/limits"),
    ]
    assert refreshed == [{"access_token": "00D5g000004ABCD!NEWTOKEN"}]


def test_refused_refresh_asks_to_reconnect_without_leaking_secrets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/services/oauth2/token":
            return httpx.Response(
                400,
                json={"error": "invalid_grant", "error_description": f"expired {REFRESH}"},
            )
        return httpx.Response(401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "x"}])

    refreshed: list[dict[str, str]] = []
    with pytest.raises(AuthError, match="reconnect") as info:
        _salesforce(handler, refreshed).run("query", {"soql": "SELECT Id FROM Lead"})
    text = str(info.value)
    assert REFRESH not in text and SECRET not in text and ACCESS not in text
    assert refreshed == []


@pytest.mark.parametrize(
    ("credentials", "field"),
    [
        ({**CREDENTIALS, "instance_url": "https://evil.example.com"}, "instance_url"),
        ({**CREDENTIALS, "refresh_token": REFRESH}, "client_id"),
    ],
)
def test_credentials_are_checked_by_field(credentials: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        SalesforceConnector(ConnectorContext(credentials=credentials))
