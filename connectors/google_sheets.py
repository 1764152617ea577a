"""Google Sheets API v4 with an OAuth 2 access token (refreshed when a refresh token is set).

With a refresh token plus the OAuth client's id and secret, a 401 triggers one
``refresh_token`` grant at Google's token endpoint and the new access token is handed
to the core (``on_token_refresh``) for the keyring. With only an access token the
connector works until that token expires (about an hour), then reports AuthError.

The Sheets API has no "who am I" call, so the connection test opens the account's
spreadsheet (``spreadsheet_id``), which is also the default target of every action.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import ConfigurationError
from connectors.http import OAuth2RefreshAuth

__all__ = ["TOKEN_URL", "GoogleSheetsConnector"]

TOKEN_URL = "https://oauth2.googleapis.com/token"
_START_ROW = re.compile(r"![A-Za-z]*(\d+)")  # "Sheet1!A2:D9" -> 2

Cell = str | int | float | bool | None
ValueInput = Literal["RAW", "USER_ENTERED"]


class _SheetInput(BaseModel):
    spreadsheet_id: str | None = Field(
        None, description="Spreadsheet ID from its URL; the account's spreadsheet if empty"
    )


class AppendRowsInput(_SheetInput):
    range: str = Field(
        "Sheet1", min_length=1, description="Sheet name or A1 range of the table to append to"
    )
    rows: list[list[Cell]] = Field(min_length=1, description="Rows to add, each a list of cells")
    value_input: ValueInput = Field(
        "USER_ENTERED", description="USER_ENTERED parses formulas and dates like typing; RAW not"
    )


class ReadRowsInput(_SheetInput):
    range: str = Field("Sheet1", min_length=1, description="Sheet name or A1 range to read")
    header: bool = Field(True, description="The first row holds column names (gives records)")
    where: dict[str, str] = Field(
        default_factory=dict, description="Keep only records whose columns equal these values"
    )

    @model_validator(mode="after")
    def _where_needs_header(self) -> ReadRowsInput:
        if self.where and not self.header:
            raise ValueError("'where' filters records, so it needs header=true")
        return self


class UpdateRangeInput(_SheetInput):
    range: str = Field(min_length=1, description="A1 range to overwrite, e.g. Sheet1!B2:C3")
    rows: list[list[Cell]] = Field(min_length=1, description="New cell values, row by row")
    value_input: ValueInput = Field("USER_ENTERED", description="USER_ENTERED or RAW")


class ClearRangeInput(_SheetInput):
    range: str = Field(min_length=1, description="A1 range whose values to clear")


class ListSheetsInput(_SheetInput):
    pass


class CreateSpreadsheetInput(BaseModel):
    title: str = Field(min_length=1, description="Title of the new spreadsheet")
    sheet_titles: list[str] = Field(
        default_factory=list, description="Names of its tabs; one 'Sheet1' when empty"
    )


def _start_row(a1_range: str) -> int:
    match = _START_ROW.search(a1_range)
    return int(match.group(1)) if match else 1


def _records(
    values: list[list[Any]], first_row: int, where: dict[str, str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Rows as dicts keyed by the header row, each with its sheet ``_row`` number."""
    if not values:
        return [], []
    columns = [str(c) for c in values[0]]
    records = []
    for offset, row in enumerate(values[1:], start=1):
        record: dict[str, Any] = {
            c: (row[i] if i < len(row) else "") for i, c in enumerate(columns)
        }
        if all(str(record.get(k, "")) == v for k, v in where.items()):
            records.append({**record, "_row": first_row + offset})
    return columns, records


