"""Twilio Programmable Messaging and Voice (REST API 2010-04-01), basic auth.

HTTP basic auth is the Account SID and the auth token; bodies are form-encoded with
Twilio's capitalised keys (``To``, ``From``, ``Body``). Lists page through
``next_page_uri``, a path from the API host's root that carries ``PageToken``. Errors
are HTTP statuses with ``{"code", "message", "more_info"}`` and go through the shared
table; the Twilio error code is kept in the message because its docs page explains it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import ConfigurationError, InvalidInput

__all__ = ["TwilioConnector"]

_PAGE_SIZE = 100
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_E164 = r"^\+[1-9]\d{6,14}$"
_SENDER = r"^(\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11}|whatsapp:\+[1-9]\d{6,14})$"


class SendSmsInput(BaseModel):
    model_config = ConfigDict(populate_by_name=True)  # 'from' or from_

    to: str = Field(
        pattern=r"^(whatsapp:)?\+[1-9]\d{6,14}$", description="Recipient in E.164 (+4477...)"
    )
    body: str | None = Field(None, max_length=1600, description="Message text")
    from_: str | None = Field(
        None,
        alias="from",
        pattern=_SENDER,
        description="Sender number or alphanumeric ID; the account's default sender if empty",
    )
    messaging_service_sid: str | None = Field(
        None, pattern=r"^MG[0-9a-fA-F]{32}$", description="Send through a Messaging Service"
    )
    media_urls: list[str] = Field(
        default_factory=list, max_length=10, description="Public URLs of images (makes an MMS)"
    )
    status_callback: str | None = Field(None, description="URL Twilio calls on status changes")

    @model_validator(mode="after")
    def _body_or_media(self) -> SendSmsInput:
        if not self.body and not self.media_urls:
            raise ValueError("give body or media_urls")
        return self


class GetMessageInput(BaseModel):
    sid: str = Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$", description="Message SID (SM.../MM...)")


class ListMessagesInput(BaseModel):
    model_config = ConfigDict(populate_by_name=True)  # 'from' or from_

    to: str | None = Field(None, description="Only messages to this number")
    from_: str | None = Field(None, alias="from", description="Only messages from this sender")
    sent_after: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="Only messages sent on/after YYYY-MM-DD"
    )
    limit: int = Field(100, ge=1, le=10000, description="Maximum messages, newest first")


class MakeCallInput(BaseModel):
    model_config = ConfigDict(populate_by_name=True)  # 'from' or from_

    to: str = Field(pattern=_E164, description="Number to call, E.164")
    from_: str | None = Field(
        None, alias="from", pattern=_E164, description="Your Twilio number; the default if empty"
    )
    say: str | None = Field(None, max_length=4000, description="Text read to the callee")
    voice: Literal["alice", "man", "woman"] = Field("alice", description="Voice for 'say'")
    twiml_url: str | None = Field(None, description="URL returning TwiML (instead of 'say')")

    @model_validator(mode="after")
    def _one_script(self) -> MakeCallInput:
        if bool(self.say) == bool(self.twiml_url):
            raise ValueError("give exactly one of say and twiml_url")
        return self


def _message(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "sid": m["sid"],
        "status": m.get("status"),
        "to": m.get("to"),
        "from": m.get("from"),
        "body": m.get("body"),
        "direction": m.get("direction"),
        "date_created": m.get("date_created"),
        "date_sent": m.get("date_sent"),
        "num_segments": m.get("num_segments"),
        "price": m.get("price"),
        "price_unit": m.get("price_unit"),
        "error_code": m.get("error_code"),
        "error_message": m.get("error_message"),
    }


def _twiml_say(text: str, voice: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<Response><Say voice="{voice}">{escaped}</Say></Response>'


class TwilioConnector(Connector):
    name = "twilio"
    title = "Twilio"
    category = "Messaging"
    description = "Send SMS, MMS and WhatsApp messages and place voice calls with Twilio."
    docs_url = "https://www.twilio.com/docs/messaging/api/message-resource"
    credentials_url = "https://console.twilio.com/"
    base_url = "https://api.twilio.com/2010-04-01"
    auth_kind = AuthKind.BASIC
    credential_fields = (
        CredentialField(
            "account_sid",
            "Account SID",
            secret=False,
            help="Console → Account Info",
            placeholder="AC...",
        ),
        CredentialField("auth_token", "Auth token", secret=True, help="Console → Account Info"),
        CredentialField(
            "default_from",
            "Default sender",
            secret=False,
            required=False,
            help="Your Twilio number (+1...) used when an action names no sender",
        ),
    )

    def validate_credentials(self) -> None:
        if not _ACCOUNT_SID.match(self.credential("account_sid")):
            raise ConfigurationError(
                "the Account SID (account_sid) must be AC followed by 32 hex digits",
                connector=self.name,
            )

    def http_auth(self) -> httpx.Auth:
        return httpx.BasicAuth(self.credential("account_sid"), self.credential("auth_token"))

    def _account(self, suffix: str) -> str:
        return f"Accounts/{quote(self.credential('account_sid'), safe='')}/{suffix}"

    def _sender(self, given: str | None) -> str:
        sender = given or self.credential("default_from")
        if not sender:
            raise InvalidInput(
                "no sender: give 'from' or set the account's default sender", fields=("from",)
            )
        return sender

    def _pages(self, url: str, params: dict[str, Any], key: str, limit: int) -> Iterator[Any]:
        """Follow ``next_page_uri`` (a path from the host root) until ``limit`` items."""
        root = self.http.base_url.copy_with(raw_path=b"/")
        next_url: str | httpx.URL | None = url
        query: dict[str, Any] | None = params
        count, seen = 0, set()
        while next_url is not None and count < limit:
            data = self._json(self.http.get(next_url, params=query))
            for item in data[key][: limit - count]:
                count += 1
                yield item
            uri = data.get("next_page_uri")
            query = None  # the next page URI carries the query
            next_url = root.join(uri) if uri and uri not in seen else None
            seen.add(uri)

    def check_credentials(self) -> str:
        account = self._json(self.http.get(f"Accounts/{self.credential('account_sid')}.json"))
        # The answer also holds the auth token: read only the fields we report.
        return (
            f"account {account.get('friendly_name', '?')!r} ({account.get('status', '?')}, "
            f"{account.get('type', '?')})"
        )

    @action(
        "send_sms",
        input=SendSmsInput,
        description="Send an SMS, MMS or WhatsApp message",
        output_keys=("sid", "status", "to", "from", "body", "date_created", "num_segments"),
    )
    def send_sms(self, inp: SendSmsInput) -> dict[str, Any]:
        form: dict[str, Any] = {"To": inp.to}
        if inp.messaging_service_sid:
            form["MessagingServiceSid"] = inp.messaging_service_sid
        if inp.from_ or not inp.messaging_service_sid:
            form["From"] = self._sender(inp.from_)
        if inp.body:
            form["Body"] = inp.body
        if inp.media_urls:
            form["MediaUrl"] = inp.media_urls
        if inp.status_callback:
            form["StatusCallback"] = inp.status_callback
        return _message(self._json(self.http.post(self._account("Messages.json"), data=form)))

    @action(
        "get_message",
        input=GetMessageInput,
        description="Read a message's delivery status, price and error, if any",
        output_keys=("sid", "status", "to", "from", "body", "error_code", "error_message"),
    )
    def get_message(self, inp: GetMessageInput) -> dict[str, Any]:
        return _message(self._json(self.http.get(self._account(f"Messages/{inp.sid}.json"))))

    @action(
        "list_messages",
        input=ListMessagesInput,
        description="List sent and received messages, newest first, optionally filtered",
        output_keys=("messages", "count"),
        paginated=True,
    )
    def list_messages(self, inp: ListMessagesInput) -> dict[str, Any]:
        params: dict[str, Any] = {"PageSize": min(_PAGE_SIZE, inp.limit)}
        if inp.to:
            params["To"] = inp.to
        if inp.from_:
            params["From"] = inp.from_
        if inp.sent_after:
            params["DateSent>"] = inp.sent_after
        pages = self._pages(self._account("Messages.json"), params, "messages", inp.limit)
        messages = [_message(m) for m in pages]
        return {"messages": messages, "count": len(messages)}

    @action(
        "make_call",
        input=MakeCallInput,
        description="Place a voice call that reads a text or runs TwiML from a URL",
        output_keys=("sid", "status", "to", "from"),
    )
    def make_call(self, inp: MakeCallInput) -> dict[str, Any]:
        form = {"To": inp.to, "From": self._sender(inp.from_)}
        if inp.say:
            form["Twiml"] = _twiml_say(inp.say, inp.voice)
        else:
            form["Url"] = str(inp.twiml_url)
        call = self._json(self.http.post(self._account("Calls.json"), data=form))
        return {
            "sid": call["sid"],
            "status": call.get("status"),
            "to": call.get("to"),
            "from": call.get("from"),
        }
