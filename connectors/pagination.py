"""Pagination helpers: cursor, page number and RFC 5988 ``Link: rel="next"``.

Each is a generator of items that stops at ``max_items`` items or ``max_pages`` pages
(whichever comes first), at the last page, or when a server repeats a cursor (a loop
guard: some APIs echo the last cursor instead of an empty one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal

import httpx

from connectors.http_errors import json_body

__all__ = ["Parse", "iter_cursor", "iter_link_header", "iter_pages"]

Parse = Callable[[httpx.Response], Any]
"""Turns a response into data; connectors pass their own to check in-body errors."""


def _default_parse(response: httpx.Response) -> Any:
    return json_body(response)


def _take(items: Iterable[Any], yielded: int, max_items: int | None) -> Iterator[Any]:
    for item in items:
        if max_items is not None and yielded >= max_items:
            return
        yielded += 1
        yield item


def _done(count: int, pages: int, max_items: int | None, max_pages: int | None) -> bool:
    return (max_items is not None and count >= max_items) or (
        max_pages is not None and pages >= max_pages
    )


def iter_cursor(
    client: httpx.Client,
    url: str,
    *,
    items: Callable[[Any], Iterable[Any]],
    next_cursor: Callable[[Any], str | None],
    cursor_param: str = "cursor",
    method: str = "GET",
    params: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
    cursor_in: Literal["query", "json"] = "query",
    parse: Parse = _default_parse,
    max_items: int | None = None,
    max_pages: int | None = None,
) -> Iterator[Any]:
    """Follow ``next_cursor(data)`` (empty or None ends) sent back as ``cursor_param``."""
    cursor: str | None = None
    seen: set[str] = set()
    count = pages = 0
    while True:
        query = dict(params or {})
        payload = dict(body) if body is not None else None
        if cursor:
            if cursor_in == "json":
                payload = {**(payload or {}), cursor_param: cursor}
            else:
                query[cursor_param] = cursor
        response = client.request(method, url, params=query or None, json=payload)
        data = parse(response)
        pages += 1
        for item in _take(items(data), count, max_items):
            count += 1
            yield item
        cursor = next_cursor(data)
        if not cursor or cursor in seen or _done(count, pages, max_items, max_pages):
            return
        seen.add(cursor)


def iter_pages(
    client: httpx.Client,
    url: str,
    *,
    items: Callable[[Any], Iterable[Any]],
    page_param: str = "page",
    first_page: int = 1,
    page_size: int | None = None,
    size_param: str = "per_page",
    params: Mapping[str, Any] | None = None,
    parse: Parse = _default_parse,
    max_items: int | None = None,
    max_pages: int | None = None,
) -> Iterator[Any]:
    """GET page ``first_page``, ``first_page + 1``... until a short or empty page."""
    page, count, pages = first_page, 0, 0
    while True:
        query = {**(params or {}), page_param: page}
        if page_size is not None:
            query[size_param] = page_size
        data = parse(client.get(url, params=query))
        pages += 1
        page_items = list(items(data))
        for item in _take(page_items, count, max_items):
            count += 1
            yield item
        short = not page_items or (page_size is not None and len(page_items) < page_size)
        if short or _done(count, pages, max_items, max_pages):
            return
        page += 1


def iter_link_header(
    client: httpx.Client,
    url: str,
    *,
    items: Callable[[Any], Iterable[Any]],
    params: Mapping[str, Any] | None = None,
    parse: Parse = _default_parse,
    max_items: int | None = None,
    max_pages: int | None = None,
) -> Iterator[Any]:
    """GET ``url``, then each ``Link: <...>; rel="next"`` until there is none (GitHub style)."""
    next_url: str | None = url
    query: Mapping[str, Any] | None = params
    seen: set[str] = set()
    count = pages = 0
    while next_url:
        response = client.get(next_url, params=query)
        query = None  # the next link already carries the query
        data = parse(response)
        pages += 1
        for item in _take(items(data), count, max_items):
            count += 1
            yield item
        if _done(count, pages, max_items, max_pages):
            return
        seen.add(next_url)
        link = response.links.get("next", {}).get("url")
        next_url = link if link and link not in seen else None
