"""Airtable Web API with a personal access token.

Airtable publishes no machine-readable API description; requests follow the official
reference (airtable.com/developers/web/api) and the official SDK's query parameters.
Lists page with ``offset``; writes take at most 10 records per request, so larger
batches are split. A 429 means "wait 30 seconds" (Airtable sends no Retry-After), which
the shared client then honours.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.http import BearerAuth, iter_cursor
from connectors.rate_limits import add_response_hook, default_retry_after

__all__ = ["AirtableConnector"]

_PAGE_SIZE = 100  # Airtable's maximum pageSize
_WRITE_BATCH = 10  # Airtable's maximum records per create/update request
_penalty_hook = default_retry_after(30)  # "wait 30 seconds before subsequent requests"


class _TableInput(BaseModel):
    base_id: str = Field(min_length=1, description="Base ID (app...) from the base's URL")
    table: str = Field(min_length=1, description="Table name or ID (tbl...)")


class SortField(BaseModel):
    field: str = Field(min_length=1, description="Field name to sort by")
    direction: Literal["asc", "desc"] = "asc"


class ListRecordsInput(_TableInput):
    view: str | None = Field(None, description="Only records visible in this view, in its order")
    filter_by_formula: str | None = Field(
        None, description="An Airtable formula, e.g. {Status} = 'Open'"
    )
    fields: list[str] = Field(default_factory=list, description="Only these fields (all if empty)")
    sort: list[SortField] = Field(default_factory=list, description="Sort order")
    limit: int = Field(100, ge=1, le=100000, description="Maximum records to return")


class CreateRecordsInput(_TableInput):
    records: list[dict[str, Any]] = Field(
        min_length=1, description="Field values of each new record, by field name"
    )
    typecast: bool = Field(False, description="Let Airtable convert text to select options etc.")


class UpdateRecordInput(_TableInput):
    record_id: str = Field(min_length=1, description="Record ID (rec...)")
    fields: dict[str, Any] = Field(min_length=1, description="Field values to change")
    typecast: bool = Field(False, description="Let Airtable convert values")


class UpsertRecordsInput(_TableInput):
    records: list[dict[str, Any]] = Field(min_length=1, description="Field values per record")
    merge_on: list[str] = Field(
        min_length=1, max_length=3, description="Fields that identify an existing record"
    )
    typecast: bool = Field(False, description="Let Airtable convert values")


class GetRecordInput(_TableInput):
    record_id: str = Field(min_length=1, description="Record ID (rec...)")


class ListBasesInput(BaseModel):
    limit: int = Field(1000, ge=1, le=10000, description="Maximum bases to return")


def _record(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "created_time": r.get("createdTime"), "fields": r.get("fields") or {}}


def _batches(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _WRITE_BATCH):
        yield items[start : start + _WRITE_BATCH]


class AirtableConnector(Connector):
    name = "airtable"
    title = "Airtable"
    category = "Databases"
    description = "List, create, update and upsert records in Airtable bases."
    docs_url = "https://airtable.com/developers/web/api/introduction"
    credentials_url = "https://airtable.com/create/tokens"
    base_url = "https://api.airtable.com/v0"
    auth_kind = AuthKind.TOKEN
    credential_fields = (
        CredentialField(
            "api_token",
            "Personal access token",
            secret=True,
            help="Scopes data.records:read/write and schema.bases:read, with access to the bases",
            placeholder="pat...",
        ),
    )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("api_token"))

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, _penalty_hook)

    @staticmethod
    def _table_url(inp: _TableInput, record_id: str | None = None) -> str:
        url = f"{quote(inp.base_id, safe='')}/{quote(inp.table, safe='')}"
        return f"{url}/{quote(record_id, safe='')}" if record_id else url

    def check_credentials(self) -> str:
        me = self._json(self.http.get("meta/whoami"))
        scopes = me.get("scopes")
        detail = f" with scopes {', '.join(scopes)}" if scopes else ""
        return f"authenticated as user {me['id']}{detail}"

    @action(
        "list_records",
        input=ListRecordsInput,
        description="List records of a table, optionally filtered by a formula or a view",
        output_keys=("records", "count"),
        paginated=True,
    )
    def list_records(self, inp: ListRecordsInput) -> dict[str, Any]:
        params: dict[str, Any] = {"pageSize": min(_PAGE_SIZE, inp.limit)}
        if inp.view:
            params["view"] = inp.view
        if inp.filter_by_formula:
            params["filterByFormula"] = inp.filter_by_formula
        if inp.fields:
            params["fields[]"] = inp.fields
        for i, sort in enumerate(inp.sort):
            params[f"sort[{i}][field]"] = sort.field
            params[f"sort[{i}][direction]"] = sort.direction
        records = [
            _record(r)
            for r in iter_cursor(
                self.http,
                self._table_url(inp),
                params=params,
                cursor_param="offset",
                items=lambda d: d["records"],
                next_cursor=lambda d: d.get("offset"),
                parse=self._json,
                max_items=inp.limit,
            )
        ]
        return {"records": records, "count": len(records)}

    @action(
        "get_record",
        input=GetRecordInput,
        description="Read one record by its ID",
        output_keys=("id", "created_time", "fields"),
    )
    def get_record(self, inp: GetRecordInput) -> dict[str, Any]:
        return _record(self._json(self.http.get(self._table_url(inp, inp.record_id))))

    @action(
        "create_records",
        input=CreateRecordsInput,
        description="Create records (sent 10 per request, as Airtable requires)",
        output_keys=("records", "count"),
    )
    def create_records(self, inp: CreateRecordsInput) -> dict[str, Any]:
        created: list[dict[str, Any]] = []
        for batch in _batches(inp.records):
            body = {"records": [{"fields": f} for f in batch], "typecast": inp.typecast}
            data = self._json(self.http.post(self._table_url(inp), json=body))
            created += [_record(r) for r in data["records"]]
        return {"records": created, "count": len(created)}

    @action(
        "update_record",
        input=UpdateRecordInput,
        description="Change some fields of one record (others keep their values)",
        output_keys=("id", "created_time", "fields"),
    )
    def update_record(self, inp: UpdateRecordInput) -> dict[str, Any]:
        body = {"fields": inp.fields, "typecast": inp.typecast}
        return _record(self._json(self.http.patch(self._table_url(inp, inp.record_id), json=body)))

    @action(
        "upsert_records",
        input=UpsertRecordsInput,
        description="Update records matched on key fields, creating those not found",
        output_keys=("records", "created_ids", "updated_ids", "count"),
    )
    def upsert_records(self, inp: UpsertRecordsInput) -> dict[str, Any]:
        records: list[dict[str, Any]] = []
        created: list[str] = []
        updated: list[str] = []
        for batch in _batches(inp.records):
            body = {
                "performUpsert": {"fieldsToMergeOn": inp.merge_on},
                "records": [{"fields": f} for f in batch],
                "typecast": inp.typecast,
            }
            data = self._json(self.http.patch(self._table_url(inp), json=body))
            records += [_record(r) for r in data["records"]]
            created += data.get("createdRecords") or []
            updated += data.get("updatedRecords") or []
        return {
            "records": records,
            "created_ids": created,
            "updated_ids": updated,
            "count": len(records),
        }

    @action(
        "list_bases",
        input=ListBasesInput,
        description="List the bases the token can reach, with its permission level",
        output_keys=("bases", "count"),
        paginated=True,
    )
    def list_bases(self, inp: ListBasesInput) -> dict[str, Any]:
        bases = [
            {"id": b["id"], "name": b.get("name", ""), "permission_level": b.get("permissionLevel")}
            for b in iter_cursor(
                self.http,
                "meta/bases",
                cursor_param="offset",
                items=lambda d: d["bases"],
                next_cursor=lambda d: d.get("offset"),
                parse=self._json,
                max_items=inp.limit,
            )
        ]
        return {"bases": bases, "count": len(bases)}
