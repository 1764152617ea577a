"""Trello: the table run by the shared harness, checked against Atlassian's swagger.v3.json.

Trello takes the key and token as query parameters, so besides the harness's own
check that no secret reaches an error, this module checks that they stay out of
transport errors and out of logged request lines once the core's redaction runs.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import ConfigurationError, InvalidInput, NotFound, Unavailable
from connectors.redaction import redact
from connectors.trello import TrelloConnector
from tests.connectors.harness import (
    POLICY,
    Case,
    ConnectorTable,
    Reply,
    contains,
    run_case,
    table_tests,
)

KEY = "0123456789abcdef0123456789abcdef"
TOKEN = "ATTA9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0ABCDEF12"
CREDENTIALS = {"api_key": KEY, "token": TOKEN}
API = "/1"


def _keyed(request: httpx.Request) -> None:
    assert request.url.params["key"] == KEY and request.url.params["token"] == TOKEN
    assert "authorization" not in request.headers


def _card(card_id: str, name: str, **extra: Any) -> dict[str, Any]:
    # Field types follow components.schemas.Card in swagger.v3.json.
    return {
        "id": card_id,
        "name": name,
        "desc": "",
        "idList": "5abbe4b7ddc1b351ef961415",
        "idBoard": "5abbe4b7ddc1b351ef961414",
        "idMembers": [],
        "idLabels": [],
        "closed": False,
        "due": None,
        "dueComplete": False,
        "pos": 65535,
        "shortUrl": f"https://trello.com/c/{card_id[:8]}",
        "url": f"https://trello.com/c/{card_id[:8]}/1-card",
        "dateLastActivity": "2026-11-01T10:00:00.000Z",
        **extra,
    }


def _cards(*ids: str) -> list[dict[str, Any]]:
    return [_card(i, f"card {i}") for i in ids]


ME = {"id": "5abbe4b7ddc1b351ef961400", "username": "levqorbot", "fullName": "Levqor Bot"}
COMMENT = {
    "id": "5abbe4b7ddc1b351ef9614aa",
    "idMemberCreator": "5abbe4b7ddc1b351ef961400",
    "type": "commentCard",
    "date": "2026-11-01T10:00:00.000Z",
    "data": {
        "text": "Deployed to staging",
        "card": {"id": "5abbe4b7ddc1b351ef961499", "name": "Release"},
        "board": {"id": "5abbe4b7ddc1b351ef961414", "name": "Ops"},
        "list": {"id": "5abbe4b7ddc1b351ef961415", "name": "Doing"},
    },
}


def _created(request: httpx.Request) -> None:
    _keyed(request)
    params = request.url.params
    assert params["idList"] == "5abbe4b7ddc1b351ef961415" and params["name"] == "Release"
    assert params["idLabels"] == "l1,l2" and params["pos"] == "top"
    assert params["due"] == "2026-12-01T09:00:00+00:00"


TABLE = ConnectorTable(
    connector=TrelloConnector,
    credentials=CREDENTIALS,
    vendor="trello",
    cases=[
        Case(
            "check",
            replies=[Reply(json=ME, method="GET", path=f"{API}/members/me", check=_keyed)],
            expect={"ok": True, "detail": contains("as @levqorbot")},
        ),
        Case(
            "create_card",
            {
                "list_id": "5abbe4b7ddc1b351ef961415",
                "name": "Release",
                "pos": "top",
                "due": "2026-12-01T09:00:00Z",
                "label_ids": ["l1", "l2"],
            },
            replies=[
                Reply(
                    json=_card("5abbe4b7ddc1b351ef961499", "Release"),
                    method="POST",
                    path=f"{API}/cards",
                    check=_created,
                )
            ],
            expect={"id": "5abbe4b7ddc1b351ef961499", "list_id": "5abbe4b7ddc1b351ef961415"},
        ),
        Case(
            "update_card",
            {"card_id": "5abbe4b7ddc1b351ef961499", "list_id": "5abbe4b7ddc1b351ef961416"},
            replies=[
                Reply(
                    json=_card(
                        "5abbe4b7ddc1b351ef961499", "Release", idList="5abbe4b7ddc1b351ef961416"
                    ),
                    method="PUT",
                    path=f"{API}/cards/5abbe4b7ddc1b351ef961499",
                    check=lambda r: (
                        r.url.params["idList"] == "5abbe4b7ddc1b351ef961416"
                        and "name" not in r.url.params
                    ),
                )
            ],
            expect={"list_id": "5abbe4b7ddc1b351ef961416", "closed": False},
        ),
        Case(
            "add_comment",
            {"card_id": "5abbe4b7ddc1b351ef961499", "text": "Deployed to staging"},
            replies=[
                Reply(
                    json=COMMENT,
                    method="POST",
                    path=f"{API}/cards/5abbe4b7ddc1b351ef961499/actions/comments",
                    check=lambda r: r.url.params["text"] == "Deployed to staging",
                )
            ],
            expect={"id": "5abbe4b7ddc1b351ef9614aa", "card_id": "5abbe4b7ddc1b351ef961499"},
        ),
        Case(
            "list_cards",
            {"board_id": "Ops123", "limit": 3},
            replies=[
                # The spec documents no body for /boards/{id}/cards/{filter}.
                Reply(
                    json=_cards("0000000000000000000000c9", "0000000000000000000000c8"),
                    path=f"{API}/boards/Ops123/cards/open",
                    check=lambda r: r.url.params["limit"] == "3" and "before" not in r.url.params,
                    spec_response=False,
                ),
            ],
            expect={"count": 2},
        ),
        Case(
            "list_cards",
            {"board_id": "Ops123", "limit": 3},
            replies=[
                # A full page (3 of 3 asked): ask again before its oldest id.
                Reply(
                    json=_cards(
                        "0000000000000000000000c9",
                        "0000000000000000000000c7",
                        "0000000000000000000000c8",
                    ),
                    spec_response=False,
                )
            ],
            expect={"count": 3},
            id="list_cards-stops-at-limit",
        ),
        Case(
            "list_lists",
            {"board_id": "Ops123"},
            replies=[
                Reply(
                    json=[
                        {"id": "5abbe4b7ddc1b351ef961415", "name": "Doing", "closed": False},
                        {"id": "5abbe4b7ddc1b351ef961416", "name": "Done", "closed": False},
                    ],
                    path=f"{API}/boards/Ops123/lists",
                )
            ],
            expect={"count": 2, "lists": lambda ls: ls[1]["name"] == "Done"},
        ),
        Case(
            "list_boards",
            {"limit": 1},
            replies=[
                Reply(
                    json=[
                        {"id": "5abbe4b7ddc1b351ef961414", "name": "Ops", "closed": False},
                        {"id": "5abbe4b7ddc1b351ef961417", "name": "Old", "closed": True},
                    ],
                    path=f"{API}/members/me/boards",
                    check=lambda r: r.url.params["filter"] == "open",
                )
            ],
            expect={"count": 1, "boards": lambda bs: bs[0]["name"] == "Ops"},
        ),
        Case(
            "update_card",
            {"card_id": "gone", "closed": True},
            # Trello answers errors in plain text.
            replies=[Reply(404, content=b"The requested resource was not found.")],
            raises=NotFound,
            id="update_card-plain-text-404",
        ),
        Case(
            "add_comment",
            {"card_id": "c1", "text": "x"},
            replies=[Reply(400, content=f"invalid value for token {TOKEN}".encode())],
            raises=InvalidInput,
            id="add_comment-400-echoing-token",
        ),
    ],
)

test_trello_cases, test_trello_vendor_spec, test_trello_covers_every_action = table_tests(TABLE)


def _paging(request: httpx.Request) -> httpx.Response:
    before = request.url.params.get("before")
    pages = {
        None: _cards("0000000000000000000000c9", "0000000000000000000000c7"),
        "0000000000000000000000c7": _cards("0000000000000000000000c5", "0000000000000000000000c6"),
        "0000000000000000000000c5": _cards("0000000000000000000000c1"),
    }
    return httpx.Response(200, json=pages[before])


def _trello(handler: Any, sleeps: list[float] | None = None) -> TrelloConnector:
    ctx = ConnectorContext(
        credentials=CREDENTIALS,
        transport=httpx.MockTransport(handler),
        retry=POLICY,
        sleep=(sleeps if sleeps is not None else []).append,
    )
    return TrelloConnector(ctx)


def test_list_cards_pages_before_the_oldest_id(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params.get("before"))
        assert request.url.params["limit"] == "2"
        return _paging(request)

    monkeypatch.setattr("connectors.trello._PAGE_SIZE", 2)  # three small pages
    out = _trello(handler).run("list_cards", {"board_id": "b", "limit": 5})
    assert seen == [None, "0000000000000000000000c7", "0000000000000000000000c5"]
    assert out["count"] == 5
    assert out["cards"][-1]["id"] == "0000000000000000000000c1"


def test_transport_errors_and_request_logs_never_show_key_or_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"connection refused for {request.url}")

    with caplog.at_level(logging.DEBUG):
        with pytest.raises(Unavailable) as info:
            _trello(handler).run("list_boards", {})
        ok = _trello(lambda r: httpx.Response(200, json=ME)).check()
    assert ok.ok
    text = str(info.value)
    assert "connection refused" in text
    assert KEY not in text and TOKEN not in text
    # The core's log filter runs redact() without knowing the secrets: the URL's
    # key= and token= values must still go.
    logged = "\n".join(redact(r.getMessage()) for r in caplog.records)
    assert "members/me" in logged
    assert KEY not in logged and TOKEN not in logged


def test_api_key_shape_is_checked_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError, match="api_key") as info:
        TrelloConnector(ConnectorContext(credentials={"api_key": "nothex!", "token": TOKEN}))
    assert "nothex!" not in str(info.value)


def test_update_needs_a_change() -> None:
    with pytest.raises(InvalidInput, match="at least one field"):
        _trello(lambda r: httpx.Response(500)).run("update_card", {"card_id": "c1"})


def test_vendor_text_echoing_the_token_is_redacted() -> None:
    case = next(c for c in TABLE.cases if c.id == "add_comment-400-echoing-token")
    message = str(run_case(TABLE, case).outcome)
    assert "invalid value for token" in message and TOKEN not in message
