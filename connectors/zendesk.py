"""Zendesk Support API v2 with an agent's e-mail address and an API token.

The account lives at ``https://<subdomain>.zendesk.com`` (a non-secret credential
field). API tokens use HTTP basic auth with ``<email>/token`` as the user name and the
token as the password. Ticket lists use Zendesk's cursor pagination (``page[size]``,
``page[after]``, ``meta.has_more``); search uses ``page``/``per_page`` and stops at
Zendesk's 1,000-result cap. 429s carry ``Retry-After``, honoured by the shared client.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.error_text import zendesk_error_text
from connectors.errors import AuthError, ConfigurationError
from connectors.http import iter_cursor, iter_pages

__all__ = ["ZendeskConnector"]

_PAGE_SIZE = 100  # Zendesk's maximum page[size] and per_page
_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Status = Literal["new", "open", "pending", "hold", "solved", "closed"]
Priority = Literal["urgent", "high", "normal", "low"]
TicketType = Literal["problem", "incident", "question", "task"]


class Requester(BaseModel):
    email: str = Field(pattern=_EMAIL.pattern, description="Requester's e-mail address")
    name: str | None = Field(None, description="Requester's name (for a new user)")


class CreateTicketInput(BaseModel):
    subject: str = Field(min_length=1, description="Ticket subject")
    body: str = Field(min_length=1, description="First comment (the description)")
    requester: Requester | None = Field(None, description="Who asked; the agent if empty")
    priority: Priority | None = Field(None, description="urgent, high, normal or low")
    type: TicketType | None = Field(None, description="problem, incident, question or task")
    tags: list[str] = Field(default_factory=list, description="Tags to set")
    assignee_id: int | None = Field(None, description="Agent user id to assign")
    group_id: int | None = Field(None, description="Group id to assign")


class UpdateTicketInput(BaseModel):
    ticket_id: int = Field(ge=1, description="Ticket number")
    status: Status | None = Field(None, description="New status")
    priority: Priority | None = Field(None, description="New priority")
    assignee_id: int | None = Field(None, description="Agent user id to assign")
    group_id: int | None = Field(None, description="Group id to assign")
    tags: list[str] | None = Field(None, description="Replace the tags with these")
    subject: str | None = Field(None, min_length=1, description="New subject")

    @model_validator(mode="after")
    def _something(self) -> UpdateTicketInput:
        if not self.model_dump(exclude_none=True, exclude={"ticket_id"}):
            raise ValueError("give at least one field to change")
        return self


class AddCommentInput(BaseModel):
    ticket_id: int = Field(ge=1, description="Ticket number")
    body: str = Field(min_length=1, description="Comment text")
    public: bool = Field(True, description="Visible to the requester (false = internal note)")
    status: Status | None = Field(None, description="Also set this status")


class GetTicketInput(BaseModel):
    ticket_id: int = Field(ge=1, description="Ticket number")


class ListTicketsInput(BaseModel):
    sort: Literal["updated_at", "-updated_at", "id", "-id"] = Field(
        "-updated_at", description="Order: updated_at, id; '-' for newest first"
    )
    limit: int = Field(100, ge=1, le=10000, description="Maximum tickets to return")


class SearchTicketsInput(BaseModel):
    query: str = Field(
        min_length=1, description="Zendesk search terms, e.g. 'status:open priority:urgent'"
    )
    limit: int = Field(100, ge=1, le=1000, description="Maximum tickets (Zendesk caps at 1000)")


def _ticket(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": t["id"],
        "subject": t.get("subject") or "",
        "status": t.get("status"),
        "priority": t.get("priority"),
        "requester_id": t.get("requester_id"),
        "assignee_id": t.get("assignee_id"),
        "tags": list(t.get("tags") or []),
        "updated_at": t.get("updated_at"),
    }


_TICKET_KEYS = (
    "id",
    "subject",
    "status",
    "priority",
    "requester_id",
    "assignee_id",
    "tags",
    "updated_at",
)


class ZendeskConnector(Connector):
    name = "zendesk"
    title = "Zendesk Support"
    category = "Support"
    description = "Create, update, comment on, list and search Zendesk tickets."
    docs_url = "https://developer.zendesk.com/api-reference/ticketing/introduction/"
    credentials_url = "https://support.zendesk.com/hc/en-us/articles/4408889192858-Managing-access-to-the-Zendesk-API"
    base_url = "https://{subdomain}.zendesk.com/api/v2"
    auth_kind = AuthKind.BASIC
    tier = "v2"
    credential_fields = (
        CredentialField(
            "subdomain",
            "Subdomain",
            secret=False,
            help="The 'acme' in acme.zendesk.com",
            placeholder="acme",
        ),
        CredentialField("email", "Agent e-mail", secret=False, help="The agent the token acts for"),
        CredentialField(
            "api_token",
            "API token",
            secret=True,
            help="Admin Center → Apps and integrations → APIs → Zendesk API → Add API token",
        ),
    )

    def _subdomain(self) -> str:
        value = self.credential("subdomain").strip().lower()
        return value.removeprefix("https://").removesuffix("/").removesuffix(".zendesk.com")

    def validate_credentials(self) -> None:
        if not _SUBDOMAIN.match(self._subdomain()):
            raise ConfigurationError(
                "the subdomain (subdomain) must be the 'acme' of acme.zendesk.com",
                connector=self.name,
            )
        if not _EMAIL.match(self.credential("email").strip()):
            raise ConfigurationError(
                "the agent e-mail (email) is not an e-mail address", connector=self.name
            )

    def resolved_base_url(self) -> str:
        return self.ctx.base_url or self.base_url.format(subdomain=self._subdomain())

    def http_auth(self) -> httpx.Auth:
        user = f"{self.credential('email').strip()}/token"
        return httpx.BasicAuth(user, self.credential("api_token").strip())

    def error_text(self, body: Any) -> str | None:
        # Validation reasons sit in "details": {"field": [{"description"}]}.
        return zendesk_error_text(body)

    def check_credentials(self) -> str:
        user = self._json(self.http.get("users/me"))["user"]
        # Without valid credentials Zendesk may describe an anonymous user (id null).
        if user.get("id") is None:
            raise AuthError("Zendesk did not recognise the credentials", connector=self.name)
        return f"authenticated as {user.get('name', '?')} ({user.get('role', '?')})"

    @action(
        "create_ticket",
        input=CreateTicketInput,
        description="Open a ticket with a first comment",
        output_keys=_TICKET_KEYS,
    )
    def create_ticket(self, inp: CreateTicketInput) -> dict[str, Any]:
        ticket: dict[str, Any] = {"subject": inp.subject, "comment": {"body": inp.body}}
        if inp.requester is not None:
            ticket["requester"] = inp.requester.model_dump(exclude_none=True)
        for key in ("priority", "type", "assignee_id", "group_id"):
            value = getattr(inp, key)
            if value is not None:
                ticket[key] = value
        if inp.tags:
            ticket["tags"] = inp.tags
        data = self._json(self.http.post("tickets", json={"ticket": ticket}))
        return _ticket(data["ticket"])

    @action(
        "update_ticket",
        input=UpdateTicketInput,
        description="Change a ticket's status, priority, assignee, group, tags or subject",
        output_keys=_TICKET_KEYS,
    )
    def update_ticket(self, inp: UpdateTicketInput) -> dict[str, Any]:
        ticket = inp.model_dump(exclude_none=True, exclude={"ticket_id"})
        data = self._json(self.http.put(f"tickets/{inp.ticket_id}", json={"ticket": ticket}))
        return _ticket(data["ticket"])

    @action(
        "add_comment",
        input=AddCommentInput,
        description="Reply publicly or add an internal note to a ticket",
        output_keys=(*_TICKET_KEYS, "audit_id"),
    )
    def add_comment(self, inp: AddCommentInput) -> dict[str, Any]:
        ticket: dict[str, Any] = {"comment": {"body": inp.body, "public": inp.public}}
        if inp.status:
            ticket["status"] = inp.status
        data = self._json(self.http.put(f"tickets/{inp.ticket_id}", json={"ticket": ticket}))
        return {**_ticket(data["ticket"]), "audit_id": (data.get("audit") or {}).get("id")}

    @action(
        "get_ticket",
        input=GetTicketInput,
        description="Read a ticket's subject, status, priority, people, tags and description",
        output_keys=(*_TICKET_KEYS, "description"),
    )
    def get_ticket(self, inp: GetTicketInput) -> dict[str, Any]:
        ticket = self._json(self.http.get(f"tickets/{inp.ticket_id}"))["ticket"]
        return {**_ticket(ticket), "description": ticket.get("description") or ""}

    @action(
        "list_tickets",
        input=ListTicketsInput,
        description="List tickets, most recently updated first",
        output_keys=("tickets", "count"),
        paginated=True,
    )
    def list_tickets(self, inp: ListTicketsInput) -> dict[str, Any]:
        tickets = [
            _ticket(t)
            for t in iter_cursor(
                self.http,
                "tickets",
                params={"page[size]": min(_PAGE_SIZE, inp.limit), "sort": inp.sort},
                items=lambda d: d["tickets"],
                next_cursor=lambda d: (
                    d["meta"].get("after_cursor") if (d.get("meta") or {}).get("has_more") else None
                ),
                cursor_param="page[after]",
                parse=self._json,
                max_items=inp.limit,
            )
        ]
        return {"tickets": tickets, "count": len(tickets)}

    @action(
        "search_tickets",
        input=SearchTicketsInput,
        description="Find tickets with Zendesk search syntax",
        output_keys=("tickets", "count"),
        paginated=True,
    )
    def search_tickets(self, inp: SearchTicketsInput) -> dict[str, Any]:
        tickets = [
            _ticket(t)
            for t in iter_pages(
                self.http,
                "search",
                params={"query": f"type:ticket {inp.query}"},
                items=lambda d: d["results"],
                page_size=min(_PAGE_SIZE, inp.limit),
                parse=self._json,
                max_items=inp.limit,
            )
        ]
        return {"tickets": tickets, "count": len(tickets)}
