"""Twilio: the table run by the shared harness, with Twilio's own response examples."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import ConfigurationError, InvalidInput
from connectors.twilio import TwilioConnector
from tests.connectors.harness import Case, ConnectorTable, Reply, table_tests

FIXTURES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "twilio.json").read_text(encoding="utf-8")
)
SID = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
TOKEN = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
ROOT = f"/2010-04-01/Accounts/{SID}"
MSG = "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"


def _form(request: httpx.Request) -> dict[str, list[str]]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form: dict[str, list[str]] = {}
    for key, value in httpx.QueryParams(request.content.decode()).multi_items():
        form.setdefault(key, []).append(value)
    return form


def _basic(request: httpx.Request) -> None:
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


def _page_two() -> dict[str, Any]:
    page: dict[str, Any] = json.loads(json.dumps(FIXTURES["messages_page"]))
    page.update(page=1, next_page_uri=None, previous_page_uri=page["first_page_uri"])
    for i, message in enumerate(page["messages"]):
        message["sid"] = f"SM{i:032d}"
    return page


TABLE = ConnectorTable(
    connector=TwilioConnector,
    credentials={"account_sid": SID, "auth_token": TOKEN, "default_from": "+14155552345"},
    vendor="twilio",
    cases=[
        Case(
            "check",
            replies=[
                Reply(json=FIXTURES["account"], method="GET", path=f"{ROOT}.json", check=_basic)
            ],
            expect={"detail": "account 'friendly_name' (active, Full)"},
        ),
        Case(
            "send_sms",
            {"to": "+14155552345", "body": "Hello! 👍", "media_urls": ["https://x.test/a.png"]},
            replies=[
                Reply(
                    201,
                    json=FIXTURES["message_created"],
                    method="POST",
                    path=f"{ROOT}/Messages.json",
                    check=lambda r: (
                        _form(r)
                        == {
                            "To": ["+14155552345"],
                            "From": ["+14155552345"],
                            "Body": ["Hello! 👍"],
                            "MediaUrl": ["https://x.test/a.png"],
                        }
                    ),
                )
            ],
            expect={"sid": MSG, "status": "queued", "num_segments": "1"},
        ),
        Case(
            "get_message",
            {"sid": MSG},
            replies=[
                Reply(
                    json=FIXTURES["message_fetched"],
                    method="GET",
                    path=f"{ROOT}/Messages/{MSG}.json",
                )
            ],
            expect={"sid": "SMb7c0a2ce80504485a6f653a7110836f5", "body": "testing"},
        ),
        Case(
            "list_messages",
            {"to": "+123456789", "from": "+987654321", "sent_after": "2008-01-02", "limit": 3},
            replies=[
                Reply(
                    json=FIXTURES["messages_page"],
                    method="GET",
                    path=f"{ROOT}/Messages.json",
                    check=lambda r: (
                        dict(r.url.params)
                        == {
                            "PageSize": "3",
                            "To": "+123456789",
                            "From": "+987654321",
                            "DateSent>": "2008-01-02",
                        }
                    ),
                ),
                Reply(
                    json=_page_two(),
                    path=f"{ROOT}/Messages.json",
                    check=lambda r: (
                        r.url.params["PageToken"] == "PAMMc26223853f8c46b4ab7dfaa6abba0a26"
                        and r.url.params["Page"] == "1"
                    ),
                ),
            ],
            expect={
                "count": 3,
                "messages": lambda ms: (
                    [m["sid"] for m in ms]
                    == [
                        "SMded05904ccb347238880ca9264e8fe1c",
                        "MMc26223853f8c46b4ab7dfaa6abba0a26",
                        "SM" + "0" * 32,
                    ]
                    and ms[1]["error_code"] == 30004
                ),
            },
        ),
        Case(
            "make_call",
            {"to": "+14158675309", "say": "Disk <full> on db-1 & db-2"},
            replies=[
                Reply(
                    201,
                    json=FIXTURES["call_created"],
                    method="POST",
                    path=f"{ROOT}/Calls.json",
                    check=lambda r: (
                        _form(r)["Twiml"]
                        == [
                            '<Response><Say voice="alice">'
                            "Disk &lt;full&gt; on db-1 &amp; db-2</Say></Response>"
                        ]
                    ),
                )
            ],
            expect={"sid": "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "to": "+14158675309"},
        ),
        Case(
            "send_sms",
            {
                "to": "+14155552345",
                "body": "hi",
                "messaging_service_sid": "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            },
            replies=[
                Reply(
                    201,
                    json=FIXTURES["message_created"],
                    check=lambda r: (
                        "From" not in _form(r)
                        and _form(r)["MessagingServiceSid"]
                        == ["MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
                    ),
                )
            ],
            expect={"sid": MSG},
            id="send_sms-messaging-service",
            variants=False,
        ),
        Case(
            "send_sms",
            {"to": "+14155550000", "body": "hi"},
            replies=[
                Reply(
                    400,
                    json={
                        "code": 21211,
                        "message": "The 'To' number +14155550000 is not valid.",
                        "more_info": "https://www.twilio.com/docs/errors/21211",
                        "status": 400,
                    },
                )
            ],
            raises=InvalidInput,
            id="send_sms-invalid-number",
        ),
    ],
)

test_twilio_cases, test_twilio_vendor_spec, test_twilio_covers_every_action = table_tests(TABLE)


def test_no_sender_is_a_clear_input_error() -> None:
    twilio = TwilioConnector(
        ConnectorContext(credentials={"account_sid": SID, "auth_token": TOKEN})
    )
    with pytest.raises(InvalidInput, match="no sender"):
        twilio.run("send_sms", {"to": "+14155552345", "body": "hi"})


def test_account_sid_shape_is_checked_without_echoing_secrets() -> None:
    with pytest.raises(ConfigurationError, match="account_sid") as info:
        TwilioConnector(ConnectorContext(credentials={"account_sid": "nope", "auth_token": TOKEN}))
    assert TOKEN not in str(info.value)


def test_check_never_returns_the_auth_token_in_the_answer() -> None:
    # Twilio's account resource includes auth_token; the check reports only safe fields.
    body = {**FIXTURES["account"], "auth_token": TOKEN}
    transport = httpx.MockTransport(lambda _r: httpx.Response(200, json=body))
    twilio = TwilioConnector(
        ConnectorContext(credentials={"account_sid": SID, "auth_token": TOKEN}, transport=transport)
    )
    result = twilio.check()
    assert result.ok and TOKEN not in result.detail
