"""monday.com GraphQL API v2 with a personal API token.

Every call is ``POST https://api.monday.com/v2`` with ``Authorization: <token>`` (no
scheme word) and an ``API-Version`` pin. monday answers GraphQL failures with HTTP 200
and an ``errors`` array whose ``extensions.code`` says what went wrong (complexity
budget, rate limits, missing permissions, bad ids); :data:`MONDAY_ERRORS` maps those
codes to the shared error classes. HTTP-level 429s carry ``Retry-After`` and go through
the shared client; so do in-body complexity and minute limits, which a response hook
turns into the 429 they stand for. ``column_values`` travels as a JSON-encoded
*string*, as monday requires, not as a nested object.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

import httpx
from pydantic import BaseModel, Field

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import (
    AuthError,
    ConnectorError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    UnexpectedResponse,
)
from connectors.http import BearerAuth, json_body
from connectors.rate_limits import add_response_hook
from connectors.redaction import redact

__all__ = ["API_VERSION", "MONDAY_ERRORS", "MondayConnector"]

API_VERSION = "2026-10"  # the version of the schema our requests are validated against
_PAGE_SIZE = 100  # items per page; monday allows up to 500 but charges complexity for each

# extensions.code (or the older top-level error_code) -> error class.
MONDAY_ERRORS: Final[dict[str, type[ConnectorError]]] = {
    "ComplexityException": RateLimited,
    "COMPLEXITY_BUDGET_EXHAUSTED": RateLimited,
    "RATE_LIMIT_EXCEEDED": RateLimited,
    "DAILY_LIMIT_EXCEEDED": RateLimited,
    "IP_RATE_LIMIT_EXCEEDED": RateLimited,
    "maxConcurrencyExceeded": RateLimited,
    "Unauthorized": AuthError,
    "UNAUTHENTICATED": AuthError,
    "USER_UNAUTHORIZED": PermissionDenied,
    "UserUnauthorizedException": PermissionDenied,
    "missingRequiredPermissions": PermissionDenied,
    "ResourceNotFoundException": NotFound,
    "InvalidBoardIdException": NotFound,
    "InvalidItemIdException": NotFound,
    "InvalidGroupIdException": NotFound,
    "InvalidColumnIdException": InvalidInput,
    "InvalidUserIdException": InvalidInput,
    "ColumnValueException": InvalidInput,
    "CorrectedValueException": InvalidInput,
    "InvalidArgumentException": InvalidInput,
    "ItemNameTooLongException": InvalidInput,
    "ItemsLimitationException": InvalidInput,
    "JsonParseException": InvalidInput,
    "ParseError": InvalidInput,
    "GRAPHQL_VALIDATION_FAILED": InvalidInput,
    "argumentLiteralsIncompatible": InvalidInput,
    "InvalidVersionException": InvalidInput,
    "API_TEMPORARILY_BLOCKED": Unavailable,
    "INTERNAL_SERVER_ERROR": Unavailable,
}

# In-body limits worth waiting for inside a call; DAILY_LIMIT_EXCEEDED lasts until midnight.
_WAITABLE = frozenset(
    {
        "ComplexityException",
        "COMPLEXITY_BUDGET_EXHAUSTED",
        "RATE_LIMIT_EXCEEDED",
        "maxConcurrencyExceeded",
        "IP_RATE_LIMIT_EXCEEDED",
    }
)


def _first_error(body: Any) -> tuple[str | None, dict[str, Any]]:
    """(code, extensions) of the first error in either of monday's error envelopes."""
    if not isinstance(body, dict):
        return None, {}
    if body.get("error_code"):  # the older top-level envelope
        return str(body["error_code"]), {}
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return None, {}
    ext = first.get("extensions") or {}
    return (str(ext["code"]) if ext.get("code") else None), ext


def _in_body_limit_hook(response: httpx.Response) -> None:
    """A 200 carrying a rate or complexity error becomes the 429 it stands for.

    monday puts the wait in ``Retry-After`` and in ``extensions.retry_in_seconds``;
    as a 429 with ``Retry-After`` the shared client waits and retries it (or, for a
    long wait, fails with RateLimited carrying ``retry_after``).
    """
    if response.status_code != 200:
        return
    try:
        code, ext = _first_error(json.loads(response.read()))
    except ValueError:
        return
    wait = response.headers.get("retry-after") or ext.get("retry_in_seconds")
    if code not in _WAITABLE or wait is None:
        return
    try:
        seconds = math.ceil(float(wait))
    except (TypeError, ValueError):
        return
    response.status_code = 429
    response.headers["Retry-After"] = str(max(0, seconds))


