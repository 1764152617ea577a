"""Salesforce REST API v59.0 with an OAuth 2 access token (refreshed when it expires).

The org's instance URL (``https://acme.my.salesforce.com``) is a non-secret field. The
access token travels as ``Authorization: Bearer``; on a 401 :class:`OAuth2RefreshAuth`
runs one ``refresh_token`` grant against ``<instance>/services/oauth2/token`` and hands
the new token to the core (``on_token_refresh``), which stores it in the keyring.
SOQL queries page through ``nextRecordsUrl``. Salesforce reports errors as a JSON list
``[{"message", "errorCode"}]``; an exhausted daily API allowance is a 403 with
``REQUEST_LIMIT_EXCEEDED``, which a response hook turns into :class:`RateLimited`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from pydantic import BaseModel, Field

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import ConfigurationError, RateLimited, UnexpectedResponse
from connectors.http import OAuth2RefreshAuth, json_body
from connectors.rate_limits import add_response_hook

__all__ = ["API_VERSION", "SalesforceConnector"]

API_VERSION = "v59.0"
_INSTANCE = re.compile(r"^https://[A-Za-z0-9.-]+\.(?:salesforce|force)\.(?:com|mil)/?$")
_OBJECT = r"^[A-Za-z][A-Za-z0-9_]*$"  # Account, Contact, Invoice__c ...
_RECORD_ID = r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$"


def _request_limit_hook(response: httpx.Response) -> None:
    """A 403 REQUEST_LIMIT_EXCEEDED is the daily API allowance, not a permission fault."""
    if response.status_code != 403:
        return
    try:
        errors = json.loads(response.read())
    except ValueError:
        return
    items = errors if isinstance(errors, list) else []
    codes = {e.get("errorCode") for e in items if isinstance(e, dict)}
    if "REQUEST_LIMIT_EXCEEDED" in codes:
        response.close()
        raise RateLimited(
            "the org's daily API request limit is used up", status_code=403, retry_after=None
        )


class CreateRecordInput(BaseModel):
    object: str = Field(pattern=_OBJECT, description="sObject API name: Lead, Contact, Account...")
    fields: dict[str, Any] = Field(
        min_length=1, description='Field API name → value, e.g. {"LastName": "Doe"}'
    )


class UpdateRecordInput(BaseModel):
    object: str = Field(pattern=_OBJECT, description="sObject API name")
    record_id: str = Field(pattern=_RECORD_ID, description="15- or 18-character record id")
    fields: dict[str, Any] = Field(min_length=1, description="Field API name → new value")


class GetRecordInput(BaseModel):
    object: str = Field(pattern=_OBJECT, description="sObject API name")
    record_id: str = Field(pattern=_RECORD_ID, description="15- or 18-character record id")
    fields: list[str] = Field(
        default_factory=list, description="Fields to return; every field if empty"
    )


class QueryInput(BaseModel):
    soql: str = Field(
        min_length=1, description="SOQL, e.g. SELECT Id, Name FROM Account WHERE Industry = 'Tech'"
    )
    limit: int = Field(2000, ge=1, le=50000, description="Maximum records to return")


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """A record without Salesforce's ``attributes`` metadata (nested too)."""
    return {
        k: _plain(v) if isinstance(v, dict) else v for k, v in record.items() if k != "attributes"
    }


