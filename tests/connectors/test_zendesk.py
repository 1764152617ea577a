"""Zendesk: the table run by the shared harness, checked against Zendesk's oas.yaml."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import AuthError, ConfigurationError, InvalidInput
from connectors.zendesk import ZendeskConnector
from tests.connectors.harness import (
    Case,
    ConnectorTable,
    Reply,
    contains,
    form_or_json,
    run_case,
    table_tests,
)

TOKEN = "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
CREDENTIALS = {"subdomain": "acme", "email": "agent@acme.test", "api_token": TOKEN}
HOST = "acme.zendesk.com"


def _authed(request: httpx.Request) -> None:
    assert request.url.host == HOST
    scheme, _, value = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == f"agent@acme.test/token:{TOKEN}"


def _sent(expected: dict[str, Any]) -> Any:
    def check(request: httpx.Request) -> None:
        _authed(request)
        assert form_or_json(request) == expected

    return check


# Bodies trimmed from the "default" examples in oas.yaml.
USER = {
    "user": {
        "active": True,
        "created_at": "2009-07-20T22:55:29Z",
        "email": "johnny@example.com",
        "id": 35436,
        "name": "Johnny Agent",
        "role": "agent",
        "role_type": 0,
        "url": "https://company.zendesk.com/api/v2/users/35436.json",
        "verified": True,
    }
}


def _ticket(ticket_id: int, status: str = "open", **extra: Any) -> dict[str, Any]:
    return {
        "assignee_id": 235323,
        "created_at": "2009-07-20T22:55:29Z",
        "description": "The fire is very colorful.",
        "due_at": None,
        "group_id": 98738,
        "id": ticket_id,
        "priority": "high",
        "requester_id": 20978392,
        "status": status,
        "subject": "Help, my printer is on fire!",
        "submitter_id": 76872,
        "tags": ["enterprise", "other_tag"],
        "type": "incident",
        "updated_at": "2011-05-05T10:38:52Z",
        "url": f"https://company.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "via": {"channel": "web"},
        **extra,
    }


AUDIT = {
    "events": [{"body": "The smoke is very colorful.", "id": 206091192547, "type": "Comment"}],
    "id": 35436001,
    "ticket_id": 35436,
}


def _tickets(*ids: int, after: str | None) -> dict[str, Any]:
    return {
        "tickets": [_ticket(i) for i in ids],
        "meta": {"has_more": after is not None, "after_cursor": after, "before_cursor": None},
        "links": {"next": None, "prev": None},
    }


def _results(*ids: int) -> dict[str, Any]:
    return {
        "count": 3,
        "facets": None,
        "next_page": None,
        "previous_page": None,
        "results": [{**_ticket(i), "result_type": "ticket"} for i in ids],
    }


TABLE = ConnectorTable(
    connector=ZendeskConnector,
    credentials=CREDENTIALS,
    vendor="zendesk",
    cases=[
        Case(
            "check",
            replies=[Reply(json=USER, method="GET", path="/api/v2/users/me", check=_authed)],
            expect={"ok": True, "detail": contains("as Johnny Agent (agent)")},
        ),
        Case(
            "create_ticket",
            {
                "subject": "Help, my printer is on fire!",
                "body": "The fire is very colorful.",
                "requester": {"email": "jdoe@example.com", "name": "J Doe"},
                "priority": "high",
                "tags": ["enterprise"],
            },
            replies=[
                Reply(
                    201,
                    json={"ticket": _ticket(35436)},
                    method="POST",
                    path="/api/v2/tickets",
                    check=_sent(
                        {
                            "ticket": {
                                "subject": "Help, my printer is on fire!",
                                "comment": {"body": "The fire is very colorful."},
                                "requester": {"email": "jdoe@example.com", "name": "J Doe"},
                                "priority": "high",
                                "tags": ["enterprise"],
                            }
                        }
                    ),
                )
            ],
            expect={"id": 35436, "status": "open", "assignee_id": 235323},
        ),
        Case(
            "update_ticket",
            {"ticket_id": 35436, "status": "pending", "assignee_id": 7},
            replies=[
                Reply(
                    json={"audit": AUDIT, "ticket": _ticket(35436, "pending", assignee_id=7)},
                    method="PUT",
                    path="/api/v2/tickets/35436",
                    check=_sent({"ticket": {"status": "pending", "assignee_id": 7}}),
                )
            ],
            expect={"status": "pending", "assignee_id": 7},
        ),
        Case(
            "add_comment",
            {"ticket_id": 35436, "body": "Checking now", "public": False, "status": "open"},
            replies=[
                Reply(
                    json={"audit": AUDIT, "ticket": _ticket(35436)},
                    method="PUT",
                    path="/api/v2/tickets/35436",
                    check=_sent(
                        {
                            "ticket": {
                                "comment": {"body": "Checking now", "public": False},
                                "status": "open",
                            }
                        }
                    ),
                )
            ],
            expect={"id": 35436, "audit_id": 35436001},
        ),
        Case(
            "get_ticket",
            {"ticket_id": 35436},
            replies=[
                Reply(
                    json={"ticket": _ticket(35436)},
                    method="GET",
                    path="/api/v2/tickets/35436",
                    check=_authed,
                )
            ],
            expect={"id": 35436, "description": "The fire is very colorful."},
        ),
        Case(
            "list_tickets",
            {"limit": 3},
            replies=[
                Reply(
                    json=_tickets(1, 2, after="xxx"),
                    method="GET",
                    path="/api/v2/tickets",
                    check=lambda r: (
                        r.url.params["page[size]"] == "3"
                        and r.url.params["sort"] == "-updated_at"
                        and "page[after]" not in r.url.params
                    ),
                ),
                Reply(
                    json=_tickets(3, 4, after=None),
                    check=lambda r: r.url.params["page[after]"] == "xxx",
                ),
            ],
            expect={"count": 3, "tickets": lambda ts: [t["id"] for t in ts] == [1, 2, 3]},
        ),
        Case(
            "search_tickets",
            {"query": "status:open priority:urgent", "limit": 2},
            replies=[
                Reply(
                    json=_results(11, 12),
                    method="GET",
                    path="/api/v2/search",
                    check=lambda r: (
                        r.url.params["query"] == "type:ticket status:open priority:urgent"
                        and r.url.params["per_page"] == "2"
                        and r.url.params["page"] == "1"
                    ),
                )
            ],
            expect={"count": 2, "tickets": lambda ts: ts[1]["id"] == 12},
        ),
        Case(
            "create_ticket",
            {"subject": "x", "body": "y"},
            replies=[
                Reply(
                    422,
                    json={
                        "error": "RecordInvalid",
                        "description": "Record validation errors",
                        "details": {"base": [{"description": "Requester: is invalid"}]},
                    },
                )
            ],
            raises=InvalidInput,
            id="create_ticket-422",
        ),
        Case(
            "check",
            replies=[Reply(json={"user": {"id": None, "name": "Anonymous user"}})],
            raises=AuthError,
            id="check-anonymous",
        ),
    ],
)

test_zendesk_cases, test_zendesk_vendor_spec, test_zendesk_covers_every_action = table_tests(TABLE)
# Loading the API description (1 MB of YAML with a custom loader) takes 2-3 s, once per session.
test_zendesk_vendor_spec = pytest.mark.slow(test_zendesk_vendor_spec)


@pytest.mark.parametrize(
    ("credentials", "field"),
    [
        ({**CREDENTIALS, "subdomain": "acme corp"}, "subdomain"),
        ({**CREDENTIALS, "email": "not-an-address"}, "email"),
    ],
)
def test_credentials_are_checked_by_field(credentials: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigurationError, match=f"\\({field}\\)"):
        ZendeskConnector(ConnectorContext(credentials=credentials))


def test_subdomain_accepts_a_full_host() -> None:
    connector = ZendeskConnector(
        ConnectorContext(credentials={**CREDENTIALS, "subdomain": "https://Acme.zendesk.com/"})
    )
    assert connector.resolved_base_url() == "https://acme.zendesk.com/api/v2"


def test_validation_details_reach_the_message() -> None:
    case = next(c for c in TABLE.cases if c.id == "create_ticket-422")
    message = str(run_case(TABLE, case).outcome)
    assert "RecordInvalid: Record validation errors; base: Requester: is invalid" in message
