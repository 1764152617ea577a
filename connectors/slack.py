"""Slack Web API with a bot token (xoxb-...).

Slack answers most failures with HTTP 200 and ``{"ok": false, "error": "<code>"}``;
:data:`SLACK_ERRORS` maps those codes to the shared error classes. HTTP-level failures
(429 with Retry-After, 5xx) go through the shared client like every other vendor.
The token travels only in the ``Authorization: Bearer`` header, never in a URL.
"""

from __future__ import annotations

from typing import Any, Final

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import (
    AuthError,
    ConfigurationError,
    ConnectorError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    UnexpectedResponse,
)
from connectors.http import BearerAuth, iter_cursor, json_body

__all__ = ["SLACK_ERRORS", "SlackConnector"]

SLACK_ERRORS: Final[dict[str, type[ConnectorError]]] = {
    "invalid_auth": AuthError,
    "not_authed": AuthError,
    "token_revoked": AuthError,
    "token_expired": AuthError,
    "account_inactive": AuthError,
    "missing_scope": PermissionDenied,
    "not_in_channel": PermissionDenied,
    "restricted_action": PermissionDenied,
    "is_archived": PermissionDenied,
    "ekm_access_denied": PermissionDenied,
    "channel_not_found": NotFound,
    "users_not_found": NotFound,
    "user_not_found": NotFound,
    "thread_not_found": NotFound,
    "ratelimited": RateLimited,
    "rate_limited": RateLimited,
    "msg_too_long": InvalidInput,
    "no_text": InvalidInput,
    "invalid_blocks": InvalidInput,
    "invalid_arguments": InvalidInput,
    "invalid_cursor": InvalidInput,
    "too_many_attachments": InvalidInput,
    "internal_error": Unavailable,
    "fatal_error": Unavailable,
    "service_unavailable": Unavailable,
    "request_timeout": Unavailable,
}

_PAGE_SIZE = 200  # Slack's recommended maximum per page for conversations.* methods


class PostMessageInput(BaseModel):
    channel: str = Field(min_length=1, description="Channel ID (C0123...) or name")
    text: str | None = Field(None, description="Message text (mrkdwn); fallback when blocks")
    blocks: list[dict[str, Any]] | None = Field(None, description="Block Kit blocks")
    thread_ts: str | None = Field(None, description="Reply in this thread")
    unfurl_links: bool = False

    @model_validator(mode="after")
    def _text_or_blocks(self) -> PostMessageInput:
        if not self.text and not self.blocks:
            raise ValueError("give text or blocks")
        return self


class ListChannelsInput(BaseModel):
    types: str = Field("public_channel,private_channel", description="Comma-separated types")
    exclude_archived: bool = True
    limit: int = Field(1000, ge=1, le=10000, description="Maximum channels to return")


