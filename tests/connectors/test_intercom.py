"""Intercom: the table run by the shared harness, checked against api.intercom.io 2.16."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import ConfigurationError, InvalidInput, NotFound, RateLimited
from connectors.intercom import API_VERSION, IntercomConnector
from tests.connectors.harness import (
    POLICY,
    Case,
    ConnectorTable,
    Reply,
    contains,
    form_or_json,
    table_tests,
)

TOKEN = "dG9rOmM4YmU3NjRlXzY2MmVfNDc2N184ZmI2XzE3YTJlNjg0YjA2NjoxOjA="


def _sent(expected: dict[str, Any]) -> Any:
    def check(request: httpx.Request) -> None:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["intercom-version"] == API_VERSION
        assert form_or_json(request) == expected

    return check


# Bodies trimmed from the examples in api.intercom.io.2.16.yaml.
ME = {
    "type": "admin",
    "id": "991267459",
    "email": "admin1@email.com",
    "name": "Ciaran1 Lee",
    "email_verified": True,
    "app": {
        "type": "app",
        "id_code": "this_is_an_id1_that_should_be_at_least_40",
        "name": "MyApp 1",
        "created_at": 1734537243,
        "secure": False,
        "identity_verification": False,
        "timezone": "America/Los_Angeles",
        "region": "US",
    },
    "avatar": {"type": "avatar", "image_url": "https://static.intercomassets.com/128.png"},
    "has_inbox_seat": True,
}


def _contact(contact_id: str, email: str, name: str | None = None) -> dict[str, Any]:
    return {
        "type": "contact",
        "id": contact_id,
        "workspace_id": "this_is_an_id303_that_should_be_at_least_",
        "external_id": None,
        "role": "user",
        "email": email,
        "phone": None,
        "name": name,
        "avatar": None,
        "owner_id": None,
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": False,
        "created_at": 1734537437,
        "updated_at": 1734537437,
        "signed_up_at": None,
        "custom_attributes": {},
    }


def _contacts(*ids: str, after: str | None) -> dict[str, Any]:
    pages: dict[str, Any] = {"type": "pages", "page": 1, "per_page": 2, "total_pages": 2}
    if after:
        pages["next"] = {"per_page": 2, "starting_after": after}
    return {
        "type": "list",
        "data": [_contact(i, f"{i}@example.com") for i in ids],
        "total_count": 4,
        "pages": pages,
    }


CONVERSATION = {
    "type": "conversation",
    "id": "525",
    "created_at": 1734537563,
    "updated_at": 1734537565,
    "waiting_since": None,
    "snoozed_until": None,
    "admin_assignee_id": 991267715,
    "team_assignee_id": 5017691,
    "open": False,
    "state": "closed",
    "read": False,
    "priority": "none",
    "custom_attributes": {},
}
MESSAGE = {
    "type": "admin_message",
    "id": "19",
    "created_at": 1734537786,
    "subject": "heyy",
    "body": "heyy",
    "message_type": "inapp",
    "owner": {"type": "admin", "id": "991267459", "name": "Ciaran1 Lee"},
}
SEARCH_BODY = {"query": {"field": "role", "operator": "=", "value": "user"}}

TABLE = ConnectorTable(
    connector=IntercomConnector,
    credentials={"access_token": TOKEN},
    vendor="intercom",
    cases=[
        Case(
            "check",
            replies=[Reply(json=ME, method="GET", path="/me")],
            expect={"ok": True, "detail": contains("as Ciaran1 Lee in workspace MyApp 1")},
        ),
        Case(
            "create_contact",
            {"email": "joebloggs@intercom.io", "custom_attributes": {"plan": "pro"}},
            replies=[
                Reply(
                    json=_contact("6762f0dd1bb69f9f2193bb83", "joebloggs@intercom.io"),
                    method="POST",
                    path="/contacts",
                    check=_sent(
                        {
                            "role": "user",
                            "email": "joebloggs@intercom.io",
                            "custom_attributes": {"plan": "pro"},
                        }
                    ),
                )
            ],
            expect={"id": "6762f0dd1bb69f9f2193bb83", "role": "user"},
        ),
        Case(
            "update_contact",
            {"contact_id": "6762f0dd1bb69f9f2193bb83", "name": "Joe Bloggs"},
            replies=[
                Reply(
                    json=_contact("6762f0dd1bb69f9f2193bb83", "j@example.com", "Joe Bloggs"),
                    method="PUT",
                    path="/contacts/6762f0dd1bb69f9f2193bb83",
                    check=_sent({"name": "Joe Bloggs"}),
                )
            ],
            expect={"name": "Joe Bloggs"},
        ),
        Case(
            "get_contact",
            {"contact_id": "6762f0d01bb69f9f2193bb7d"},
            replies=[
                Reply(
                    json={
                        **_contact("6762f0d01bb69f9f2193bb7d", "joe@bloggs.com", "Joe Bloggs"),
                        "custom_attributes": {"plan": "pro"},
                    },
                    method="GET",
                    path="/contacts/6762f0d01bb69f9f2193bb7d",
                )
            ],
            expect={"name": "Joe Bloggs", "custom_attributes": {"plan": "pro"}},
        ),
        Case(
            "search_contacts",
            {"field": "role", "value": "user", "limit": 3},
            replies=[
                Reply(
                    json=_contacts("c1", "c2", after="WzE3MzQ1Mzc0MzcwMDAsImMyIl0="),
                    method="POST",
                    path="/contacts/search",
                    check=_sent({**SEARCH_BODY, "pagination": {"per_page": 3}}),
                ),
                Reply(
                    json=_contacts("c3", "c4", after="WzE3MzQ1Mzc0MzcwMDAsImM0Il0="),
                    check=_sent(
                        {
                            **SEARCH_BODY,
                            "pagination": {
                                "per_page": 3,
                                "starting_after": "WzE3MzQ1Mzc0MzcwMDAsImMyIl0=",
                            },
                        }
                    ),
                ),
            ],
            expect={"count": 3, "total_count": 4, "contacts": lambda cs: cs[2]["id"] == "c3"},
        ),
        Case(
            "reply_to_conversation",
            {"conversation_id": "525", "body": "On it", "note": True, "admin_id": "991267696"},
            replies=[
                Reply(
                    json=CONVERSATION,
                    method="POST",
                    path="/conversations/525/reply",
                    check=_sent(
                        {
                            "message_type": "note",
                            "type": "admin",
                            "admin_id": "991267696",
                            "body": "On it",
                        }
                    ),
                )
            ],
            expect={"conversation_id": "525", "state": "closed"},
        ),
        Case(
            "send_message",
            {"contact_id": "6762f0dd1bb69f9f2193bb83", "body": "heyy"},
            replies=[
                # No admin_id given: the token's own admin (GET /me) sends it.
                Reply(json=ME, method="GET", path="/me"),
                Reply(
                    json=MESSAGE,
                    method="POST",
                    path="/messages",
                    check=_sent(
                        {
                            "message_type": "in_app",
                            "body": "heyy",
                            "from": {"type": "admin", "id": "991267459"},
                            "to": {"type": "user", "id": "6762f0dd1bb69f9f2193bb83"},
                        }
                    ),
                ),
            ],
            expect={"id": "19", "message_type": "inapp"},
        ),
        Case(
            "update_contact",
            {"contact_id": "nope", "name": "x"},
            replies=[
                Reply(
                    404,
                    json={
                        "type": "error.list",
                        "request_id": "req-1",
                        "errors": [{"code": "not_found", "message": "User Not Found"}],
                    },
                )
            ],
            raises=NotFound,
            id="update_contact-404-error-list",
        ),
    ],
)

test_intercom_cases, test_intercom_vendor_spec, test_intercom_covers_every_action = table_tests(
    TABLE
)
# Loading the API description (1.3 MB of YAML) takes 2-3 s, once per session.
test_intercom_vendor_spec = pytest.mark.slow(test_intercom_vendor_spec)


def _intercom(handler: Any, sleeps: list[float], **creds: str) -> IntercomConnector:
    ctx = ConnectorContext(
        credentials={"access_token": TOKEN, **creds},
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        retry=POLICY,
    )
    return IntercomConnector(ctx)


def test_region_picks_the_host() -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(200, json=ME)

    assert _intercom(handler, [], region="eu").check().ok
    assert hosts == ["api.eu.intercom.io"]
    with pytest.raises(ConfigurationError, match="region"):
        IntercomConnector(ConnectorContext(credentials={"access_token": TOKEN, "region": "mars"}))


def test_429_with_a_far_reset_is_rate_limited_without_waiting() -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 600)}
    sleeps: list[float] = []
    connector = _intercom(lambda r: httpx.Response(429, headers=headers), sleeps)
    with pytest.raises(RateLimited) as info:
        connector.run("update_contact", {"contact_id": "c1", "name": "x"})
    assert info.value.retry_after is not None and 500 < info.value.retry_after <= 600
    assert sleeps == []


def test_email_message_needs_a_subject() -> None:
    connector = _intercom(lambda r: httpx.Response(500), [])
    with pytest.raises(InvalidInput, match="subject"):
        connector.run("send_message", {"contact_id": "c1", "body": "x", "message_type": "email"})
