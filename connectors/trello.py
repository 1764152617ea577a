"""Trello REST API 1 with an API key and a user token.

Trello's API description accepts the credentials only as the ``key`` and ``token``
query parameters, so :class:`TrelloKeyAuth` adds them to every URL. Both are secret
credential fields: the shared client redacts their values from every error message,
and the core's log filter removes ``key=``/``token=`` values from any logged URL.
Errors come as short plain-text bodies ("invalid token") with a proper status.
Board cards page with ``limit`` and ``before`` (ids are time-ordered, newest first).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import ConfigurationError, UnexpectedResponse
from connectors.http import iter_cursor, json_body

__all__ = ["TrelloConnector", "TrelloKeyAuth"]

_PAGE_SIZE = 1000  # Trello's maximum for limit=
_CARD_FIELDS = "name,desc,idList,idBoard,due,dueComplete,closed,shortUrl,dateLastActivity"


class TrelloKeyAuth(httpx.Auth):
    """Adds ``key`` and ``token`` to the query of every request, as Trello requires."""

    def __init__(self, key: str, token: str) -> None:
        self._params = {"key": key, "token": token}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params(self._params)
        yield request


class CreateCardInput(BaseModel):
    list_id: str = Field(min_length=1, description="The list (column) to add the card to")
    name: str = Field(min_length=1, description="Card title")
    desc: str | None = Field(None, description="Card description (Markdown)")
    due: datetime | None = Field(None, description="Due date and time (ISO 8601)")
    pos: Literal["top", "bottom"] = Field("bottom", description="Where in the list")
    member_ids: list[str] = Field(default_factory=list, description="Member ids to assign")
    label_ids: list[str] = Field(default_factory=list, description="Label ids to add")


class UpdateCardInput(BaseModel):
    card_id: str = Field(min_length=1, description="The card to change")
    name: str | None = Field(None, min_length=1, description="New title")
    desc: str | None = Field(None, description="New description")
    due: datetime | None = Field(None, description="New due date and time")
    due_complete: bool | None = Field(None, description="Mark the due date done")
    list_id: str | None = Field(None, description="Move the card to this list")
    closed: bool | None = Field(None, description="Archive (true) or restore (false)")

    @model_validator(mode="after")
    def _something(self) -> UpdateCardInput:
        if not self.model_dump(exclude_none=True, exclude={"card_id"}):
            raise ValueError("give at least one field to change")
        return self


class AddCommentInput(BaseModel):
    card_id: str = Field(min_length=1, description="The card to comment on")
    text: str = Field(min_length=1, max_length=16384, description="Comment text")


class ListCardsInput(BaseModel):
    board_id: str = Field(min_length=1, description="Board id or short link (from its URL)")
    filter: Literal["open", "closed", "all", "visible"] = Field(
        "open", description="Which cards: open, closed (archived), all or visible"
    )
    limit: int = Field(1000, ge=1, le=20000, description="Maximum cards to return")


class ListListsInput(BaseModel):
    board_id: str = Field(min_length=1, description="Board id or short link (from its URL)")
    limit: int = Field(500, ge=1, le=5000, description="Maximum lists to return")


class ListBoardsInput(BaseModel):
    filter: Literal["open", "closed", "all", "starred"] = Field(
        "open", description="Which of your boards"
    )
    limit: int = Field(500, ge=1, le=5000, description="Maximum boards to return")


def _card(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "name": c.get("name", ""),
        "desc": c.get("desc", ""),
        "list_id": c.get("idList"),
        "board_id": c.get("idBoard"),
        "due": c.get("due"),
        "due_complete": bool(c.get("dueComplete")),
        "closed": bool(c.get("closed")),
        "url": c.get("shortUrl") or c.get("url"),
    }


_CARD_KEYS = ("id", "name", "desc", "list_id", "board_id", "due", "due_complete", "closed", "url")


def _flag(value: bool) -> str:
    return str(value).lower()


class TrelloConnector(Connector):
    name = "trello"
    title = "Trello"
    category = "Project management"
    description = "Create, move, comment on and list Trello cards, lists and boards."
    docs_url = "https://developer.atlassian.com/cloud/trello/rest/"
    credentials_url = "https://trello.com/power-ups/admin"
    base_url = "https://api.trello.com/1"
    auth_kind = AuthKind.API_KEY_SECRET
    tier = "v2"
    credential_fields = (
        CredentialField(
            "api_key",
            "API key",
            secret=True,
            help="Power-Up admin portal → your Power-Up → API key",
            placeholder="32 hex characters",
        ),
        CredentialField(
            "token",
            "Token",
            secret=True,
            help="Generated from the 'Token' link next to the API key",
            placeholder="ATTA...",
        ),
    )

    def validate_credentials(self) -> None:
        key = self.credential("api_key").strip()
        if len(key) != 32 or not all(c in "0123456789abcdefABCDEF" for c in key):
            raise ConfigurationError(
                "the API key (api_key) must be 32 hexadecimal characters", connector=self.name
            )

    def http_auth(self) -> httpx.Auth:
        return TrelloKeyAuth(self.credential("api_key").strip(), self.credential("token").strip())

    def _json(self, response: httpx.Response, kind: type[Any] = dict) -> Any:
        data = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(data, kind):
            raise UnexpectedResponse(
                f"expected a JSON {'array' if kind is list else 'object'}", connector=self.name
            )
        return data

    def check_credentials(self) -> str:
        me = self._json(self.http.get("members/me", params={"fields": "username,fullName"}))
        return f"authenticated as @{me['username']}"

    @action(
        "create_card",
        input=CreateCardInput,
        description="Create a card in a list",
        output_keys=_CARD_KEYS,
    )
    def create_card(self, inp: CreateCardInput) -> dict[str, Any]:
        params: dict[str, Any] = {"idList": inp.list_id, "name": inp.name, "pos": inp.pos}
        if inp.desc:
            params["desc"] = inp.desc
        if inp.due:
            params["due"] = inp.due.isoformat()
        if inp.member_ids:
            params["idMembers"] = ",".join(inp.member_ids)
        if inp.label_ids:
            params["idLabels"] = ",".join(inp.label_ids)
        # Trello's description documents these as query parameters, not a body.
        return _card(self._json(self.http.post("cards", params=params)))

    @action(
        "update_card",
        input=UpdateCardInput,
        description="Rename, describe, move, archive or set the due date of a card",
        output_keys=_CARD_KEYS,
    )
    def update_card(self, inp: UpdateCardInput) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if inp.name is not None:
            params["name"] = inp.name
        if inp.desc is not None:
            params["desc"] = inp.desc
        if inp.due is not None:
            params["due"] = inp.due.isoformat()
        if inp.due_complete is not None:
            params["dueComplete"] = _flag(inp.due_complete)
        if inp.list_id is not None:
            params["idList"] = inp.list_id
        if inp.closed is not None:
            params["closed"] = _flag(inp.closed)
        return _card(self._json(self.http.put(f"cards/{inp.card_id}", params=params)))

    @action(
        "add_comment",
        input=AddCommentInput,
        description="Add a comment to a card",
        output_keys=("id", "card_id", "text", "date"),
    )
    def add_comment(self, inp: AddCommentInput) -> dict[str, Any]:
        act = self._json(
            self.http.post(f"cards/{inp.card_id}/actions/comments", params={"text": inp.text})
        )
        data = act.get("data") or {}
        return {
            "id": act["id"],
            "card_id": (data.get("card") or {}).get("id", inp.card_id),
            "text": data.get("text", inp.text),
            "date": act.get("date"),
        }

    def _cards_page(self, response: httpx.Response) -> list[Any]:
        page: list[Any] = self._json(response, list)
        return page

    @action(
        "list_cards",
        input=ListCardsInput,
        description="List the cards of a board",
        output_keys=("cards", "count"),
        paginated=True,
    )
    def list_cards(self, inp: ListCardsInput) -> dict[str, Any]:
        size = min(_PAGE_SIZE, inp.limit)

        def older_than(page: list[dict[str, Any]]) -> str | None:
            # A full page may have more behind it: continue before its oldest id.
            return min(c["id"] for c in page) if len(page) >= size else None

        cards = [
            _card(c)
            for c in iter_cursor(
                self.http,
                f"boards/{inp.board_id}/cards/{inp.filter}",
                params={"limit": size, "fields": _CARD_FIELDS},
                items=lambda page: page,
                next_cursor=older_than,
                cursor_param="before",
                parse=self._cards_page,
                max_items=inp.limit,
            )
        ]
        return {"cards": cards, "count": len(cards)}

    @action(
        "list_lists",
        input=ListListsInput,
        description="List the open lists (columns) of a board",
        output_keys=("lists", "count"),
    )
    def list_lists(self, inp: ListListsInput) -> dict[str, Any]:
        data = self._json(
            self.http.get(
                f"boards/{inp.board_id}/lists",
                params={"filter": "open", "fields": "name,closed,pos"},
            ),
            list,
        )
        lists = [{"id": x["id"], "name": x.get("name", "")} for x in data[: inp.limit]]
        return {"lists": lists, "count": len(lists)}

    @action(
        "list_boards",
        input=ListBoardsInput,
        description="List the boards of the token's member",
        output_keys=("boards", "count"),
    )
    def list_boards(self, inp: ListBoardsInput) -> dict[str, Any]:
        data = self._json(
            self.http.get(
                "members/me/boards",
                params={"filter": inp.filter, "fields": "name,closed,shortUrl"},
            ),
            list,
        )
        boards = [
            {
                "id": b["id"],
                "name": b.get("name", ""),
                "closed": bool(b.get("closed")),
                "url": b.get("shortUrl"),
            }
            for b in data[: inp.limit]
        ]
        return {"boards": boards, "count": len(boards)}