class LookupUserInput(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ChannelHistoryInput(BaseModel):
    channel: str = Field(min_length=1)
    oldest: str | None = Field(None, description="Only messages after this ts")
    latest: str | None = Field(None, description="Only messages before this ts")
    limit: int = Field(100, ge=1, le=5000, description="Maximum messages to return")


def _channel(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "name": c.get("name", ""),
        "is_private": bool(c.get("is_private")),
        "is_archived": bool(c.get("is_archived")),
        "num_members": c.get("num_members"),
    }


def _message(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "ts": m["ts"],
        "user": m.get("user") or m.get("bot_id"),
        "text": m.get("text", ""),
        "thread_ts": m.get("thread_ts"),
    }


class SlackConnector(Connector):
    name = "slack"
    title = "Slack"
    category = "Messaging"
    description = "Post messages, list channels and read history with a Slack bot."
    docs_url = "https://api.slack.com/web"
    credentials_url = "https://api.slack.com/apps"
    base_url = "https://slack.com/api"
    auth_kind = AuthKind.TOKEN
    tier = "core"
    credential_fields = (
        CredentialField(
            "bot_token",
            "Bot token",
            secret=True,
            help="OAuth & Permissions → Bot User OAuth Token",
            placeholder="xoxb-...",
        ),
    )

    def validate_credentials(self) -> None:
        if not self.credential("bot_token").startswith(("xoxb-", "xoxp-")):
            raise ConfigurationError(
                "the bot token must start with xoxb- (or xoxp- for a user token)",
                connector=self.name,
            )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("bot_token"))

    def _parse(self, response: httpx.Response) -> dict[str, Any]:
        data = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(data, dict) or "ok" not in data:
            raise UnexpectedResponse("the answer has no 'ok' field", connector=self.name)
        if data["ok"] is not True:
            code = str(data.get("error") or "unknown_error")
            cls = SLACK_ERRORS.get(code, ConnectorError)
            needed = data.get("needed")
            detail = f"Slack error {code}" + (f" (needs scope {needed})" if needed else "")
            if cls is RateLimited:
                raise RateLimited(detail, connector=self.name, retry_after=None)
            raise cls(detail, connector=self.name)
        return data

    def _get(self, method: str, **params: Any) -> dict[str, Any]:
        return self._parse(self.http.get(method, params=params or None))

    def check_credentials(self) -> str:
        data = self._get("auth.test")
        return f"authenticated as @{data.get('user', '?')} in workspace {data.get('team', '?')}"

    @action(
        "post_message",
        input=PostMessageInput,
        description="Post a message to a channel or thread",
        output_keys=("channel", "ts"),
    )
    def post_message(self, inp: PostMessageInput) -> dict[str, Any]:
        body = inp.model_dump(exclude_none=True)
        data = self._parse(self.http.post("chat.postMessage", json=body))
        return {"channel": data["channel"], "ts": data["ts"]}

    @action(
        "list_channels",
        input=ListChannelsInput,
        description="List the channels the bot can see",
        output_keys=("channels", "count"),
        paginated=True,
    )
    def list_channels(self, inp: ListChannelsInput) -> dict[str, Any]:
        params = {
            "types": inp.types,
            "exclude_archived": str(inp.exclude_archived).lower(),
            "limit": min(_PAGE_SIZE, inp.limit),
        }
        channels = [
            _channel(c)
            for c in iter_cursor(
                self.http,
                "conversations.list",
                params=params,
                items=lambda d: d.get("channels", []),
                next_cursor=lambda d: (d.get("response_metadata") or {}).get("next_cursor"),
                parse=self._parse,
                max_items=inp.limit,
            )
        ]
        return {"channels": channels, "count": len(channels)}

    @action(
        "lookup_user_by_email",
        input=LookupUserInput,
        description="Find a workspace member by e-mail address",
        output_keys=("id", "name", "real_name", "display_name", "tz", "is_bot"),
    )
    def lookup_user_by_email(self, inp: LookupUserInput) -> dict[str, Any]:
        user = self._get("users.lookupByEmail", email=inp.email)["user"]
        profile = user.get("profile") or {}
        return {
            "id": user["id"],
            "name": user.get("name", ""),
            "real_name": user.get("real_name") or profile.get("real_name", ""),
            "display_name": profile.get("display_name", ""),
            "tz": user.get("tz"),
            "is_bot": bool(user.get("is_bot")),
        }

    @action(
        "channel_history",
        input=ChannelHistoryInput,
        description="Read recent messages of a channel, newest first",
        output_keys=("messages", "count"),
        paginated=True,
    )
    def channel_history(self, inp: ChannelHistoryInput) -> dict[str, Any]:
        params: dict[str, Any] = {"channel": inp.channel, "limit": min(_PAGE_SIZE, inp.limit)}
        if inp.oldest:
            params["oldest"] = inp.oldest
        if inp.latest:
            params["latest"] = inp.latest
        messages = [
            _message(m)
            for m in iter_cursor(
                self.http,
                "conversations.history",
                params=params,
                items=lambda d: d.get("messages", []),
                next_cursor=lambda d: (d.get("response_metadata") or {}).get("next_cursor"),
                parse=self._parse,
                max_items=inp.limit,
            )
        ]
        return {"messages": messages, "count": len(messages)}