_ITEM_FIELDS = "id name state url group { id title } column_values { id text value }"

ME = "query { me { id name account { name } } }"
CREATE_ITEM = (
    "mutation ($board: ID!, $name: String!, $group: String, $values: JSON, $labels: Boolean) {"
    " create_item(board_id: $board, item_name: $name, group_id: $group,"
    f" column_values: $values, create_labels_if_missing: $labels) {{ {_ITEM_FIELDS} }} }}"
)
CHANGE_VALUES = (
    "mutation ($board: ID!, $item: ID!, $values: JSON!, $labels: Boolean) {"
    " change_multiple_column_values(board_id: $board, item_id: $item,"
    f" column_values: $values, create_labels_if_missing: $labels) {{ {_ITEM_FIELDS} }} }}"
)
CREATE_UPDATE = (
    "mutation ($item: ID!, $body: String!) {"
    " create_update(item_id: $item, body: $body) { id body created_at item_id } }"
)
FIRST_ITEMS = (
    "query ($board: ID!, $limit: Int!) { boards(ids: [$board]) {"
    f" items_page(limit: $limit) {{ cursor items {{ {_ITEM_FIELDS} }} }} }} }}"
)
NEXT_ITEMS = (
    "query ($cursor: String!, $limit: Int!) {"
    f" next_items_page(cursor: $cursor, limit: $limit) {{ cursor items {{ {_ITEM_FIELDS} }} }} }}"
)

ColumnValues = dict[str, Any]


class CreateItemInput(BaseModel):
    board_id: str = Field(min_length=1, description="Board id (the number in the board's URL)")
    item_name: str = Field(min_length=1, max_length=255, description="Item (row) name")
    group_id: str | None = Field(None, description="Group id; the board's top group if empty")
    column_values: ColumnValues = Field(
        default_factory=dict,
        description='Column id → value, e.g. {"status": {"label": "Done"}, "date4": "2026-12-01"}',
    )
    create_labels_if_missing: bool = Field(
        False, description="Add missing status/dropdown labels (needs board-structure rights)"
    )


class UpdateItemInput(BaseModel):
    board_id: str = Field(min_length=1, description="Board id")
    item_id: str = Field(min_length=1, description="Item id")
    column_values: ColumnValues = Field(
        min_length=1, description='Column id → new value, e.g. {"status": {"label": "Stuck"}}'
    )
    create_labels_if_missing: bool = Field(
        False, description="Add missing status/dropdown labels (needs board-structure rights)"
    )


class AddUpdateInput(BaseModel):
    item_id: str = Field(min_length=1, description="Item id")
    body: str = Field(min_length=1, description="Update text (HTML allowed)")


class ListItemsInput(BaseModel):
    board_id: str = Field(min_length=1, description="Board id")
    limit: int = Field(500, ge=1, le=10000, description="Maximum items to return")


def _item(i: dict[str, Any]) -> dict[str, Any]:
    group = i.get("group") or {}
    return {
        "id": i["id"],
        "name": i.get("name", ""),
        "state": i.get("state"),
        "url": i.get("url"),
        "group": group.get("title"),
        "columns": {c["id"]: c.get("text") for c in i.get("column_values") or []},
    }


_ITEM_KEYS = ("id", "name", "state", "url", "group", "columns")


