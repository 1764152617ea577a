"""Slack: the table run by the shared harness, plus Slack's HTTP-200 error envelope."""

from __future__ import annotations

import httpx
import pytest

from connectors.errors import (
    AuthError,
    ConfigurationError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from connectors.slack import SlackConnector
from tests.connectors.harness import (
    Case,
    ConnectorTable,
    Reply,
    contains,
    form_or_json,
    table_tests,
)

TOKEN = "xoxb-1111-2222-abcdefghijklmnop"


def _no_token_in_url(request: httpx.Request) -> None:
    assert TOKEN not in str(request.url)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def _posted(request: httpx.Request) -> None:
    body = form_or_json(request)
    assert body == {"channel": "C0123", "text": "deploy done", "unfurl_links": False}


AUTH_OK = {
    "ok": True,
    "url": "https://acme.slack.com/",
    "team": "Acme",
    "user": "levqor",
    "team_id": "T0001",
    "user_id": "U0001",
    "bot_id": "B0001",
    "is_enterprise_install": False,
}
POSTED = {
    "ok": True,
    "channel": "C0123",
    "ts": "1700000000.000100",
    "message": {"type": "message", "text": "deploy done", "ts": "1700000000.000100"},
}


def _channels(*ids: str, cursor: str = "") -> dict[str, object]:
    return {
        "ok": True,
        "channels": [{"id": i, "name": f"chan-{i}", "is_private": False} for i in ids],
        "response_metadata": {"next_cursor": cursor},
    }


def _history(*texts: str, cursor: str = "") -> dict[str, object]:
    return {
        "ok": True,
        "messages": [
            {"type": "message", "text": t, "ts": f"17000000{i}.0001", "user": "U1"}
            for i, t in enumerate(texts)
        ],
        "has_more": bool(cursor),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


USER = {
    "ok": True,
    "user": {
        "id": "U0002",
        "name": "ada",
        "real_name": "Ada Lovelace",
        "tz": "Europe/London",
        "is_bot": False,
        "profile": {"display_name": "ada"},
    },
}

TABLE = ConnectorTable(
    connector=SlackConnector,
    credentials={"bot_token": TOKEN},
    vendor="slack",
    cases=[
        Case(
            "check",
            replies=[
                Reply(json=AUTH_OK, method="GET", path="/api/auth.test", check=_no_token_in_url)
            ],
            expect={"ok": True, "detail": contains("@levqor in workspace Acme")},
        ),
        Case(
            "post_message",
            {"channel": "C0123", "text": "deploy done"},
            replies=[
                Reply(json=POSTED, method="POST", path="/api/chat.postMessage", check=_posted)
            ],
            expect={"channel": "C0123", "ts": "1700000000.000100"},
        ),
        Case(
            "list_channels",
            {"limit": 3},
            replies=[
                Reply(
                    json=_channels("C1", "C2", cursor="dGVhbTpD"), path="/api/conversations.list"
                ),
                Reply(
                    json=_channels("C3", "C4"),
                    check=lambda r: r.url.params["cursor"] == "dGVhbTpD",
                ),
            ],
            expect={"count": 3, "channels": lambda cs: [c["id"] for c in cs] == ["C1", "C2", "C3"]},
        ),
        Case(
            "lookup_user_by_email",
            {"email": "ada@example.com"},
            replies=[
                Reply(
                    json=USER,
                    path="/api/users.lookupByEmail",
                    check=lambda r: r.url.params["email"] == "ada@example.com",
                )
            ],
            expect={"id": "U0002", "real_name": "Ada Lovelace", "display_name": "ada"},
        ),
        Case(
            "channel_history",
            {"channel": "C0123", "limit": 10},
            replies=[
                Reply(
                    json=_history("one", "two", cursor="bmV4dA=="),
                    path="/api/conversations.history",
                ),
                Reply(json=_history("three")),
            ],
            expect={
                "count": 3,
                "messages": lambda ms: [m["text"] for m in ms] == ["one", "two", "three"],
            },
        ),
        # Slack's own failures arrive with HTTP 200 and {"ok": false}.
        *[
            Case(
                "post_message",
                {"channel": "C0123", "text": "x"},
                replies=[Reply(json={"ok": False, "error": code}, spec_response=False)],
                raises=cls,
                id=f"post_message-{code}",
            )
            for code, cls in [
                ("invalid_auth", AuthError),
                ("token_revoked", AuthError),
                ("missing_scope", PermissionDenied),
                ("not_in_channel", PermissionDenied),
                ("channel_not_found", NotFound),
                ("ratelimited", RateLimited),
                ("msg_too_long", InvalidInput),
            ]
        ],
        Case(
            "lookup_user_by_email",
            {"email": "nobody@example.com"},
            replies=[Reply(json={"ok": False, "error": "users_not_found"}, spec_response=False)],
            raises=NotFound,
            id="lookup-users_not_found",
        ),
        Case(
            "check",
            replies=[Reply(json={"ok": False, "error": "invalid_auth"}, spec_response=False)],
            raises=AuthError,
            id="check-invalid_auth",
        ),
    ],
)

test_slack_cases, test_slack_vendor_spec, test_slack_covers_every_action = table_tests(TABLE)


def test_bad_token_shape_is_a_configuration_error() -> None:
    from connectors.base import ConnectorContext

    with pytest.raises(ConfigurationError, match="xoxb-") as info:
        SlackConnector(ConnectorContext(credentials={"bot_token": "not-a-token"}))
    assert "not-a-token" not in str(info.value)


def test_post_message_needs_text_or_blocks() -> None:
    from connectors.base import ConnectorContext

    slack = SlackConnector(ConnectorContext(credentials={"bot_token": TOKEN}))
    with pytest.raises(InvalidInput, match="text or blocks"):
        slack.run("post_message", {"channel": "C1"})
