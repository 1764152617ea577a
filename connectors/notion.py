"""Notion API (version 2025-09-03, the data-sources API) with an integration token.

From 2025-09-03 a database holds one or more *data sources*; rows are queried with
``POST /v1/data_sources/{id}/query`` and created with a ``data_source_id`` parent. The
version is pinned in the ``Notion-Version`` header. Errors arrive as HTTP statuses with
``{"object": "error", "code": ..., "message": ...}`` and go through the shared table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.http import BearerAuth, iter_cursor

__all__ = ["NOTION_VERSION", "NotionConnector", "plain_properties"]

NOTION_VERSION = "2025-09-03"
_PAGE_SIZE = 100  # Notion's maximum page_size
_TEXT_CHUNK = 2000  # Notion's limit for one rich_text content string
_BLOCKS_PER_CALL = 100  # Notion's limit of children per append request


class SearchInput(BaseModel):
    query: str = Field("", description="Text matched against page and data source titles")
    object: Literal["page", "data_source"] | None = Field(
        None, description="Only pages or only data sources; both when empty"
    )
    limit: int = Field(100, ge=1, le=5000, description="Maximum results to return")


class QueryDataSourceInput(BaseModel):
    data_source_id: str = Field(min_length=1, description="The data source (table) to read")
    filter: dict[str, Any] | None = Field(None, description="A Notion filter object")
    sorts: list[dict[str, Any]] | None = Field(
        None, description='Sort objects, e.g. [{"property": "Due", "direction": "ascending"}]'
    )
    limit: int = Field(100, ge=1, le=10000, description="Maximum rows to return")


class CreatePageInput(BaseModel):
    parent_data_source_id: str | None = Field(
        None, description="Create a row in this data source (give this or parent_page_id)"
    )
    parent_page_id: str | None = Field(None, description="Create a sub-page of this page")
    title: str | None = Field(None, description="The page title (fills title_property)")
    title_property: str = Field(
        "Name", description="Name of the data source's title column (pages use 'title')"
    )
    properties: dict[str, Any] = Field(
        default_factory=dict, description="Other property values, in Notion's format"
    )
    content: str = Field("", description="Plain text body; each line becomes a paragraph")

    @model_validator(mode="after")
    def _one_parent(self) -> CreatePageInput:
        if bool(self.parent_data_source_id) == bool(self.parent_page_id):
            raise ValueError("give exactly one of parent_data_source_id and parent_page_id")
        if self.parent_page_id and self.properties:
            raise ValueError("a sub-page of a page takes only a title, not properties")
        return self


class UpdatePageInput(BaseModel):
    page_id: str = Field(min_length=1, description="The page (or data source row) to change")
    properties: dict[str, Any] = Field(
        default_factory=dict, description="Property values to set, in Notion's format"
    )
    in_trash: bool | None = Field(None, description="True moves the page to the trash")

    @model_validator(mode="after")
    def _something(self) -> UpdatePageInput:
        if not self.properties and self.in_trash is None:
            raise ValueError("give properties or in_trash")
        return self


class AppendTextInput(BaseModel):
    block_id: str = Field(min_length=1, description="The page or block to append to")
    text: str = Field(min_length=1, description="Plain text; each line becomes a paragraph")


def _rich_text(text: str) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": {"content": text[i : i + _TEXT_CHUNK]}}
        for i in range(0, len(text), _TEXT_CHUNK)
    ]


def paragraphs(text: str) -> list[dict[str, Any]]:
    """Paragraph blocks, one per line (blank lines kept as empty paragraphs)."""
    return [
        {"type": "paragraph", "paragraph": {"rich_text": _rich_text(line)}}
        for line in text.splitlines()
    ]


def _plain_text(items: Any) -> str:
    return "".join(str(t.get("plain_text", "")) for t in items or [])


def _plain_value(prop: dict[str, Any]) -> Any:
    """A property value as plain JSON: text for text, names for selects, ids for links."""
    kind = prop.get("type")
    value = prop.get(kind) if isinstance(kind, str) else None
    if kind in ("title", "rich_text"):
        return _plain_text(value)
    if kind in ("select", "status"):
        return value.get("name") if value else None
    if kind == "multi_select":
        return [v.get("name") for v in value or []]
    if kind == "date":
        return value.get("start") if value else None
    if kind in ("people", "relation"):
        return [v.get("id") for v in value or []]
    if kind == "formula" and isinstance(value, dict):
        return value.get(value.get("type", ""))
    if kind in ("created_by", "last_edited_by") and isinstance(value, dict):
        return value.get("id")
    return value


def plain_properties(properties: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain_value(prop) for name, prop in properties.items()}


def _page(page: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": page["id"],
        "object": page.get("object", "page"),
        "url": page.get("url"),
        "created_time": page.get("created_time"),
        "last_edited_time": page.get("last_edited_time"),
        "in_trash": bool(page.get("in_trash") or page.get("archived")),
        "properties": plain_properties(page.get("properties") or {}),
    }


def _search_hit(item: dict[str, Any]) -> dict[str, Any]:
    hit = _page(item)
    title = item.get("title")  # data sources carry a title array instead of a property
    if isinstance(title, list):
        hit["title"] = _plain_text(title)
    else:
        hit["title"] = next(
            (
                _plain_text(p.get("title"))
                for p in (item.get("properties") or {}).values()
                if p.get("type") == "title"
            ),
            "",
        )
    return hit


def _next_cursor(data: dict[str, Any]) -> str | None:
    return data.get("next_cursor") if data.get("has_more") else None


class NotionConnector(Connector):
    name = "notion"
    title = "Notion"
    category = "Productivity"
    description = "Search, query data sources, create and update pages in Notion."
    docs_url = "https://developers.notion.com/reference/intro"
    credentials_url = "https://www.notion.so/profile/integrations"
    base_url = "https://api.notion.com/v1"
    auth_kind = AuthKind.TOKEN
    tier = "core"
    credential_fields = (
        CredentialField(
            "api_token",
            "Integration token",
            secret=True,
            help="Internal integration secret; share each page or database with the integration",
            placeholder="ntn_...",
        ),
    )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("api_token"))

    def http_headers(self) -> dict[str, str]:
        return {"Notion-Version": NOTION_VERSION}

    def _paged(self, url: str, body: dict[str, Any], limit: int) -> Iterator[dict[str, Any]]:
        return iter_cursor(
            self.http,
            url,
            method="POST",
            body={**body, "page_size": min(_PAGE_SIZE, limit)},
            cursor_param="start_cursor",
            cursor_in="json",
            items=lambda d: d["results"],
            next_cursor=_next_cursor,
            parse=self._json,
            max_items=limit,
        )

    def check_credentials(self) -> str:
        me = self._json(self.http.get("users/me"))
        return f"authenticated as {me.get('name') or me['id']} ({me.get('type', 'user')})"

    @action(
        "search",
        input=SearchInput,
        description="Find pages and data sources shared with the integration by title",
        output_keys=("results", "count"),
        paginated=True,
    )
    def search(self, inp: SearchInput) -> dict[str, Any]:
        body: dict[str, Any] = {"query": inp.query} if inp.query else {}
        if inp.object:
            body["filter"] = {"property": "object", "value": inp.object}
        results = [_search_hit(r) for r in self._paged("search", body, inp.limit)]
        return {"results": results, "count": len(results)}

    @action(
        "query_data_source",
        input=QueryDataSourceInput,
        description="List the rows of a data source, optionally filtered and sorted",
        output_keys=("pages", "count"),
        paginated=True,
    )
    def query_data_source(self, inp: QueryDataSourceInput) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if inp.filter:
            body["filter"] = inp.filter
        if inp.sorts:
            body["sorts"] = inp.sorts
        url = f"data_sources/{inp.data_source_id}/query"
        pages = [_page(p) for p in self._paged(url, body, inp.limit)]
        return {"pages": pages, "count": len(pages)}

    @action(
        "create_page",
        input=CreatePageInput,
        description="Create a row in a data source or a sub-page, with optional text",
        output_keys=("id", "url", "created_time", "properties"),
    )
    def create_page(self, inp: CreatePageInput) -> dict[str, Any]:
        properties = dict(inp.properties)
        if inp.parent_data_source_id:
            parent = {"type": "data_source_id", "data_source_id": inp.parent_data_source_id}
            if inp.title is not None:
                properties[inp.title_property] = {"title": _rich_text(inp.title)}
        else:
            parent = {"type": "page_id", "page_id": str(inp.parent_page_id)}
            properties = {"title": {"title": _rich_text(inp.title or "")}}
        body: dict[str, Any] = {"parent": parent, "properties": properties}
        blocks = paragraphs(inp.content)
        if blocks:
            body["children"] = blocks[:_BLOCKS_PER_CALL]
        page = self._json(self.http.post("pages", json=body))
        for start in range(_BLOCKS_PER_CALL, len(blocks), _BLOCKS_PER_CALL):
            self._append(page["id"], blocks[start : start + _BLOCKS_PER_CALL])
        return _page(page)

    @action(
        "update_page",
        input=UpdatePageInput,
        description="Set property values of a page or row, or move it to the trash",
        output_keys=("id", "url", "last_edited_time", "in_trash", "properties"),
    )
    def update_page(self, inp: UpdatePageInput) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if inp.properties:
            body["properties"] = inp.properties
        if inp.in_trash is not None:
            body["in_trash"] = inp.in_trash
        return _page(self._json(self.http.patch(f"pages/{inp.page_id}", json=body)))

    @action(
        "append_text",
        input=AppendTextInput,
        description="Append paragraphs of text to the end of a page or block",
        output_keys=("block_ids", "count"),
    )
    def append_text(self, inp: AppendTextInput) -> dict[str, Any]:
        blocks = paragraphs(inp.text)
        ids: list[str] = []
        for start in range(0, len(blocks), _BLOCKS_PER_CALL):
            ids += self._append(inp.block_id, blocks[start : start + _BLOCKS_PER_CALL])
        return {"block_ids": ids, "count": len(ids)}

    def _append(self, block_id: str, blocks: list[dict[str, Any]]) -> list[str]:
        data = self._json(self.http.patch(f"blocks/{block_id}/children", json={"children": blocks}))
        return [str(b["id"]) for b in data["results"]]
