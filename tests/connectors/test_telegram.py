"""Telegram: the table run by the shared harness, ok:false envelopes, flood control, redaction."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import (
    AuthError,
    ConfigurationError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from connectors.redaction import redact
from connectors.telegram import TelegramConnector
from tests.connectors.harness import POLICY, Case, ConnectorTable, Reply, contains, table_tests

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw8"
PREFIX = f"/bot{TOKEN}"


def _json(request: httpx.Request) -> Any:
    return json.loads(request.content)


CHAT = {"id": -1001234567890, "type": "supergroup", "title": "Ops alerts"}
BOT = {"id": 7012345678, "is_bot": True, "first_name": "Levqor", "username": "levqor_bot"}


def _message(message_id: int, text: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Message (required fields: message_id, date, chat) in the Bot API envelope."""
    msg: dict[str, Any] = {
        "message_id": message_id,
        "date": 1_760_000_000,
        "chat": CHAT,
        "from": BOT,
    }
    if text is not None:
        msg["text"] = text
    msg.update(extra)
    return msg


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def _update(update_id: int, text: str) -> dict[str, Any]:
    user = {"id": 42, "is_bot": False, "first_name": "Ada", "username": "ada"}
    return {"update_id": update_id, "message": {**_message(update_id * 10, text), "from": user}}


def _sent(request: httpx.Request) -> None:
    assert _json(request) == {
        "chat_id": -1001234567890,
        "text": "<b>deploy</b> done",
        "parse_mode": "HTML",
        "reply_parameters": {"message_id": 7},
    }


TABLE = ConnectorTable(
    connector=TelegramConnector,
    credentials={"bot_token": TOKEN},
    vendor="telegram",
    cases=[
        Case(
            "check",
            replies=[Reply(json=_ok(BOT), method="GET", path=f"{PREFIX}/getMe")],
            expect={"ok": True, "detail": contains("@levqor_bot (Levqor)")},
        ),
        Case(
            "send_message",
            {
                "chat_id": -1001234567890,
                "text": "<b>deploy</b> done",
                "parse_mode": "HTML",
                "reply_to_message_id": 7,
            },
            replies=[
                Reply(
                    json=_ok(_message(8, "deploy done")),
                    method="POST",
                    path=f"{PREFIX}/sendMessage",
                    check=_sent,
                )
            ],
            expect={"message_id": 8, "chat_id": -1001234567890, "text": "deploy done"},
        ),
        Case(
            "send_photo",
            {"chat_id": "@levqor_news", "url": "https://example.com/chart.png", "caption": "Q3"},
            replies=[
                Reply(
                    json=_ok(_message(9, caption="Q3", photo=[])),
                    path=f"{PREFIX}/sendPhoto",
                    check=lambda r: (
                        _json(r)
                        == {
                            "chat_id": "@levqor_news",
                            "photo": "https://example.com/chart.png",
                            "caption": "Q3",
                        }
                    ),
                )
            ],
            expect={"message_id": 9, "text": "Q3"},
        ),
        Case(
            "send_document",
            {"chat_id": 42, "url": "BQACAgIAAxkBAAIBQ2"},
            replies=[
                Reply(
                    json=_ok(_message(10, document={"file_id": "BQACAgIAAxkBAAIBQ2"})),
                    path=f"{PREFIX}/sendDocument",
                    check=lambda r: _json(r) == {"chat_id": 42, "document": "BQACAgIAAxkBAAIBQ2"},
                )
            ],
            expect={"message_id": 10, "text": None},
        ),
        Case(
            "get_updates",
            {"limit": 101},
            replies=[
                Reply(
                    json=_ok([_update(i, f"m{i}") for i in range(100, 200)]),
                    path=f"{PREFIX}/getUpdates",
                    check=lambda r: _json(r) == {"limit": 100, "timeout": 0},
                ),
                Reply(
                    json=_ok([_update(200, "last"), _update(201, "beyond")]),
                    check=lambda r: _json(r)["offset"] == "200",
                ),
            ],
            expect={
                "count": 101,
                "next_offset": 201,
                "updates": lambda us: (
                    us[-1]
                    == {
                        "update_id": 200,
                        "type": "message",
                        "message_id": 2000,
                        "chat_id": -1001234567890,
                        "date": 1_760_000_000,
                        "text": "last",
                        "from_id": 42,
                        "from_username": "ada",
                    }
                ),
            },
        ),
        Case(
            "get_chat",
            {"chat_id": -1001234567890},
            replies=[
                Reply(
                    json=_ok({**CHAT, "accent_color_id": 1, "max_reaction_count": 11}),
                    path=f"{PREFIX}/getChat",
                )
            ],
            expect={"id": -1001234567890, "type": "supergroup", "title": "Ops alerts"},
        ),
        Case(
            "get_updates",
            {"offset": 555},
            replies=[
                Reply(json=_ok([]), check=lambda r: _json(r)["offset"] == 555),
            ],
            expect={"count": 0, "next_offset": 555},
            id="get_updates-nothing-new",
            variants=False,
        ),
        # ok:false envelopes, whether they come with their HTTP status or with 200.
        *[
            Case(
                "send_message",
                {"chat_id": 1, "text": "x"},
                replies=[
                    Reply(
                        status,
                        json={"ok": False, "error_code": code, "description": text},
                        spec_response=False,
                    )
                ],
                raises=cls,
                id=f"send_message-{code}-in-{status}",
            )
            for status, code, text, cls in [
                (200, 400, "Bad Request: chat not found", InvalidInput),
                (200, 401, "Unauthorized", AuthError),
                (200, 403, "Forbidden: bot was blocked by the user", PermissionDenied),
                (200, 404, "Not Found", NotFound),
                (200, 429, "Too Many Requests: retry after 5", RateLimited),
                (200, 502, "Bad Gateway", Unavailable),
                (400, 400, "Bad Request: message text is empty", InvalidInput),
                (403, 403, "Forbidden: bot is not a member of the channel chat", PermissionDenied),
                (
                    409,
                    409,
                    "Conflict: can't use getUpdates method while webhook is active",
                    InvalidInput,
                ),
            ]
        ],
    ],
)

