"""Discord HTTP API v10 with a bot token (``Authorization: Bot <token>``).

Errors are HTTP statuses with ``{"code": <Discord code>, "message": ...}`` and go through
the shared table. A 429 carries ``Retry-After`` (and ``retry_after`` in the body, which
we fall back on), so the shared client waits it out. Messages default to pinging users
and roles but never @everyone/@here unless asked: a workflow should not page a whole
server by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import UnexpectedResponse
from connectors.http import BearerAuth, iter_cursor, json_body
from connectors.rate_limits import add_response_hook, body_retry_after

__all__ = ["DiscordConnector"]

_MESSAGES_PAGE = 100  # Discord's maximum limit for channel messages
_GUILDS_PAGE = 200  # ... and for the bot's guilds
_retry_after_hook = body_retry_after("retry_after")


class SendMessageInput(BaseModel):
    channel_id: str = Field(pattern=r"^\d+$", description="Channel ID (enable Developer Mode)")
    content: str | None = Field(None, max_length=2000, description="Message text (markdown)")
    embeds: list[dict[str, Any]] | None = Field(
        None, max_length=10, description="Rich embeds (title, description, url, color, fields)"
    )
    reply_to: str | None = Field(None, pattern=r"^\d+$", description="Reply to this message ID")
    mention_everyone: bool = Field(False, description="Allow @everyone/@here to ping")

    @model_validator(mode="after")
    def _content_or_embeds(self) -> SendMessageInput:
        if not self.content and not self.embeds:
            raise ValueError("give content or embeds")
        return self


class EditMessageInput(BaseModel):
    channel_id: str = Field(pattern=r"^\d+$", description="Channel ID")
    message_id: str = Field(pattern=r"^\d+$", description="The bot's message to edit")
    content: str | None = Field(None, max_length=2000, description="New text")
    embeds: list[dict[str, Any]] | None = Field(None, max_length=10, description="New embeds")

    @model_validator(mode="after")
    def _something(self) -> EditMessageInput:
        if self.content is None and self.embeds is None:
            raise ValueError("give content or embeds")
        return self


class ListMessagesInput(BaseModel):
    channel_id: str = Field(pattern=r"^\d+$", description="Channel ID")
    before: str | None = Field(None, pattern=r"^\d+$", description="Only messages before this ID")
    limit: int = Field(100, ge=1, le=5000, description="Maximum messages, newest first")


class ListGuildsInput(BaseModel):
    limit: int = Field(200, ge=1, le=10000, description="Maximum servers to return")


class ListChannelsInput(BaseModel):
    guild_id: str = Field(pattern=r"^\d+$", description="Server (guild) ID")


def _message(m: dict[str, Any]) -> dict[str, Any]:
    author = m.get("author") or {}
    return {
        "id": m["id"],
        "channel_id": m["channel_id"],
        "content": m.get("content", ""),
        "author_id": author.get("id"),
        "author": author.get("global_name") or author.get("username"),
        "timestamp": m.get("timestamp"),
    }


def _allowed_mentions(everyone: bool) -> dict[str, list[str]]:
    return {"parse": ["users", "roles", "everyone"] if everyone else ["users", "roles"]}


def _last_id_if_full(page_size: int) -> Callable[[list[dict[str, Any]]], str | None]:
    def cursor(page: list[dict[str, Any]]) -> str | None:
        return str(page[-1]["id"]) if len(page) >= page_size else None

    return cursor


class DiscordConnector(Connector):
    name = "discord"
    title = "Discord"
    category = "Messaging"
    description = "Send and edit messages, read channels and list servers with a Discord bot."
    docs_url = "https://discord.com/developers/docs/reference"
    credentials_url = "https://discord.com/developers/applications"
    base_url = "https://discord.com/api/v10"
    auth_kind = AuthKind.TOKEN
    credential_fields = (
        CredentialField(
            "bot_token",
            "Bot token",
            secret=True,
            help="Your application → Bot → Reset Token; invite the bot to the server",
        ),
    )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("bot_token"), scheme="Bot")

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, _retry_after_hook)

    def _json(self, response: httpx.Response) -> Any:
        data = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(data, dict | list):
            raise UnexpectedResponse("the answer is not JSON data", connector=self.name)
        return data

    def check_credentials(self) -> str:
        me = self._json(self.http.get("users/@me"))
        return f"authenticated as {me['username']} (id {me['id']})"

    @action(
        "send_message",
        input=SendMessageInput,
        description="Post a message (text and/or embeds) to a channel",
        output_keys=("id", "channel_id", "content", "author_id", "author", "timestamp"),
    )
    def send_message(self, inp: SendMessageInput) -> dict[str, Any]:
        body: dict[str, Any] = {"allowed_mentions": _allowed_mentions(inp.mention_everyone)}
        if inp.content:
            body["content"] = inp.content
        if inp.embeds:
            body["embeds"] = inp.embeds
        if inp.reply_to:
            body["message_reference"] = {"message_id": inp.reply_to, "fail_if_not_exists": False}
        response = self.http.post(f"channels/{inp.channel_id}/messages", json=body)
        return _message(self._json(response))

    @action(
        "edit_message",
        input=EditMessageInput,
        description="Replace the text or embeds of a message the bot sent",
        output_keys=("id", "channel_id", "content", "author_id", "author", "timestamp"),
    )
    def edit_message(self, inp: EditMessageInput) -> dict[str, Any]:
        body = inp.model_dump(include={"content", "embeds"}, exclude_none=True)
        url = f"channels/{inp.channel_id}/messages/{inp.message_id}"
        return _message(self._json(self.http.patch(url, json=body)))

    @action(
        "list_messages",
        input=ListMessagesInput,
        description="Read recent messages of a channel, newest first",
        output_keys=("messages", "count"),
        paginated=True,
    )
    def list_messages(self, inp: ListMessagesInput) -> dict[str, Any]:
        page = min(_MESSAGES_PAGE, inp.limit)
        params: dict[str, Any] = {"limit": page}
        if inp.before:
            params["before"] = inp.before
        messages = [
            _message(m)
            for m in iter_cursor(
                self.http,
                f"channels/{inp.channel_id}/messages",
                params=params,
                cursor_param="before",
                items=lambda d: d,
                next_cursor=_last_id_if_full(page),
                parse=self._json,
                max_items=inp.limit,
            )
        ]
        return {"messages": messages, "count": len(messages)}

    @action(
        "list_guilds",
        input=ListGuildsInput,
        description="List the servers the bot is a member of",
        output_keys=("guilds", "count"),
        paginated=True,
    )
    def list_guilds(self, inp: ListGuildsInput) -> dict[str, Any]:
        page = min(_GUILDS_PAGE, inp.limit)
        guilds = [
            {"id": g["id"], "name": g["name"], "owner": bool(g.get("owner"))}
            for g in iter_cursor(
                self.http,
                "users/@me/guilds",
                params={"limit": page},
                cursor_param="after",
                items=lambda d: d,
                next_cursor=_last_id_if_full(page),
                parse=self._json,
                max_items=inp.limit,
            )
        ]
        return {"guilds": guilds, "count": len(guilds)}

    @action(
        "list_channels",
        input=ListChannelsInput,
        description="List the channels of a server with their types and categories",
        output_keys=("channels", "count"),
    )
    def list_channels(self, inp: ListChannelsInput) -> dict[str, Any]:
        channels = [
            {
                "id": c["id"],
                "name": c.get("name", ""),
                "type": c["type"],
                "parent_id": c.get("parent_id"),
                "position": c.get("position"),
            }
            for c in self._json(self.http.get(f"guilds/{inp.guild_id}/channels"))
        ]
        return {"channels": channels, "count": len(channels)}
