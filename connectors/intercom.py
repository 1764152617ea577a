"""Intercom REST API, pinned to ``Intercom-Version: 2.16``, with an access token.

Workspaces hosted in the EU or Australia answer on their own hosts (the ``region``
field). Searches page with a ``starting_after`` cursor sent back inside the body's
``pagination`` object; the next one comes in ``pages.next.starting_after``. A 429
carries ``X-RateLimit-Reset`` (epoch seconds); a response hook turns it into the
``Retry-After`` the shared client honours. Errors come as
``{"type": "error.list", "errors": [{"code", "message"}]}`` with a proper status.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import ConfigurationError
from connectors.http import BearerAuth
from connectors.rate_limits import add_response_hook, epoch_reset_retry_after

__all__ = ["API_VERSION", "IntercomConnector"]

API_VERSION = "2.16"
_HOSTS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}
_PAGE_SIZE = 150  # Intercom's maximum per_page for searches
_RESET_HOOK = epoch_reset_retry_after(statuses=frozenset({429}))


class CreateContactInput(BaseModel):
    role: Literal["user", "lead"] = Field("user", description="user (signed up) or lead")
    email: str | None = Field(None, description="E-mail address")
    external_id: str | None = Field(None, description="Your own id for the user")
    name: str | None = Field(None, description="Full name")
    phone: str | None = Field(None, description="Phone number")
    custom_attributes: dict[str, Any] = Field(
        default_factory=dict, description="Custom data attributes (already defined in Intercom)"
    )


class UpdateContactInput(BaseModel):
    contact_id: str = Field(min_length=1, description="Intercom contact id")
    email: str | None = Field(None, description="New e-mail address")
    name: str | None = Field(None, description="New name")
    phone: str | None = Field(None, description="New phone number")
    custom_attributes: dict[str, Any] = Field(
        default_factory=dict, description="Custom attributes to set"
    )


class GetContactInput(BaseModel):
    contact_id: str = Field(min_length=1, description="Intercom contact id")


class SearchContactsInput(BaseModel):
    field: str = Field("email", min_length=1, description="Contact field, e.g. email, role")
    operator: Literal["=", "!=", "IN", "NIN", "<", ">", "~", "!~", "^", "$"] = Field(
        "=", description="Comparison (~ contains, ^ starts with, $ ends with)"
    )
    value: str | int | bool | list[str] = Field(description="Value to compare with")
    limit: int = Field(50, ge=1, le=10000, description="Maximum contacts to return")


class ReplyInput(BaseModel):
    conversation_id: str = Field(min_length=1, description="Conversation id")
    body: str = Field(min_length=1, description="Reply text (HTML allowed)")
    note: bool = Field(False, description="An internal note instead of a reply to the contact")
    admin_id: str | None = Field(None, description="Replying teammate; the token's admin if empty")


class SendMessageInput(BaseModel):
    contact_id: str = Field(min_length=1, description="Recipient contact id")
    contact_role: Literal["user", "lead"] = Field("user", description="The contact's role")
    message_type: Literal["in_app", "email"] = Field("in_app", description="in_app or email")
    subject: str | None = Field(None, description="Subject (needed for e-mail)")
    body: str = Field(min_length=1, description="Message text (HTML allowed)")
    admin_id: str | None = Field(None, description="Sending teammate; the token's admin if empty")

    @model_validator(mode="after")
    def _email_subject(self) -> SendMessageInput:
        if self.message_type == "email" and not self.subject:
            raise ValueError("an e-mail message needs a subject")
        return self


def _contact(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "role": c.get("role"),
        "email": c.get("email"),
        "name": c.get("name"),
        "external_id": c.get("external_id"),
        "created_at": c.get("created_at"),
    }


_CONTACT_KEYS = ("id", "role", "email", "name", "external_id", "created_at")


class IntercomConnector(Connector):
    name = "intercom"
    title = "Intercom"
    category = "Support"
    description = "Create, update and search Intercom contacts, reply to conversations, message."
    docs_url = "https://developers.intercom.com/docs/references/rest-api/api.intercom.io"
    credentials_url = "https://app.intercom.com/a/apps/_/developer-hub"
    base_url = _HOSTS["us"]
    auth_kind = AuthKind.TOKEN
    tier = "v2"
    credential_fields = (
        CredentialField(
            "access_token",
            "Access token",
            secret=True,
            help="Developer Hub → your app → Configure → Authentication",
        ),
        CredentialField(
            "region",
            "Data region",
            secret=False,
            required=False,
            default="us",
            help="us, eu or au: where the workspace is hosted",
        ),
    )

    def validate_credentials(self) -> None:
        if self.credential("region").strip().lower() not in _HOSTS:
            raise ConfigurationError(
                "the data region (region) must be us, eu or au", connector=self.name
            )

    def resolved_base_url(self) -> str:
        return self.ctx.base_url or _HOSTS[self.credential("region").strip().lower()]

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("access_token"))

    def http_headers(self) -> dict[str, str]:
        return {"Intercom-Version": API_VERSION}

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, _RESET_HOOK)

    def _me(self) -> dict[str, Any]:
        return self._json(self.http.get("me"))

    def _admin_id(self, given: str | None) -> str:
        return given or str(self._me()["id"])

    def check_credentials(self) -> str:
        me = self._me()
        app = (me.get("app") or {}).get("name", "?")
        return f"authenticated as {me.get('name', '?')} in workspace {app}"

    @action(
        "create_contact",
        input=CreateContactInput,
        description="Create a user or lead",
        output_keys=_CONTACT_KEYS,
    )
    def create_contact(self, inp: CreateContactInput) -> dict[str, Any]:
        body = inp.model_dump(exclude_none=True)
        if not body.get("custom_attributes"):
            body.pop("custom_attributes", None)
        return _contact(self._json(self.http.post("contacts", json=body)))

    @action(
        "update_contact",
        input=UpdateContactInput,
        description="Change a contact's e-mail, name, phone or custom attributes",
        output_keys=_CONTACT_KEYS,
    )
    def update_contact(self, inp: UpdateContactInput) -> dict[str, Any]:
        body = inp.model_dump(exclude_none=True, exclude={"contact_id"})
        if not body.get("custom_attributes"):
            body.pop("custom_attributes", None)
        return _contact(self._json(self.http.put(f"contacts/{inp.contact_id}", json=body)))

    @action(
        "get_contact",
        input=GetContactInput,
        description="Read a contact",
        output_keys=(*_CONTACT_KEYS, "custom_attributes"),
    )
    def get_contact(self, inp: GetContactInput) -> dict[str, Any]:
        contact = self._json(self.http.get(f"contacts/{inp.contact_id}"))
        return {**_contact(contact), "custom_attributes": contact.get("custom_attributes") or {}}

    @action(
        "search_contacts",
        input=SearchContactsInput,
        description="Find contacts by a field (e-mail, role, custom attribute...)",
        output_keys=("contacts", "count", "total_count"),
        paginated=True,
    )
    def search_contacts(self, inp: SearchContactsInput) -> dict[str, Any]:
        query = {"field": inp.field, "operator": inp.operator, "value": inp.value}
        pagination: dict[str, Any] = {"per_page": min(_PAGE_SIZE, inp.limit)}
        contacts: list[dict[str, Any]] = []
        seen: set[str] = set()
        total = 0
        # The cursor lives inside the body's "pagination" object, out of iter_cursor's reach.
        while True:
            body = {"query": query, "pagination": pagination}
            data = self._json(self.http.post("contacts/search", json=body))
            total = int(data.get("total_count") or 0)
            contacts += [_contact(c) for c in data["data"][: inp.limit - len(contacts)]]
            cursor = ((data.get("pages") or {}).get("next") or {}).get("starting_after")
            if not cursor or cursor in seen or len(contacts) >= inp.limit:
                break
            seen.add(cursor)
            pagination = {**pagination, "starting_after": cursor}
        return {"contacts": contacts, "count": len(contacts), "total_count": total}

    @action(
        "reply_to_conversation",
        input=ReplyInput,
        description="Reply to a conversation as a teammate, or add an internal note",
        output_keys=("conversation_id", "state", "updated_at"),
    )
    def reply_to_conversation(self, inp: ReplyInput) -> dict[str, Any]:
        body = {
            "message_type": "note" if inp.note else "comment",
            "type": "admin",
            "admin_id": self._admin_id(inp.admin_id),
            "body": inp.body,
        }
        conv = self._json(self.http.post(f"conversations/{inp.conversation_id}/reply", json=body))
        return {
            "conversation_id": conv["id"],
            "state": conv.get("state"),
            "updated_at": conv.get("updated_at"),
        }

    @action(
        "send_message",
        input=SendMessageInput,
        description="Send an in-app or e-mail message from a teammate to a contact",
        output_keys=("id", "message_type", "conversation_id", "created_at"),
    )
    def send_message(self, inp: SendMessageInput) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_type": inp.message_type,
            "body": inp.body,
            "from": {"type": "admin", "id": self._admin_id(inp.admin_id)},
            "to": {"type": inp.contact_role, "id": inp.contact_id},
        }
        if inp.subject:
            body["subject"] = inp.subject
        made = self._json(self.http.post("messages", json=body))
        return {
            "id": made["id"],
            "message_type": made.get("message_type"),
            "conversation_id": made.get("conversation_id"),
            "created_at": made.get("created_at"),
        }