test_telegram_cases, test_telegram_vendor_spec, test_telegram_covers_every_action = table_tests(
    TABLE
)


def _telegram(handler: Any, sleeps: list[float]) -> TelegramConnector:
    return TelegramConnector(
        ConnectorContext(
            credentials={"bot_token": TOKEN},
            transport=httpx.MockTransport(handler),
            sleep=sleeps.append,
            retry=POLICY,
        )
    )


def test_flood_control_retry_after_in_the_body_is_honoured() -> None:
    replies = [
        httpx.Response(
            429,
            json={
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3},
            },
        ),
        httpx.Response(200, json=_ok(_message(5, "hi"))),
    ]
    sleeps: list[float] = []
    with _telegram(lambda _r: replies.pop(0), sleeps) as bot:
        assert bot.run("send_message", {"chat_id": 1, "text": "hi"})["message_id"] == 5
    assert sleeps == [3.0]


def test_flood_control_longer_than_we_wait_fails_with_retry_after() -> None:
    body = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests",
        "parameters": {"retry_after": 600},
    }
    sleeps: list[float] = []
    with (
        _telegram(lambda _r: httpx.Response(429, json=body), sleeps) as bot,
        pytest.raises(RateLimited) as info,
    ):
        bot.run("send_message", {"chat_id": 1, "text": "hi"})
    assert info.value.retry_after == 600 and sleeps == []


def test_the_token_in_the_url_never_reaches_an_error(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

    with (
        caplog.at_level(logging.DEBUG),
        _telegram(handler, []) as bot,
        pytest.raises(Unavailable) as info,
    ):
        bot.run("get_chat", {"chat_id": 1})
    assert "api.telegram.org/bot[redacted]/getChat" in str(info.value)
    assert TOKEN not in str(info.value) and TOKEN.split(":")[1] not in str(info.value)


def test_log_lines_with_the_request_url_are_redacted_by_shape() -> None:
    # httpx logs "HTTP Request: POST <url>"; the core's log filter redacts by token shape.
    line = f'HTTP Request: POST https://api.telegram.org/bot{TOKEN}/sendMessage "200 OK"'
    assert TOKEN not in redact(line)


def test_bad_token_shape_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="bot_token") as info:
        TelegramConnector(ConnectorContext(credentials={"bot_token": "12345:short"}))
    assert "short" not in str(info.value)
