"""monday.com: the table run by the shared harness, queries validated against schema.graphql.

The shared checker validates every GraphQL document and its variables against the
schema. GraphQL has no per-operation response schema, so this module also runs each
query over its canned ``data`` with graphql-core: a canned body that does not fit the
query's selection and the schema's types (a missing non-null field, a wrong scalar)
fails there.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from connectors.monday import API_VERSION, MondayConnector
from tests.connectors.harness import (
    Case,
    ConnectorTable,
    Reply,
    contains,
    run_case,
    table_tests,
)
from tests.connectors.spec_files import specs_missing_reason, vendor_documents

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOjEyMzQ1Njc4OSwiYWFpIjoxMX0.c2lnbmF0dXJlLXRlc3Q"


def _gql(request: httpx.Request) -> dict[str, Any]:
    assert request.url == "https://api.monday.com/v2"
    assert request.headers["authorization"] == TOKEN  # no "Bearer" word
    assert request.headers["api-version"] == API_VERSION
    payload: dict[str, Any] = json.loads(request.content)
    return payload


def _vars(**expected: Any) -> Any:
    return lambda r: _gql(r).get("variables") == expected


def _item(item_id: str, name: str, status: str = "Working on it") -> dict[str, Any]:
    return {
        "id": item_id,
        "name": name,
        "state": "active",
        "url": f"https://acme.monday.com/boards/1234/pulses/{item_id}",
        "group": {"id": "topics", "title": "Group Title"},
        "column_values": [
            {"id": "status", "text": status, "value": json.dumps({"index": 0})},
            {"id": "date4", "text": "2026-12-01", "value": json.dumps({"date": "2026-12-01"})},
        ],
    }


def _items_page(cursor: str | None, *ids: str) -> dict[str, Any]:
    return {"cursor": cursor, "items": [_item(i, f"item {i}") for i in ids]}


UPDATE = {
    "id": "998877",
    "body": "<p>Deployed</p>",
    "created_at": "2026-11-28T10:00:00Z",
    "item_id": "5678",
}
ME = {"data": {"me": {"id": "4012689", "name": "Ada Lovelace", "account": {"name": "Acme"}}}}
VALUES = {"status": {"label": "Done"}, "date4": "2026-12-01"}

TABLE = ConnectorTable(
    connector=MondayConnector,
    credentials={"api_token": TOKEN},
    vendor="monday",
    cases=[
        Case(
            "check",
            replies=[Reply(json=ME, method="POST", check=lambda r: "me" in _gql(r)["query"])],
            expect={"ok": True, "detail": contains("as Ada Lovelace in account Acme")},
        ),
        Case(
            "create_item",
            {"board_id": "1234", "item_name": "Ship it", "column_values": VALUES},
            replies=[
                Reply(
                    json={"data": {"create_item": _item("5678", "Ship it", "Done")}},
                    # column_values goes as a JSON-encoded string.
                    check=_vars(board="1234", name="Ship it", values=json.dumps(VALUES)),
                )
            ],
            expect={"id": "5678", "columns": {"status": "Done", "date4": "2026-12-01"}},
        ),
        Case(
            "update_item",
            {
                "board_id": "1234",
                "item_id": "5678",
                "column_values": {"status": {"label": "Stuck"}},
                "create_labels_if_missing": True,
            },
            replies=[
                Reply(
                    json={"data": {"change_multiple_column_values": _item("5678", "x", "Stuck")}},
                    check=_vars(
                        board="1234",
                        item="5678",
                        values='{"status": {"label": "Stuck"}}',
                        labels=True,
                    ),
                )
            ],
            expect={"id": "5678", "columns": lambda c: c["status"] == "Stuck"},
        ),
        Case(
            "add_update",
            {"item_id": "5678", "body": "Deployed"},
            replies=[
                Reply(
                    json={
                        "data": {
                            "create_update": {
                                "id": "998877",
                                "body": "<p>Deployed</p>",
                                "created_at": "2026-11-28T10:00:00Z",
                                "item_id": "5678",
                            }
                        }
                    },
                    check=_vars(item="5678", body="Deployed"),
                )
            ],
            expect={"id": "998877", "item_id": "5678"},
        ),
        Case(
            "list_items",
            {"board_id": "1234", "limit": 3},
            replies=[
                Reply(
                    json={"data": {"boards": [{"items_page": _items_page("MSw5NzI4", "1", "2")}]}},
                    check=_vars(board="1234", limit=3),
                ),
                Reply(
                    json={"data": {"next_items_page": _items_page("MSw5NzI5", "3", "4")}},
                    check=_vars(cursor="MSw5NzI4", limit=3),
                ),
            ],
            expect={"count": 3, "items": lambda items: [i["id"] for i in items] == ["1", "2", "3"]},
        ),
        Case(
            "list_items",
            {"board_id": "404"},
            replies=[Reply(json={"data": {"boards": []}})],
            raises=NotFound,
            id="list_items-no-such-board",
        ),
        # monday's own failures arrive with HTTP 200 and an errors array.
        *[
            Case(
                "create_item",
                {"board_id": "1234", "item_name": "x"},
                replies=[
                    Reply(
                        json={
                            "errors": [{"message": message, "extensions": {"code": code, **extra}}],
                            "account_id": 1,
                        }
                    )
                ],
                raises=cls,
                id=f"create_item-{code}",
            )
            for code, message, extra, cls in [
                (
                    "COMPLEXITY_BUDGET_EXHAUSTED",
                    "Complexity budget exhausted",
                    {"retry_in_seconds": 120},  # longer than a call waits
                    RateLimited,
                ),
                ("DAILY_LIMIT_EXCEEDED", "Daily limit exceeded", {}, RateLimited),
                ("USER_UNAUTHORIZED", "User unauthorized to perform action", {}, PermissionDenied),
                ("InvalidBoardIdException", "Board not found", {}, NotFound),
                ("ColumnValueException", "invalid value for status", {}, InvalidInput),
                ("INTERNAL_SERVER_ERROR", "Internal server error", {}, Unavailable),
            ]
        ],
        Case(
            "add_update",
            {"item_id": "5678", "body": "Deployed"},
            replies=[
                # A short in-body complexity wait is waited for, then the call retried.
                Reply(
                    json={
                        "errors": [
                            {
                                "message": "Complexity budget exhausted",
                                "extensions": {
                                    "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                                    "retry_in_seconds": 13,
                                },
                            }
                        ]
                    }
                ),
                Reply(json={"data": {"create_update": UPDATE}}),
            ],
            expect={"id": "998877"},
            sleeps=lambda s: s == [13.0],
            variants=False,
            id="add_update-complexity-wait-then-ok",
        ),
        Case(
            "add_update",
            {"item_id": "1", "body": "x"},
            replies=[
                Reply(
                    json={
                        "error_code": "ComplexityException",
                        "status_code": 429,
                        "error_message": "Complexity budget exhausted, reset in 3 seconds",
                        "errors": ["Complexity budget exhausted, reset in 3 seconds"],
                    },
                    headers={"Retry-After": "3"},
                ),
                Reply(json={"data": {"create_update": UPDATE}}),
            ],
            expect={"id": "998877"},
            sleeps=lambda s: s == [3.0],
            variants=False,
            id="add_update-old-complexity-envelope-waits-retry-after",
        ),
        Case(
            "add_update",
            {"item_id": "1", "body": "x"},
            replies=[
                Reply(
                    json={
                        "error_code": "ResourceNotFoundException",
                        "status_code": 404,
                        "error_message": "Item not found",
                    }
                )
            ],
            raises=NotFound,
            id="add_update-old-error-envelope",
        ),
    ],
)

test_monday_cases, test_monday_vendor_spec, test_monday_covers_every_action = table_tests(TABLE)

SUCCESS = [c for c in TABLE.cases if c.raises is None]


@pytest.mark.parametrize("case", SUCCESS, ids=[c.name for c in SUCCESS])
def test_canned_data_fits_the_query_and_schema(case: Case) -> None:
    import graphql

    reason = specs_missing_reason("monday")
    if reason:
        pytest.skip(reason)
    schema = vendor_documents("monday")[0]

    def first_concrete(value: Any, info: Any, abstract: Any) -> str:
        return str(info.schema.get_possible_types(abstract)[0].name)

    run = run_case(TABLE, case)
    for request, reply in run.exchanges:
        if "data" not in reply.json:
            continue  # an error answer: no data to fit
        payload = json.loads(request.content)
        result = graphql.graphql_sync(
            schema,
            payload["query"],
            root_value=reply.json["data"],
            variable_values=payload.get("variables"),
            type_resolver=first_concrete,
        )
        assert not result.errors, [e.message for e in result.errors]
        assert result.data == reply.json["data"]


def test_long_complexity_wait_fails_with_the_wait_and_the_reason() -> None:
    case = next(c for c in TABLE.cases if c.id == "create_item-COMPLEXITY_BUDGET_EXHAUSTED")
    outcome = run_case(TABLE, case).outcome
    assert isinstance(outcome, RateLimited) and outcome.retry_after == 120
    assert run_case(TABLE, case).sleeps == []


def test_daily_limit_is_not_waited_for() -> None:
    case = next(c for c in TABLE.cases if c.id == "create_item-DAILY_LIMIT_EXCEEDED")
    run = run_case(TABLE, case)
    assert isinstance(run.outcome, RateLimited) and run.outcome.retry_after is None
    assert run.sleeps == []


def test_vendor_text_echoing_the_token_is_redacted() -> None:
    body = {"errors": [{"message": f"bad token {TOKEN}", "extensions": {"code": "Unauthorized"}}]}
    case = Case("add_update", {"item_id": "1", "body": "x"}, replies=[Reply(json=body)])
    outcome = run_case(TABLE, case).outcome
    assert "bad token" in str(outcome) and TOKEN not in str(outcome)


def test_update_item_needs_values() -> None:
    connector = MondayConnector(ConnectorContext(credentials={"api_token": TOKEN}))
    with pytest.raises(InvalidInput, match="column_values"):
        connector.run("update_item", {"board_id": "1", "item_id": "2", "column_values": {}})
