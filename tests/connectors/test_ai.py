"""AI (OpenAI-compatible): the harness table, token accounting, local servers without a key."""

from __future__ import annotations

import json

import httpx
import pytest

from connectors.ai import AIConnector
from connectors.base import ConnectorContext
from connectors.errors import InvalidInput, UnexpectedResponse
from tests.connectors.harness import (
    Case,
    ConnectorTable,
    RecordingHooks,
    Reply,
    contains,
    table_tests,
)

KEY = "sk-test-0123456789abcdefghij"

MODELS = {
    "object": "list",
    "data": [
        {"id": "gpt-4o-mini", "object": "model", "owned_by": "openai"},
        {"id": "text-embedding-3-small", "object": "model", "owned_by": "openai"},
    ],
}
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
}
EMBEDDINGS = {
    "object": "list",
    "model": "text-embedding-3-small",
    "data": [
        {"object": "embedding", "index": 1, "embedding": [0.3, 0.4]},
        {"object": "embedding", "index": 0, "embedding": [0.1, 0.2]},
    ],
    "usage": {"prompt_tokens": 4, "total_tokens": 4},
}


def _chat_body(request: httpx.Request) -> None:
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?"},
        ],
        "temperature": 0.2,
    }


TABLE = ConnectorTable(
    connector=AIConnector,
    credentials={"api_key": KEY},
    vendor=None,  # no OpenAI description in shared/api-specs
    cases=[
        Case(
            "check",
            replies=[Reply(json=MODELS, method="GET", path="/v1/models")],
            expect={"detail": contains("2 models available at api.openai.com")},
        ),
        Case(
            "chat",
            {"prompt": "Capital of France?", "system": "Be brief.", "temperature": 0.2},
            replies=[
                Reply(json=COMPLETION, method="POST", path="/v1/chat/completions", check=_chat_body)
            ],
            expect={
                "text": "Paris.",
                "finish_reason": "stop",
                "model": "gpt-4o-mini-2024-07-18",
                "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
            },
        ),
        Case(
            "embeddings",
            {"input": ["a", "b"], "model": "text-embedding-3-small"},
            replies=[Reply(json=EMBEDDINGS, method="POST", path="/v1/embeddings")],
            expect={"embeddings": [[0.1, 0.2], [0.3, 0.4]], "dimensions": 2},
        ),
        Case(
            "list_models",
            {"limit": 1},
            replies=[Reply(json=MODELS, path="/v1/models")],
            expect={"count": 1, "models": [{"id": "gpt-4o-mini", "owned_by": "openai"}]},
        ),
        Case(
            "chat",
            {"prompt": "hi"},
            replies=[Reply(json={"id": "x", "choices": []})],
            raises=UnexpectedResponse,
            id="chat-no-choices",
        ),
    ],
)

test_ai_cases, test_ai_vendor_spec, test_ai_covers_every_action = table_tests(TABLE)


def test_tokens_and_model_reach_the_call_record() -> None:
    hooks = RecordingHooks()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=COMPLETION))
    ai = AIConnector(
        ConnectorContext(credentials={"api_key": KEY}, transport=transport, hooks=hooks)
    )
    ai.run("chat", {"messages": [{"role": "user", "content": "hi"}]})
    (record,) = hooks.after
    assert (record.prompt_tokens, record.completion_tokens) == (12, 3)
    assert record.model == "gpt-4o-mini-2024-07-18"
    assert hooks.before == [("ai", "chat")]


def test_local_server_without_key_sends_no_authorization() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=MODELS)

    ai = AIConnector(
        ConnectorContext(
            credentials={"base_url": "http://localhost:11434/v1"},
            transport=httpx.MockTransport(handler),
        )
    )
    result = ai.check()
    assert result.ok and "localhost" in result.detail
    assert str(seen[0].url) == "http://localhost:11434/v1/models"
    assert "authorization" not in seen[0].headers


def test_chat_needs_exactly_one_of_messages_or_prompt() -> None:
    ai = AIConnector(ConnectorContext(credentials={}))
    for bad in ({}, {"prompt": "a", "messages": [{"role": "user", "content": "b"}]}):
        with pytest.raises(InvalidInput, match="messages or prompt"):
            ai.run("chat", bad)
