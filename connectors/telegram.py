"""Telegram Bot API with a bot token from @BotFather.

Telegram puts the token in the URL path (``/bot<token>/<method>``); there is no header
alternative. The token is a secret credential, so the shared client redacts it from
every error message, and the core's log filter removes Telegram token shapes from log
lines (httpx logs request URLs). Answers are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": ..., "description": ...}``; the HTTP status usually equals
``error_code`` and goes through the shared table, and :data:`TELEGRAM_ERRORS` covers an
``ok: false`` that arrives with HTTP 200. Flood control (429) carries
``parameters.retry_after`` in the body, which becomes the ``Retry-After`` we honour.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal

import httpx
from pydantic import BaseModel, Field

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
from connectors.http import iter_cursor, json_body
from connectors.rate_limits import add_response_hook, body_retry_after
from connectors.redaction import redact

__all__ = ["TELEGRAM_ERRORS", "TelegramConnector"]

TELEGRAM_ERRORS: Final[dict[int, type[ConnectorError]]] = {
    400: InvalidInput,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: InvalidInput,
    429: RateLimited,
}
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
_PAGE_SIZE = 100  # getUpdates' maximum limit
_retry_after_hook = body_retry_after("parameters", "retry_after")

ChatId = int | str
ParseMode = Literal["HTML", "MarkdownV2", "Markdown"]


class SendMessageInput(BaseModel):
    chat_id: ChatId = Field(description="Chat ID (e.g. -1001234567890) or @channelusername")
    text: str = Field(min_length=1, max_length=4096, description="Message text")
    parse_mode: ParseMode | None = Field(None, description="Formatting of the text, if any")
    disable_notification: bool = Field(False, description="Deliver silently")
    reply_to_message_id: int | None = Field(None, description="Reply to this message")
    message_thread_id: int | None = Field(None, description="Forum topic to post in")


class SendFileInput(BaseModel):
    chat_id: ChatId = Field(description="Chat ID or @channelusername")
    url: str = Field(
        min_length=1, description="An HTTP URL Telegram downloads, or a file_id already sent"
    )
    caption: str | None = Field(None, max_length=1024, description="Caption under the file")
    parse_mode: ParseMode | None = Field(None, description="Formatting of the caption")
    disable_notification: bool = Field(False, description="Deliver silently")


class GetUpdatesInput(BaseModel):
    offset: int | None = Field(
        None, description="First update_id to return; earlier updates are confirmed and dropped"
    )
    allowed_updates: list[str] | None = Field(
        None, description='Update types to receive, e.g. ["message"]; Telegram default if empty'
    )
    limit: int = Field(100, ge=1, le=1000, description="Maximum updates to return")


class GetChatInput(BaseModel):
    chat_id: ChatId = Field(description="Chat ID or @channelusername")


def _message(m: dict[str, Any]) -> dict[str, Any]:
    chat = m.get("chat") or {}
    return {
        "message_id": m["message_id"],
        "chat_id": chat.get("id"),
        "date": m.get("date"),
        "text": m.get("text") or m.get("caption"),
    }


def _update(u: dict[str, Any]) -> dict[str, Any]:
    kind = next((k for k in u if k != "update_id"), None)
    body = u.get(kind) if kind else None
    out: dict[str, Any] = {"update_id": u["update_id"], "type": kind}
    if isinstance(body, dict) and "message_id" in body:
        sender = body.get("from") or {}
        out.update(_message(body), from_id=sender.get("id"), from_username=sender.get("username"))
    return out


class TelegramConnector(Connector):
    name = "telegram"
    title = "Telegram"
    category = "Messaging"
    description = "Send messages, photos and documents and read updates with a Telegram bot."
    docs_url = "https://core.telegram.org/bots/api"
    credentials_url = "https://t.me/BotFather"
    base_url = "https://api.telegram.org"
    auth_kind = AuthKind.TOKEN
    tier = "core"
    credential_fields = (
        CredentialField(
            "bot_token",
            "Bot token",
            secret=True,
            help="From @BotFather: /newbot, or /token for an existing bot",
            placeholder="123456789:AA...",
        ),
    )

    def validate_credentials(self) -> None:
        if not _TOKEN.match(self.credential("bot_token")):
            raise ConfigurationError(
                "the bot token (bot_token) must look like <digits>:<35 characters> as "
                "@BotFather shows it",
                connector=self.name,
            )

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, _retry_after_hook)

    def _url(self, method: str) -> str:
        # Absolute: a relative "bot123:AA.../getMe" would parse as a URL scheme.
        return f"{self.http.base_url}bot{self.credential('bot_token')}/{method}"

    def _parse(self, response: httpx.Response) -> Any:
        data = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(data, dict) or "ok" not in data:
            raise UnexpectedResponse("the answer has no 'ok' field", connector=self.name)
        if data["ok"] is not True:
            code = int(data.get("error_code") or 0)
            cls = TELEGRAM_ERRORS.get(code, Unavailable if code >= 500 else ConnectorError)
            text = str(data.get("description") or "no description")
            message = redact(f"Telegram error {code}: {text}", self.secrets)
            if cls is InvalidInput:
                raise InvalidInput(message, connector=self.name, status_code=code or None)
            retry = (data.get("parameters") or {}).get("retry_after")
            raise cls(
                message,
                connector=self.name,
                status_code=code or None,
                retry_after=float(retry) if cls is RateLimited and retry else None,
            )
        return data["result"]

    def _call(self, method: str, body: dict[str, Any]) -> Any:
        payload = {k: v for k, v in body.items() if v is not None and v is not False}
        return self._parse(self.http.post(self._url(method), json=payload))

    def check_credentials(self) -> str:
        me = self._parse(self.http.get(self._url("getMe")))
        return f"authenticated as @{me.get('username', '?')} ({me.get('first_name', '')})"

    @action(
        "send_message",
        input=SendMessageInput,
        description="Send a text message to a chat, group or channel",
        output_keys=("message_id", "chat_id", "date", "text"),
    )
    def send_message(self, inp: SendMessageInput) -> dict[str, Any]:
        body = inp.model_dump(exclude={"reply_to_message_id"})
        if inp.reply_to_message_id is not None:
            body["reply_parameters"] = {"message_id": inp.reply_to_message_id}
        return _message(self._call("sendMessage", body))

    @action(
        "send_photo",
        input=SendFileInput,
        description="Send a photo by URL or file_id, with an optional caption",
        output_keys=("message_id", "chat_id", "date", "text"),
    )
    def send_photo(self, inp: SendFileInput) -> dict[str, Any]:
        body = inp.model_dump(exclude={"url"})
        return _message(self._call("sendPhoto", {**body, "photo": inp.url}))

    @action(
        "send_document",
        input=SendFileInput,
        description="Send a file by URL or file_id, with an optional caption",
        output_keys=("message_id", "chat_id", "date", "text"),
    )
    def send_document(self, inp: SendFileInput) -> dict[str, Any]:
        body = inp.model_dump(exclude={"url"})
        return _message(self._call("sendDocument", {**body, "document": inp.url}))

    @action(
        "get_updates",
        input=GetUpdatesInput,
        description="Read incoming messages and other updates (bots without a webhook)",
        output_keys=("updates", "count", "next_offset"),
        paginated=True,
    )
    def get_updates(self, inp: GetUpdatesInput) -> dict[str, Any]:
        body: dict[str, Any] = {"limit": min(_PAGE_SIZE, inp.limit), "timeout": 0}
        if inp.offset is not None:
            body["offset"] = inp.offset
        if inp.allowed_updates is not None:
            body["allowed_updates"] = inp.allowed_updates

        def next_offset(result: list[dict[str, Any]]) -> str | None:
            full = len(result) >= body["limit"]
            return str(int(result[-1]["update_id"]) + 1) if result and full else None

        raw = list(
            iter_cursor(
                self.http,
                self._url("getUpdates"),
                method="POST",
                body=body,
                cursor_param="offset",
                cursor_in="json",
                items=lambda r: r,
                next_cursor=next_offset,
                parse=self._parse,
                max_items=inp.limit,
            )
        )
        updates = [_update(u) for u in raw]
        last = raw[-1]["update_id"] + 1 if raw else inp.offset
        return {"updates": updates, "count": len(updates), "next_offset": last}

    @action(
        "get_chat",
        input=GetChatInput,
        description="Look up a chat's title, type and username",
        output_keys=("id", "type", "title", "username"),
    )
    def get_chat(self, inp: GetChatInput) -> dict[str, Any]:
        chat = self._call("getChat", {"chat_id": inp.chat_id})
        return {
            "id": chat["id"],
            "type": chat.get("type"),
            "title": chat.get("title") or chat.get("first_name"),
            "username": chat.get("username"),
        }