class GoogleSheetsConnector(Connector):
    name = "google_sheets"
    title = "Google Sheets"
    category = "Productivity"
    description = "Append, read, update and clear rows in Google Sheets spreadsheets."
    docs_url = "https://developers.google.com/workspace/sheets/api/reference/rest"
    credentials_url = "https://console.cloud.google.com/apis/credentials"
    base_url = "https://sheets.googleapis.com/v4"
    auth_kind = AuthKind.OAUTH2
    tier = "core"
    credential_fields = (
        CredentialField("access_token", "OAuth access token", secret=True, placeholder="ya29...."),
        CredentialField(
            "refresh_token",
            "OAuth refresh token",
            secret=True,
            required=False,
            help="Lets the app renew the access token; needs the client ID and secret",
            placeholder="1//...",
        ),
        CredentialField(
            "client_id",
            "OAuth client ID",
            secret=False,
            required=False,
            placeholder="....apps.googleusercontent.com",
        ),
        CredentialField("client_secret", "OAuth client secret", secret=True, required=False),
        CredentialField(
            "spreadsheet_id",
            "Spreadsheet ID",
            secret=False,
            help="The long ID in the spreadsheet's URL; the connection test opens it",
        ),
    )

    def validate_credentials(self) -> None:
        if self.credential("refresh_token") and not (
            self.credential("client_id") and self.credential("client_secret")
        ):
            raise ConfigurationError(
                "a refresh token needs the OAuth client ID (client_id) and client "
                "secret (client_secret) it was issued to",
                connector=self.name,
            )

    def http_auth(self) -> httpx.Auth:
        return OAuth2RefreshAuth(
            access_token=self.credential("access_token"),
            refresh_token=self.credential("refresh_token") or None,
            token_url=TOKEN_URL,
            client_id=self.credential("client_id") or None,
            client_secret=self.credential("client_secret") or None,
            on_refresh=self.ctx.on_token_refresh,
        )

    def _sheet(self, inp: _SheetInput) -> str:
        return quote(inp.spreadsheet_id or self.credential("spreadsheet_id"), safe="")

    def _values_url(self, inp: _SheetInput, a1_range: str, suffix: str = "") -> str:
        # The A1 range is one path segment: quote "!", ":", "/" and spaces in sheet names.
        return f"spreadsheets/{self._sheet(inp)}/values/{quote(a1_range, safe='')}{suffix}"

    def check_credentials(self) -> str:
        data = self._json(
            self.http.get(
                f"spreadsheets/{quote(self.credential('spreadsheet_id'), safe='')}",
                params={"fields": "spreadsheetId,properties.title"},
            )
        )
        return f"can open the spreadsheet {data['properties']['title']!r}"

    @action(
        "append_rows",
        input=AppendRowsInput,
        description="Append rows after the last row of a sheet's table",
        output_keys=("updated_range", "updated_rows", "updated_cells"),
    )
    def append_rows(self, inp: AppendRowsInput) -> dict[str, Any]:
        response = self.http.post(
            self._values_url(inp, inp.range, ":append"),
            params={"valueInputOption": inp.value_input, "insertDataOption": "INSERT_ROWS"},
            json={"majorDimension": "ROWS", "values": inp.rows},
        )
        updates = self._json(response)["updates"]
        return {
            "updated_range": updates["updatedRange"],
            "updated_rows": int(updates.get("updatedRows", 0)),
            "updated_cells": int(updates.get("updatedCells", 0)),
        }

    @action(
        "read_rows",
        input=ReadRowsInput,
        description="Read a range as rows, or as records keyed by the header row",
        output_keys=("range", "values", "columns", "records", "count"),
    )
    def read_rows(self, inp: ReadRowsInput) -> dict[str, Any]:
        data = self._json(
            self.http.get(self._values_url(inp, inp.range), params={"majorDimension": "ROWS"})
        )
        values: list[list[Any]] = data.get("values") or []  # Google omits empty ranges' values
        read_range = str(data["range"])
        columns: list[str] = []
        records: list[dict[str, Any]] = []
        if inp.header:
            columns, records = _records(values, _start_row(read_range), inp.where)
        count = len(records) if inp.header else len(values)
        return {
            "range": read_range,
            "values": values,
            "columns": columns,
            "records": records,
            "count": count,
        }

    @action(
        "update_range",
        input=UpdateRangeInput,
        description="Overwrite the cells of a range with new values",
        output_keys=("updated_range", "updated_rows", "updated_cells"),
    )
    def update_range(self, inp: UpdateRangeInput) -> dict[str, Any]:
        data = self._json(
            self.http.put(
                self._values_url(inp, inp.range),
                params={"valueInputOption": inp.value_input},
                json={"range": inp.range, "majorDimension": "ROWS", "values": inp.rows},
            )
        )
        return {
            "updated_range": data["updatedRange"],
            "updated_rows": int(data.get("updatedRows", 0)),
            "updated_cells": int(data.get("updatedCells", 0)),
        }

    @action(
        "clear_range",
        input=ClearRangeInput,
        description="Clear the values of a range (formatting stays)",
        output_keys=("cleared_range",),
    )
    def clear_range(self, inp: ClearRangeInput) -> dict[str, Any]:
        data = self._json(self.http.post(self._values_url(inp, inp.range, ":clear"), json={}))
        return {"cleared_range": data["clearedRange"]}

    @action(
        "list_sheets",
        input=ListSheetsInput,
        description="List the tabs of a spreadsheet with their sizes",
        output_keys=("title", "sheets", "count"),
    )
    def list_sheets(self, inp: ListSheetsInput) -> dict[str, Any]:
        data = self._json(
            self.http.get(
                f"spreadsheets/{self._sheet(inp)}",
                params={"fields": "properties.title,sheets.properties"},
            )
        )
        sheets = []
        for sheet in data.get("sheets") or []:
            props = sheet["properties"]
            grid = props.get("gridProperties") or {}
            sheets.append(
                {
                    "sheet_id": props.get("sheetId", 0),
                    "title": props["title"],
                    "index": props.get("index", 0),
                    "row_count": grid.get("rowCount"),
                    "column_count": grid.get("columnCount"),
                }
            )
        return {"title": data["properties"]["title"], "sheets": sheets, "count": len(sheets)}

    @action(
        "create_spreadsheet",
        input=CreateSpreadsheetInput,
        description="Create a new spreadsheet, optionally with named tabs",
        output_keys=("spreadsheet_id", "url", "title"),
    )
    def create_spreadsheet(self, inp: CreateSpreadsheetInput) -> dict[str, Any]:
        body: dict[str, Any] = {"properties": {"title": inp.title}}
        if inp.sheet_titles:
            body["sheets"] = [{"properties": {"title": t}} for t in inp.sheet_titles]
        data = self._json(self.http.post("spreadsheets", json=body))
        return {
            "spreadsheet_id": data["spreadsheetId"],
            "url": data.get("spreadsheetUrl"),
            "title": data["properties"]["title"],
        }
