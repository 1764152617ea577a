"""Discord: the table run by the shared harness; bodies follow discord-api-spec's schemas."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.discord import DiscordConnector
from connectors.errors import InvalidInput, PermissionDenied
from tests.connectors.harness import POLICY, Case, ConnectorTable, Reply, contains, table_tests

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
CHANNEL = "1100000000000000001"
GUILD = "1000000000000000001"


def _json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def _user(uid: str, name: str) -> dict[str, Any]:
    return {
        "id": uid,
        "username": name,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": None,
        "primary_guild": None,
        "bot": True,
    }


ME = {**_user("1200000000000000001", "levqor-bot"), "mfa_enabled": True, "locale": "en-US"}


def _msg(mid: str, content: str) -> dict[str, Any]:
    """A MessageResponse with every field the spec marks required."""
    return {
        "type": 0,
        "content": content,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "timestamp": "2025-10-01T12:00:00.000000+00:00",
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
        "id": mid,
        "channel_id": CHANNEL,
        "author": _user("1200000000000000001", "levqor-bot"),
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
    }


def _guild(gid: str, name: str) -> dict[str, Any]:
    return {
        "id": gid,
        "name": name,
        "icon": None,
        "banner": None,
        "owner": False,
        "permissions": "2248473465835073",
        "features": [],
    }


def _bot_auth(request: httpx.Request) -> None:
    assert request.headers["Authorization"] == f"Bot {TOKEN}"


def _sent(request: httpx.Request) -> None:
    assert _json(request) == {
        "allowed_mentions": {"parse": ["users", "roles"]},
        "content": "deploy done",
        "message_reference": {"message_id": "1300000000000000009", "fail_if_not_exists": False},
    }


TABLE = ConnectorTable(
    connector=DiscordConnector,
    credentials={"bot_token": TOKEN},
    vendor="discord",
    cases=[
        Case(
            "check",
            replies=[Reply(json=ME, method="GET", path="/api/v10/users/@me", check=_bot_auth)],
            expect={"detail": contains("levqor-bot (id 1200000000000000001)")},
        ),
        Case(
            "send_message",
            {"channel_id": CHANNEL, "content": "deploy done", "reply_to": "1300000000000000009"},
            replies=[
                Reply(
                    json=_msg("1300000000000000010", "deploy done"),
                    method="POST",
                    path=f"/api/v10/channels/{CHANNEL}/messages",
                    check=_sent,
                )
            ],
            expect={"id": "1300000000000000010", "content": "deploy done", "author": "levqor-bot"},
        ),
        Case(
            "edit_message",
            {"channel_id": CHANNEL, "message_id": "1300000000000000010", "content": "fixed"},
            replies=[
                Reply(
                    json=_msg("1300000000000000010", "fixed"),
                    method="PATCH",
                    path=f"/api/v10/channels/{CHANNEL}/messages/1300000000000000010",
                    check=lambda r: _json(r) == {"content": "fixed"},
                )
            ],
            expect={"content": "fixed"},
        ),
        Case(
            "list_messages",
            {"channel_id": CHANNEL, "limit": 150},
            replies=[
                Reply(
                    json=[_msg(str(1300000000000000200 - i), f"m{i}") for i in range(100)],
                    method="GET",
                    path=f"/api/v10/channels/{CHANNEL}/messages",
                    check=lambda r: r.url.params["limit"] == "100" and "before" not in r.url.params,
                ),
                Reply(
                    json=[_msg(str(1300000000000000100 - i), f"n{i}") for i in range(60)],
                    check=lambda r: r.url.params["before"] == "1300000000000000101",
                ),
            ],
            expect={"count": 150, "messages": lambda ms: ms[100]["content"] == "n0"},
        ),
        Case(
            "list_guilds",
            replies=[
                Reply(
                    json=[_guild(GUILD, "Levqor HQ"), _guild("1000000000000000002", "Ops")],
                    method="GET",
                    path="/api/v10/users/@me/guilds",
                    check=lambda r: r.url.params["limit"] == "200",
                )
            ],
            expect={
                "count": 2,
                "guilds": [
                    {"id": GUILD, "name": "Levqor HQ", "owner": False},
                    {"id": "1000000000000000002", "name": "Ops", "owner": False},
                ],
            },
        ),
        Case(
            "list_channels",
            {"guild_id": GUILD},
            replies=[
                Reply(
                    json=[
                        {
                            "id": CHANNEL,
                            "type": 0,
                            "flags": 0,
                            "guild_id": GUILD,
                            "name": "alerts",
                            "position": 1,
                            "parent_id": "1100000000000000000",
                        },
                        {
                            "id": "1100000000000000000",
                            "type": 4,
                            "flags": 0,
                            "guild_id": GUILD,
                            "name": "Ops",
                            "position": 0,
                            "parent_id": None,
                        },
                    ],
                    method="GET",
                    path=f"/api/v10/guilds/{GUILD}/channels",
                )
            ],
            expect={"count": 2, "channels": lambda cs: cs[0]["name"] == "alerts"},
        ),
        Case(
            "send_message",
            {"channel_id": CHANNEL, "embeds": [{"title": "Outage"}], "mention_everyone": True},
            replies=[
                Reply(
                    json=_msg("1300000000000000011", ""),
                    check=lambda r: (
                        _json(r)
                        == {
                            "allowed_mentions": {"parse": ["users", "roles", "everyone"]},
                            "embeds": [{"title": "Outage"}],
                        }
                    ),
                )
            ],
            expect={"id": "1300000000000000011"},
            id="send_message-everyone-opt-in",
            variants=False,
        ),
        Case(
            "send_message",
            {"channel_id": CHANNEL, "content": "x"},
            replies=[Reply(403, json={"message": "Missing Access", "code": 50001})],
            raises=PermissionDenied,
            id="send_message-missing-access",
        ),
    ],
)

test_discord_cases, test_discord_vendor_spec, test_discord_covers_every_action = table_tests(TABLE)


def test_body_retry_after_is_honoured_when_the_header_is_missing() -> None:
    replies = [
        httpx.Response(
            429,
            json={"message": "You are being rate limited.", "retry_after": 1.2, "global": False},
        ),
        httpx.Response(200, json=_msg("1", "ok")),
    ]
    sleeps: list[float] = []
    discord = DiscordConnector(
        ConnectorContext(
            credentials={"bot_token": TOKEN},
            transport=httpx.MockTransport(lambda _r: replies.pop(0)),
            sleep=sleeps.append,
            retry=POLICY,
        )
    )
    with discord:
        discord.run("send_message", {"channel_id": CHANNEL, "content": "ok"})
    assert sleeps == [2.0]  # rounded up: never retry early


def test_inputs_are_checked_before_any_call() -> None:
    discord = DiscordConnector(ConnectorContext(credentials={"bot_token": TOKEN}))
    with pytest.raises(InvalidInput, match="content or embeds"):
        discord.run("send_message", {"channel_id": CHANNEL})
    with pytest.raises(InvalidInput, match="channel_id"):
        discord.run("send_message", {"channel_id": "#general", "content": "x"})