class MondayConnector(Connector):
    name = "monday"
    title = "monday.com"
    category = "Project management"
    description = "Create and update monday.com items, post updates and list board items."
    docs_url = "https://developer.monday.com/api-reference/docs"
    credentials_url = "https://developer.monday.com/api-reference/docs/authentication"
    base_url = "https://api.monday.com/v2"
    auth_kind = AuthKind.TOKEN
    tier = "v2"
    credential_fields = (
        CredentialField(
            "api_token",
            "API token",
            secret=True,
            help="Profile picture → Developers → My access tokens → Show",
            placeholder="eyJhbGciOiJIUzI1NiJ9...",
        ),
    )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("api_token"), scheme="")  # no scheme word

    def http_headers(self) -> dict[str, str]:
        return {"API-Version": API_VERSION}

    @property
    def http(self) -> httpx.Client:
        return add_response_hook(super().http, _in_body_limit_hook)

    def _raise_for_errors(self, data: dict[str, Any]) -> None:
        if not data.get("errors") and not data.get("error_code"):
            return
        code, ext = _first_error(data)
        code = code or "unknown_error"
        errors = data.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else None
        text = data.get("error_message") or (
            first.get("message") if isinstance(first, dict) else first
        )
        detail = redact(f"monday.com error {code}: {str(text or 'no message')[:300]}", self.secrets)
        cls = MONDAY_ERRORS.get(code, ConnectorError)
        if cls is RateLimited:
            wait = ext.get("retry_in_seconds")
            raise RateLimited(
                detail,
                connector=self.name,
                retry_after=float(wait) if isinstance(wait, (int, float)) else None,
            )
        raise cls(detail, connector=self.name)

    def _graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": query}
        if variables:
            payload["variables"] = variables
        # The absolute URL: monday's endpoint is /v2 exactly, without a trailing slash.
        response = self.http.post(self.resolved_base_url(), json=payload)
        body = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(body, dict):
            raise UnexpectedResponse("the answer is not a JSON object", connector=self.name)
        self._raise_for_errors(body)
        data = body.get("data")
        if not isinstance(data, dict):
            raise UnexpectedResponse("the answer has no 'data' object", connector=self.name)
        return data

    def check_credentials(self) -> str:
        me = self._graphql(ME)["me"]
        account = (me.get("account") or {}).get("name", "?")
        return f"authenticated as {me['name']} in account {account}"

    @action(
        "create_item",
        input=CreateItemInput,
        description="Create an item (row) on a board, with column values",
        output_keys=_ITEM_KEYS,
    )
    def create_item(self, inp: CreateItemInput) -> dict[str, Any]:
        variables: dict[str, Any] = {"board": inp.board_id, "name": inp.item_name}
        if inp.group_id:
            variables["group"] = inp.group_id
        if inp.column_values:
            variables["values"] = json.dumps(inp.column_values)  # a JSON string, not an object
        if inp.create_labels_if_missing:
            variables["labels"] = True
        return _item(self._graphql(CREATE_ITEM, variables)["create_item"])

    @action(
        "update_item",
        input=UpdateItemInput,
        description="Change several column values of an item at once",
        output_keys=_ITEM_KEYS,
    )
    def update_item(self, inp: UpdateItemInput) -> dict[str, Any]:
        variables: dict[str, Any] = {
            "board": inp.board_id,
            "item": inp.item_id,
            "values": json.dumps(inp.column_values),
        }
        if inp.create_labels_if_missing:
            variables["labels"] = True
        return _item(self._graphql(CHANGE_VALUES, variables)["change_multiple_column_values"])

    @action(
        "add_update",
        input=AddUpdateInput,
        description="Post an update (comment) on an item",
        output_keys=("id", "item_id", "body", "created_at"),
    )
    def add_update(self, inp: AddUpdateInput) -> dict[str, Any]:
        update = self._graphql(CREATE_UPDATE, {"item": inp.item_id, "body": inp.body})
        made = update["create_update"]
        return {
            "id": made["id"],
            "item_id": made.get("item_id") or inp.item_id,
            "body": made.get("body", inp.body),
            "created_at": made.get("created_at"),
        }

    @action(
        "list_items",
        input=ListItemsInput,
        description="List the items of a board with their column texts",
        output_keys=("items", "count"),
        paginated=True,
    )
    def list_items(self, inp: ListItemsInput) -> dict[str, Any]:
        size = min(_PAGE_SIZE, inp.limit)
        boards = self._graphql(FIRST_ITEMS, {"board": inp.board_id, "limit": size})["boards"]
        if not boards:
            raise NotFound(f"board {inp.board_id} was not found", connector=self.name)
        page = boards[0]["items_page"]
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        # monday's documented paging: items_page first, then next_items_page(cursor).
        while True:
            items.extend(_item(i) for i in page["items"][: inp.limit - len(items)])
            cursor = page.get("cursor")
            if not cursor or cursor in seen or len(items) >= inp.limit:
                break
            seen.add(cursor)
            page = self._graphql(NEXT_ITEMS, {"cursor": cursor, "limit": size})["next_items_page"]
        return {"items": items, "count": len(items)}
