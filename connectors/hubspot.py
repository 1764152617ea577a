"""HubSpot CRM v3 with a private app access token (``Authorization: Bearer pat-...``).

Records are ``{"id", "properties": {...}, "createdAt", "updatedAt", "archived"}``;
property values are strings. Lists and searches page with an ``after`` cursor from
``paging.next.after`` (a query parameter for GET lists, a body field for searches).
Errors are ``{"status": "error", "message", "category", "correlationId"}`` with a
proper HTTP status, so the shared error table applies; a 429 of the daily policy is
reported at once instead of being retried.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import ConfigurationError, RateLimited
from connectors.http import BearerAuth, iter_cursor
from connectors.rate_limits import add_response_hook

__all__ = ["DEAL_TO_CONTACT", "HubSpotConnector"]

_PAGE_SIZE = 100  # the maximum for searches and lists
_SEARCH_CAP = 10000  # HubSpot returns at most 10,000 results per search
DEAL_TO_CONTACT = 3  # HubSpot-defined association type id: deal → contact
_CONTACT_PROPERTIES = ["email", "firstname", "lastname", "phone", "company", "lifecyclestage"]


def _daily_limit_hook(response: httpx.Response) -> None:
    """A 429 for the DAILY policy lasts until midnight: fail at once instead of retrying.

    The ten-second policy (``TEN_SECONDLY_ROLLING``) is left to the shared retries.
    """
    if response.status_code != 429:
        return
    try:
        body = json.loads(response.read())
    except ValueError:
        return
    if isinstance(body, dict) and body.get("policyName") == "DAILY":
        response.close()
        raise RateLimited(
            "the HubSpot account's daily API limit is used up; it resets at midnight "
            "in the account's time zone",
            status_code=429,
        )


Operator = Literal[
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
]


class CreateContactInput(BaseModel):
    email: str | None = Field(None, description="E-mail address (HubSpot's unique key)")
    firstname: str | None = Field(None, description="First name")
    lastname: str | None = Field(None, description="Last name")
    phone: str | None = Field(None, description="Phone number")
    company: str | None = Field(None, description="Company name")
    properties: dict[str, str] = Field(
        default_factory=dict, description="Other contact properties by internal name"
    )


class UpdateContactInput(BaseModel):
    contact_id: str = Field(min_length=1, description="HubSpot record id")
    properties: dict[str, str] = Field(
        min_length=1, description="Properties to set, by internal name (e.g. lifecyclestage)"
    )


class GetContactInput(BaseModel):
    contact_id: str = Field(min_length=1, description="HubSpot record id")
    properties: list[str] = Field(
        default_factory=lambda: list(_CONTACT_PROPERTIES), description="Properties to return"
    )


class Filter(BaseModel):
    property: str = Field(min_length=1, description="Internal property name, e.g. email")
    operator: Operator = Field("EQ", description="EQ, NEQ, LT, GT, CONTAINS_TOKEN, ...")
    value: str | None = Field(None, description="Value to compare with (not for HAS_PROPERTY)")


class SearchContactsInput(BaseModel):
    filters: list[Filter] = Field(
        default_factory=list, description="All must match (AND); empty = every contact"
    )
    query: str | None = Field(None, description="Free text over the default searchable fields")
    properties: list[str] = Field(
        default_factory=lambda: list(_CONTACT_PROPERTIES), description="Properties to return"
    )
    limit: int = Field(100, ge=1, le=_SEARCH_CAP, description="Maximum contacts to return")


class CreateDealInput(BaseModel):
    dealname: str = Field(min_length=1, description="Deal name")
    amount: Decimal | None = Field(None, ge=0, description="Deal amount")
    dealstage: str | None = Field(None, description="Stage id, e.g. appointmentscheduled")
    pipeline: str = Field("default", description="Pipeline id")
    closedate: str | None = Field(None, description="Expected close date (ISO 8601)")
    contact_ids: list[str] = Field(default_factory=list, description="Contacts to associate")
    properties: dict[str, str] = Field(default_factory=dict, description="Other deal properties")


def _record(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "properties": dict(r.get("properties") or {}),
        "created_at": r.get("createdAt"),
        "updated_at": r.get("updatedAt"),
    }


_RECORD_KEYS = ("id", "properties", "created_at", "updated_at")


class HubSpotConnector(Connector):
    name = "hubspot"
    title = "HubSpot"
    category = "CRM"
    description = "Create, update and search HubSpot contacts and create deals."
    docs_url = "https://developers.hubspot.com/docs/api/crm/understanding-the-crm"
    credentials_url = "https://developers.hubspot.com/docs/api/private-apps"
    base_url = "https://api.hubapi.com"
    auth_kind = AuthKind.TOKEN
    tier = "v2"
    credential_fields = (
        CredentialField(
            "access_token",
            "Private app access token",
            secret=True,
            help="Settings → Integrations → Private Apps → your app → Access token",
            placeholder="pat-na1-...",
        ),
    )

    def validate_credentials(self) -> None:
        if not self.credential("access_token").startswith("pat-"):
            raise ConfigurationError(
                "the private app access token (access_token) must start with pat-",
                connector=self.name,
            )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("access_token"))

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, _daily_limit_hook)

    def check_credentials(self) -> str:
        info = self._json(self.http.get("account-info/v3/details"))
        return f"connected to HubSpot account {info['portalId']} ({info.get('accountType', '?')})"

    @action(
        "create_contact",
        input=CreateContactInput,
        description="Create a contact",
        output_keys=_RECORD_KEYS,
    )
    def create_contact(self, inp: CreateContactInput) -> dict[str, Any]:
        props = {**inp.properties, **inp.model_dump(exclude_none=True, exclude={"properties"})}
        made = self._json(self.http.post("crm/v3/objects/contacts", json={"properties": props}))
        return _record(made)

    @action(
        "update_contact",
        input=UpdateContactInput,
        description="Set properties of a contact",
        output_keys=_RECORD_KEYS,
    )
    def update_contact(self, inp: UpdateContactInput) -> dict[str, Any]:
        body = {"properties": inp.properties}
        return _record(
            self._json(self.http.patch(f"crm/v3/objects/contacts/{inp.contact_id}", json=body))
        )

    @action(
        "get_contact",
        input=GetContactInput,
        description="Read a contact's properties",
        output_keys=_RECORD_KEYS,
    )
    def get_contact(self, inp: GetContactInput) -> dict[str, Any]:
        params = {"properties": ",".join(inp.properties)}
        return _record(
            self._json(self.http.get(f"crm/v3/objects/contacts/{inp.contact_id}", params=params))
        )

    @action(
        "search_contacts",
        input=SearchContactsInput,
        description="Find contacts by property filters or free text",
        output_keys=("contacts", "count"),
        paginated=True,
    )
    def search_contacts(self, inp: SearchContactsInput) -> dict[str, Any]:
        body: dict[str, Any] = {
            "properties": inp.properties,
            "limit": min(_PAGE_SIZE, inp.limit),
        }
        if inp.filters:
            filters = [
                {"propertyName": f.property, "operator": f.operator}
                | ({"value": f.value} if f.value is not None else {})
                for f in inp.filters
            ]
            body["filterGroups"] = [{"filters": filters}]
        if inp.query:
            body["query"] = inp.query
        contacts = [
            _record(r)
            for r in iter_cursor(
                self.http,
                "crm/v3/objects/contacts/search",
                method="POST",
                body=body,
                cursor_in="json",
                cursor_param="after",
                items=lambda d: d["results"],
                next_cursor=lambda d: ((d.get("paging") or {}).get("next") or {}).get("after"),
                parse=self._json,
                max_items=inp.limit,
            )
        ]
        return {"contacts": contacts, "count": len(contacts)}

    @action(
        "create_deal",
        input=CreateDealInput,
        description="Create a deal, optionally associated with contacts",
        output_keys=_RECORD_KEYS,
    )
    def create_deal(self, inp: CreateDealInput) -> dict[str, Any]:
        props: dict[str, str] = {**inp.properties, "dealname": inp.dealname}
        props["pipeline"] = inp.pipeline
        if inp.amount is not None:
            props["amount"] = str(inp.amount)
        if inp.dealstage:
            props["dealstage"] = inp.dealstage
        if inp.closedate:
            props["closedate"] = inp.closedate
        body: dict[str, Any] = {"properties": props}
        if inp.contact_ids:
            kind = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": DEAL_TO_CONTACT}
            body["associations"] = [{"to": {"id": cid}, "types": [kind]} for cid in inp.contact_ids]
        return _record(self._json(self.http.post("crm/v3/objects/deals", json=body)))
