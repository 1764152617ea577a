"""Google Sheets: the table run by the shared harness, plus the OAuth refresh flow."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import AuthError, ConfigurationError, InvalidInput
from connectors.google_sheets import TOKEN_URL, GoogleSheetsConnector
from tests.connectors.harness import Case, ConnectorTable, Reply, contains, table_tests

ACCESS = "ya29.a0AfH6SMBx-test-access-token-0123456789"
SHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
BASE = f"/v4/spreadsheets/{SHEET}"


def _json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def _bearer(request: httpx.Request) -> None:
    assert request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert request.url.params["fields"] == "spreadsheetId,properties.title"


def _appended(request: httpx.Request) -> None:
    assert request.url.params["valueInputOption"] == "USER_ENTERED"
    assert request.url.params["insertDataOption"] == "INSERT_ROWS"
    assert _json(request) == {"majorDimension": "ROWS", "values": [["2025-10-01", "ops", 42]]}


VALUES = {
    "range": "Orders!A1:C4",
    "majorDimension": "ROWS",
    "values": [
        ["id", "customer", "status"],
        ["1", "Ada", "paid"],
        ["2", "Grace", "open"],
        ["3", "Linus", "paid"],
    ],
}
APPENDED = {
    "spreadsheetId": SHEET,
    "tableRange": "Sheet1!A1:C9",
    "updates": {
        "spreadsheetId": SHEET,
        "updatedRange": "Sheet1!A10:C10",
        "updatedRows": 1,
        "updatedColumns": 3,
        "updatedCells": 3,
    },
}
SPREADSHEET = {
    "spreadsheetId": SHEET,
    "properties": {"title": "Q4 orders", "locale": "en_GB"},
    "sheets": [
        {
            "properties": {
                "sheetId": 0,
                "title": "Orders",
                "index": 0,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": 1000, "columnCount": 26},
            }
        },
        {
            "properties": {
                "sheetId": 815,
                "title": "Summary",
                "index": 1,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": 100, "columnCount": 5},
            }
        },
    ],
    "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{SHEET}/edit",
}

TABLE = ConnectorTable(
    connector=GoogleSheetsConnector,
    credentials={"access_token": ACCESS, "spreadsheet_id": SHEET},
    vendor="google-sheets",
    cases=[
        Case(
            "check",
            replies=[Reply(json=SPREADSHEET, method="GET", path=BASE, check=_bearer)],
            expect={"ok": True, "detail": contains("'Q4 orders'")},
        ),
        Case(
            "append_rows",
            {"rows": [["2025-10-01", "ops", 42]]},
            replies=[
                Reply(
                    json=APPENDED,
                    method="POST",
                    path=f"{BASE}/values/Sheet1:append",
                    check=_appended,
                )
            ],
            expect={"updated_range": "Sheet1!A10:C10", "updated_rows": 1, "updated_cells": 3},
        ),
        Case(
            "read_rows",
            {"range": "Orders!A1:C", "where": {"status": "paid"}},
            replies=[
                Reply(
                    json=VALUES,
                    method="GET",
                    path=f"{BASE}/values/Orders!A1:C",
                    # The A1 range travels percent-encoded as one path segment.
                    check=lambda r: b"/values/Orders%21A1%3AC" in r.url.raw_path,
                )
            ],
            expect={
                "columns": ["id", "customer", "status"],
                "count": 2,
                "records": [
                    {"id": "1", "customer": "Ada", "status": "paid", "_row": 2},
                    {"id": "3", "customer": "Linus", "status": "paid", "_row": 4},
                ],
            },
        ),
        Case(
            "update_range",
            {"range": "Orders!C3", "rows": [["paid"]], "value_input": "RAW"},
            replies=[
                Reply(
                    json={
                        "spreadsheetId": SHEET,
                        "updatedRange": "Orders!C3",
                        "updatedRows": 1,
                        "updatedColumns": 1,
                        "updatedCells": 1,
                    },
                    method="PUT",
                    path=f"{BASE}/values/Orders!C3",
                    check=lambda r: (
                        r.url.params["valueInputOption"] == "RAW"
                        and _json(r)["values"] == [["paid"]]
                    ),
                )
            ],
            expect={"updated_range": "Orders!C3", "updated_cells": 1},
        ),
        Case(
            "clear_range",
            {"range": "Summary!A2:E", "spreadsheet_id": "other-sheet"},
            replies=[
                Reply(
                    json={"spreadsheetId": "other-sheet", "clearedRange": "Summary!A2:E100"},
                    method="POST",
                    path="/v4/spreadsheets/other-sheet/values/Summary!A2:E:clear",
                )
            ],
            expect={"cleared_range": "Summary!A2:E100"},
        ),
        Case(
            "list_sheets",
            replies=[Reply(json=SPREADSHEET, method="GET", path=BASE)],
            expect={
                "title": "Q4 orders",
                "count": 2,
                "sheets": lambda s: (
                    s[1]
                    == {
                        "sheet_id": 815,
                        "title": "Summary",
                        "index": 1,
                        "row_count": 100,
                        "column_count": 5,
                    }
                ),
            },
        ),
        Case(
            "create_spreadsheet",
            {"title": "Q4 orders", "sheet_titles": ["Orders", "Summary"]},
            replies=[
                Reply(
                    json=SPREADSHEET,
                    method="POST",
                    path="/v4/spreadsheets",
                    check=lambda r: (
                        [s["properties"]["title"] for s in _json(r)["sheets"]]
                        == ["Orders", "Summary"]
                    ),
                )
            ],
            expect={"spreadsheet_id": SHEET, "url": SPREADSHEET["spreadsheetUrl"]},
        ),
        Case(
            "read_rows",
            {"range": "Empty", "header": False},
            replies=[Reply(json={"range": "Empty!A1:Z1000", "majorDimension": "ROWS"})],
            expect={"values": [], "records": [], "count": 0},
            id="read_rows-empty-sheet",
            variants=False,
        ),
        Case(
            "append_rows",
            {"rows": [["x"]]},
            replies=[
                Reply(
                    400,
                    json={
                        "error": {
                            "code": 400,
                            "message": "Unable to parse range: Sheet1",
                            "status": "INVALID_ARGUMENT",
                        }
                    },
                )
            ],
            raises=InvalidInput,
            id="append_rows-bad-range",
        ),
    ],
)

test_sheets_cases, test_sheets_vendor_spec, test_sheets_covers_every_action = table_tests(TABLE)

REFRESH = "1//0g-test-refresh-token"
CLIENT_SECRET = "GOCSPX-test-client-secret"


def _refreshing(handler: Any, refreshed: list[dict[str, str]]) -> GoogleSheetsConnector:
    return GoogleSheetsConnector(
        ConnectorContext(
            credentials={
                "access_token": ACCESS,
                "refresh_token": REFRESH,
                "client_id": "123.apps.googleusercontent.com",
                "client_secret": CLIENT_SECRET,
                "spreadsheet_id": SHEET,
            },
            transport=httpx.MockTransport(handler),
            on_token_refresh=refreshed.append,
            sleep=lambda _s: None,
        )
    )


def test_expired_access_token_is_refreshed_and_handed_to_the_core() -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url).split("?")[0], request.headers.get("authorization", "")))
        if str(request.url) == TOKEN_URL:
            form = dict(httpx.QueryParams(request.content.decode()))
            assert form["grant_type"] == "refresh_token" and form["refresh_token"] == REFRESH
            assert form["client_secret"] == CLIENT_SECRET
            return httpx.Response(200, json={"access_token": "ya29.new", "expires_in": 3599})
        if request.headers["authorization"] == f"Bearer {ACCESS}":
            return httpx.Response(401, json={"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        return httpx.Response(200, json=SPREADSHEET)

    refreshed: list[dict[str, str]] = []
    with _refreshing(handler, refreshed) as sheets:
        result = sheets.run("list_sheets", {})
    assert result["title"] == "Q4 orders"
    assert refreshed == [{"access_token": "ya29.new", "expires_in": "3599"}]
    assert [auth for _url, auth in seen] == [f"Bearer {ACCESS}", "", "Bearer ya29.new"]


def test_refused_refresh_is_an_auth_error_without_secrets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return httpx.Response(
                400, json={"error": "invalid_grant", "error_description": f"bad {REFRESH}"}
            )
        return httpx.Response(401, json={"error": {"code": 401, "message": "expired"}})

    refreshed: list[dict[str, str]] = []
    with _refreshing(handler, refreshed) as sheets, pytest.raises(AuthError) as info:
        sheets.run("read_rows", {})
    assert "reconnect" in str(info.value) and REFRESH not in str(info.value)
    assert refreshed == []


def test_refresh_token_needs_the_client() -> None:
    with pytest.raises(ConfigurationError, match="client_id") as info:
        GoogleSheetsConnector(
            ConnectorContext(
                credentials={
                    "access_token": ACCESS,
                    "refresh_token": REFRESH,
                    "spreadsheet_id": "s",
                }
            )
        )
    assert REFRESH not in str(info.value)


def test_where_needs_a_header_row() -> None:
    sheets = GoogleSheetsConnector(
        ConnectorContext(credentials={"access_token": ACCESS, "spreadsheet_id": SHEET})
    )
    with pytest.raises(InvalidInput, match="header=true"):
        sheets.run("read_rows", {"header": False, "where": {"a": "b"}})