class SalesforceConnector(Connector):
    name = "salesforce"
    title = "Salesforce"
    category = "CRM"
    description = "Create, update and read Salesforce records and run SOQL queries."
    docs_url = "https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/"
    credentials_url = (
        "https://help.salesforce.com/s/articleView?id=sf.connected_app_create_api_integration.htm"
    )
    base_url = f"https://your-domain.my.salesforce.com/services/data/{API_VERSION}"
    auth_kind = AuthKind.OAUTH2
    tier = "v2"
    credential_fields = (
        CredentialField(
            "instance_url",
            "Instance URL",
            secret=False,
            placeholder="https://acme.my.salesforce.com",
            help="Your org's My Domain URL",
        ),
        CredentialField(
            "access_token",
            "Access token",
            secret=True,
            help="From the OAuth web-server flow of your connected app",
        ),
        CredentialField(
            "refresh_token",
            "Refresh token",
            secret=True,
            required=False,
            help="Lets the connection renew the access token; needs the refresh_token scope",
        ),
        CredentialField(
            "client_id", "Consumer key", secret=False, required=False, help="Connected app"
        ),
        CredentialField(
            "client_secret", "Consumer secret", secret=True, required=False, help="Connected app"
        ),
    )

    def _instance(self) -> str:
        return self.credential("instance_url").strip().rstrip("/")

    def validate_credentials(self) -> None:
        if not _INSTANCE.match(self._instance()):
            raise ConfigurationError(
                "the instance URL (instance_url) must look like https://acme.my.salesforce.com",
                connector=self.name,
            )
        if self.credential("refresh_token") and not self.credential("client_id"):
            raise ConfigurationError(
                "refreshing the access token needs the consumer key (client_id)",
                connector=self.name,
            )

    def resolved_base_url(self) -> str:
        return self.ctx.base_url or f"{self._instance()}/services/data/{API_VERSION}"

    def http_auth(self) -> httpx.Auth:
        return OAuth2RefreshAuth(
            access_token=self.credential("access_token"),
            refresh_token=self.credential("refresh_token") or None,
            token_url=f"{self._instance()}/services/oauth2/token",
            client_id=self.credential("client_id") or None,
            client_secret=self.credential("client_secret") or None,
            on_refresh=self.ctx.on_token_refresh,
        )

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, _request_limit_hook)

    def _json(self, response: httpx.Response) -> Any:
        return json_body(response, connector=self.name, secrets=self.secrets)

    def _object(self, response: httpx.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict):
            raise UnexpectedResponse("the answer is not a JSON object", connector=self.name)
        return data

    def check_credentials(self) -> str:
        limits = self._object(self.http.get("limits"))
        daily = limits["DailyApiRequests"]
        return f"API requests left today: {daily['Remaining']} of {daily['Max']}"

    @action(
        "create_record",
        input=CreateRecordInput,
        description="Create a record (Lead, Contact, Account, Opportunity, custom object...)",
        output_keys=("id", "object"),
    )
    def create_record(self, inp: CreateRecordInput) -> dict[str, Any]:
        made = self._object(self.http.post(f"sobjects/{inp.object}", json=inp.fields))
        if made.get("success") is False:  # errors normally come as a 400 list instead
            detail = "; ".join(str(e.get("message")) for e in made.get("errors") or [])
            raise UnexpectedResponse(f"the record was not created: {detail}", connector=self.name)
        return {"id": made["id"], "object": inp.object}

    @action(
        "update_record",
        input=UpdateRecordInput,
        description="Change fields of a record",
        output_keys=("id", "object", "updated"),
    )
    def update_record(self, inp: UpdateRecordInput) -> dict[str, Any]:
        response = self.http.patch(f"sobjects/{inp.object}/{inp.record_id}", json=inp.fields)
        if response.status_code != 204:  # a 200 login or proxy page means nothing changed
            self._object(response)
        return {"id": inp.record_id, "object": inp.object, "updated": sorted(inp.fields)}

    @action(
        "get_record",
        input=GetRecordInput,
        description="Read a record's fields",
        output_keys=("id", "object", "record"),
    )
    def get_record(self, inp: GetRecordInput) -> dict[str, Any]:
        params = {"fields": ",".join(inp.fields)} if inp.fields else None
        record = self._object(
            self.http.get(f"sobjects/{inp.object}/{inp.record_id}", params=params)
        )
        return {
            "id": record.get("Id", inp.record_id),
            "object": inp.object,
            "record": _plain(record),
        }

    @action(
        "query",
        input=QueryInput,
        description="Run a SOQL query and return the matching records",
        output_keys=("records", "count", "total_size"),
        paginated=True,
    )
    def query(self, inp: QueryInput) -> dict[str, Any]:
        page = self._object(self.http.get("query", params={"q": inp.soql}))
        total = int(page.get("totalSize") or 0)
        records: list[dict[str, Any]] = []
        seen: set[str] = set()
        # Salesforce pages through nextRecordsUrl, an absolute path on the instance.
        while True:
            records += [_plain(r) for r in page["records"][: inp.limit - len(records)]]
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url or next_url in seen:
                break
            if len(records) >= inp.limit:
                break
            seen.add(next_url)
            absolute = httpx.URL(self.resolved_base_url()).join(next_url)
            page = self._object(self.http.get(str(absolute)))
        return {"records": records, "count": len(records), "total_size": total}
