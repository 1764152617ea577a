"""Notion: the table run by the shared harness (API version 2025-09-03, data sources)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import InvalidInput
from connectors.notion import NOTION_VERSION, NotionConnector, plain_properties
from tests.connectors.harness import Case, ConnectorTable, Reply, contains, table_tests

TOKEN = "ntn_4096abcdefghijklmnopqrstuvwxyz0123456789"
DS = "2f26ee68-df30-4251-aad4-8ddc420cba3d"
PAGE = "59833787-2cf9-4fdf-8782-e53db20768a5"

# GET /v1/users/me: the example in notion-openapi.json.
ME = {
    "object": "user",
    "id": "16d84278-ab0e-484c-9bdd-b35da3bd8905",
    "name": "pied piper",
    "avatar_url": None,
    "type": "bot",
    "bot": {
        "owner": {
            "type": "user",
            "user": {
                "object": "user",
                "id": "5389a034-eb5c-47b5-8a9e-f79c99ef166c",
                "name": "christine makenotion",
                "avatar_url": None,
                "type": "person",
                "person": {"email": "christine@makenotion.com"},
            },
        }
    },
}


def _text(content: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "text",
            "text": {"content": content, "link": None},
            "plain_text": content,
            "href": None,
        }
    ]


def _page(page_id: str, title: str, status: str = "Todo") -> dict[str, Any]:
    """A page object as in notion-sdk-js PageObjectResponse (the fields we read)."""
    return {
        "object": "page",
        "id": page_id,
        "created_time": "2025-09-10T09:00:00.000Z",
        "last_edited_time": "2025-09-10T09:05:00.000Z",
        "in_trash": False,
        "archived": False,
        "url": f"https://www.notion.so/{page_id.replace('-', '')}",
        "public_url": None,
        "parent": {"type": "data_source_id", "data_source_id": DS, "database_id": "d1"},
        "properties": {
            "Name": {"id": "title", "type": "title", "title": _text(title)},
            "Status": {"id": "s%3B", "type": "status", "status": {"name": status}},
            "Tags": {
                "id": "t%3A",
                "type": "multi_select",
                "multi_select": [{"id": "a", "name": "ops"}],
            },
            "Points": {"id": "p", "type": "number", "number": 3},
        },
    }


def _list(results: list[dict[str, Any]], cursor: str | None = None) -> dict[str, Any]:
    return {
        "object": "list",
        "type": "page_or_data_source",
        "page_or_data_source": {},
        "results": results,
        "next_cursor": cursor,
        "has_more": cursor is not None,
    }


def _body(request: httpx.Request) -> dict[str, Any]:
    data = json.loads(request.content)
    assert isinstance(data, dict)
    return data


def _headers(request: httpx.Request) -> None:
    assert request.headers["Notion-Version"] == NOTION_VERSION
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def _created(request: httpx.Request) -> None:
    body = _body(request)
    assert body["parent"] == {"type": "data_source_id", "data_source_id": DS}
    assert body["properties"]["Name"]["title"][0]["text"]["content"] == "Rotate keys"
    assert body["properties"]["Points"] == {"number": 5}
    texts = [b["paragraph"]["rich_text"][0]["text"]["content"] for b in body["children"]]
    assert texts == ["first line", "second line"]


def _query_page_two(request: httpx.Request) -> None:
    body = _body(request)
    assert body["start_cursor"] == "cur-2"
    assert body["filter"] == {"property": "Status", "status": {"equals": "Todo"}}


BLOCK = {
    "object": "block",
    "id": "c02fc1d3-db8b-45c5-a222-27595b15aea7",
    "type": "paragraph",
    "paragraph": {"rich_text": _text("hello"), "color": "default"},
    "has_children": False,
    "in_trash": False,
}

DATA_SOURCE = {
    "object": "data_source",
    "id": DS,
    "title": _text("Tasks"),
    "url": "https://www.notion.so/tasks",
    "created_time": "2025-09-01T00:00:00.000Z",
    "last_edited_time": "2025-09-02T00:00:00.000Z",
    "properties": {"Name": {"id": "title", "type": "title", "title": {}}},
}

TABLE = ConnectorTable(
    connector=NotionConnector,
    credentials={"api_token": TOKEN},
    vendor="notion",
    cases=[
        Case(
            "check",
            replies=[Reply(json=ME, method="GET", path="/v1/users/me", check=_headers)],
            expect={"ok": True, "detail": contains("as pied piper (bot)")},
        ),
        Case(
            "search",
            {"query": "Tasks", "limit": 2},
            replies=[
                Reply(
                    json=_list([DATA_SOURCE, _page(PAGE, "Tasks for Q3")]),
                    method="POST",
                    path="/v1/search",
                    check=lambda r: _body(r) == {"query": "Tasks", "page_size": 2},
                )
            ],
            expect={
                "count": 2,
                "results": lambda rs: (
                    [(r["object"], r["title"]) for r in rs]
                    == [("data_source", "Tasks"), ("page", "Tasks for Q3")]
                ),
            },
        ),
        Case(
            "query_data_source",
            {"data_source_id": DS, "filter": {"property": "Status", "status": {"equals": "Todo"}}},
            replies=[
                Reply(
                    json=_list([_page("p1", "One"), _page("p2", "Two")], cursor="cur-2"),
                    method="POST",
                    path=f"/v1/data_sources/{DS}/query",
                    check=lambda r: "start_cursor" not in _body(r),
                ),
                Reply(json=_list([_page("p3", "Three")]), check=_query_page_two),
            ],
            expect={
                "count": 3,
                "pages": lambda ps: (
                    [p["properties"]["Name"] for p in ps] == ["One", "Two", "Three"]
                ),
            },
        ),
        Case(
            "create_page",
            {
                "parent_data_source_id": DS,
                "title": "Rotate keys",
                "properties": {"Points": {"number": 5}},
                "content": "first line\nsecond line",
            },
            replies=[
                Reply(
                    json=_page(PAGE, "Rotate keys"), method="POST", path="/v1/pages", check=_created
                )
            ],
            expect={"id": PAGE, "properties": lambda p: p["Name"] == "Rotate keys"},
        ),
        Case(
            "update_page",
            {"page_id": PAGE, "properties": {"Status": {"status": {"name": "Done"}}}},
            replies=[
                Reply(
                    json=_page(PAGE, "Rotate keys", status="Done"),
                    method="PATCH",
                    path=f"/v1/pages/{PAGE}",
                    check=lambda r: (
                        _body(r) == {"properties": {"Status": {"status": {"name": "Done"}}}}
                    ),
                )
            ],
            expect={"id": PAGE, "properties": lambda p: p["Status"] == "Done"},
        ),
        Case(
            "append_text",
            {"block_id": PAGE, "text": "hello"},
            replies=[
                Reply(
                    json={
                        "object": "list",
                        "results": [BLOCK],
                        "next_cursor": None,
                        "has_more": False,
                        "type": "block",
                        "block": {},
                    },
                    method="PATCH",
                    path=f"/v1/blocks/{PAGE}/children",
                )
            ],
            expect={"count": 1, "block_ids": [BLOCK["id"]]},
        ),
        Case(
            "create_page",
            {"parent_page_id": PAGE, "title": "Notes"},
            replies=[
                Reply(
                    json=_page("p9", "Notes"),
                    check=lambda r: (
                        _body(r)["parent"] == {"type": "page_id", "page_id": PAGE}
                        and "children" not in _body(r)
                    ),
                )
            ],
            expect={"id": "p9"},
            id="create_page-under-page",
            variants=False,
        ),
        # Notion's 409 conflict_error (a concurrent edit) is a rejected input, not a crash.
        Case(
            "update_page",
            {"page_id": PAGE, "in_trash": True},
            replies=[
                Reply(
                    409,
                    json={
                        "object": "error",
                        "status": 409,
                        "code": "conflict_error",
                        "message": "Conflict occurred while saving.",
                    },
                )
            ],
            raises=InvalidInput,
            id="update_page-conflict",
        ),
    ],
)

test_notion_cases, test_notion_vendor_spec, test_notion_covers_every_action = table_tests(TABLE)


def _notion() -> NotionConnector:
    return NotionConnector(ConnectorContext(credentials={"api_token": TOKEN}))


def test_create_page_needs_exactly_one_parent() -> None:
    with pytest.raises(InvalidInput, match="exactly one of"):
        _notion().run("create_page", {"title": "x"})
    with pytest.raises(InvalidInput, match="exactly one of"):
        _notion().run("create_page", {"parent_page_id": "a", "parent_data_source_id": "b"})


def test_long_text_is_split_into_notion_sized_pieces() -> None:
    from connectors.notion import paragraphs

    blocks = paragraphs("x" * 4500)
    pieces = [t["text"]["content"] for t in blocks[0]["paragraph"]["rich_text"]]
    assert [len(p) for p in pieces] == [2000, 2000, 500]


def test_plain_properties_reads_common_types() -> None:
    props = _page("p", "Title")["properties"]
    props["Due"] = {"type": "date", "date": {"start": "2025-10-01", "end": None}}
    props["Done"] = {"type": "checkbox", "checkbox": True}
    props["Owner"] = {"type": "people", "people": [{"object": "user", "id": "u1"}]}
    props["Score"] = {"type": "formula", "formula": {"type": "number", "number": 7}}
    assert plain_properties(props) == {
        "Name": "Title",
        "Status": "Todo",
        "Tags": ["ops"],
        "Points": 3,
        "Due": "2025-10-01",
        "Done": True,
        "Owner": ["u1"],
        "Score": 7,
    }
