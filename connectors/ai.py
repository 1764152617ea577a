"""OpenAI-compatible chat completions, embeddings and models.

The base URL is a credential field, so the same connector drives OpenAI, Azure-style
gateways, Ollama (``http://localhost:11434/v1``) and vLLM; the API key is optional for
local servers. Token counts and the model name go into the CallRecord (the core
turns them into cost).
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import ConfigurationError
from connectors.http import BearerAuth

__all__ = ["AIConnector"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool"]
    content: str


class ChatInput(BaseModel):
    messages: list[ChatMessage] | None = Field(None, description="The conversation so far")
    prompt: str | None = Field(None, description="A single user message (instead of messages)")
    system: str | None = Field(None, description="A system message put first")
    model: str | None = Field(None, description="Model id; the connection's default if empty")
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_source(self) -> ChatInput:
        if bool(self.messages) == bool(self.prompt):
            raise ValueError("give either messages or prompt")
        return self


class EmbeddingsInput(BaseModel):
    input: str | list[str] = Field(description="Text or texts to embed")
    model: str | None = None


class ListModelsInput(BaseModel):
    limit: int = Field(500, ge=1, le=10000)


def _usage(data: dict[str, Any]) -> dict[str, int]:
    usage = data.get("usage") or {}
    return {
        "prompt_tokens": int(usage.get("prompt_tokens") or 0),
        "completion_tokens": int(usage.get("completion_tokens") or 0),
        "total_tokens": int(usage.get("total_tokens") or 0),
    }


class AIConnector(Connector):
    name = "ai"
    title = "AI (OpenAI-compatible)"
    category = "AI"
    description = "Chat completions and embeddings on OpenAI or any compatible server."
    docs_url = "https://platform.openai.com/docs/api-reference/chat"
    credentials_url = "https://platform.openai.com/api-keys"
    base_url = DEFAULT_BASE_URL
    auth_kind = AuthKind.TOKEN
    tier = "core"
    credential_fields = (
        CredentialField(
            "api_key",
            "API key",
            secret=True,
            required=False,
            help="Leave empty for local servers (Ollama, vLLM) that need no key",
            placeholder="sk-...",
        ),
        CredentialField(
            "base_url",
            "Base URL",
            secret=False,
            required=False,
            default=DEFAULT_BASE_URL,
            help="Ends in /v1; e.g. http://localhost:11434/v1 for Ollama",
        ),
        CredentialField(
            "default_model",
            "Default model",
            secret=False,
            required=False,
            default="gpt-4o-mini",
        ),
    )

    def validate_credentials(self) -> None:
        url = self.credential("base_url")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(
                "the base URL must start with http:// or https://", connector=self.name
            )

    def resolved_base_url(self) -> str:
        # The base URL is a credential field here; the context can still override it.
        return self.ctx.base_url or self.credential("base_url")

    def http_auth(self) -> httpx.Auth | None:
        key = self.credential("api_key")
        return BearerAuth(key) if key else None

    def _models(self) -> list[dict[str, Any]]:
        data = self._json(self.http.get("models"))
        return [{"id": m["id"], "owned_by": m.get("owned_by")} for m in data["data"]]

    def check_credentials(self) -> str:
        models = self._models()
        host = httpx.URL(self.resolved_base_url()).host
        return f"{len(models)} models available at {host}"

    @action(
        "chat",
        input=ChatInput,
        description="Send a chat to a model and return its reply",
        output_keys=("text", "finish_reason", "model", "usage"),
        reports_tokens=True,
    )
    def chat(self, inp: ChatInput) -> dict[str, Any]:
        messages = [m.model_dump() for m in inp.messages or []]
        if inp.prompt:
            messages.append({"role": "user", "content": inp.prompt})
        if inp.system:
            messages.insert(0, {"role": "system", "content": inp.system})
        body: dict[str, Any] = {
            "model": inp.model or self.credential("default_model"),
            "messages": messages,
        }
        if inp.temperature is not None:
            body["temperature"] = inp.temperature
        if inp.max_tokens is not None:
            body["max_tokens"] = inp.max_tokens
        data = self._json(self.http.post("chat/completions", json=body))
        choice = data["choices"][0]
        return {
            "text": choice["message"].get("content") or "",
            "finish_reason": choice.get("finish_reason"),
            "model": data.get("model") or body["model"],
            "usage": _usage(data),
        }

    @action(
        "embeddings",
        input=EmbeddingsInput,
        description="Turn text into embedding vectors",
        output_keys=("embeddings", "dimensions", "model", "usage"),
        reports_tokens=True,
    )
    def embeddings(self, inp: EmbeddingsInput) -> dict[str, Any]:
        body = {"model": inp.model or self.credential("default_model"), "input": inp.input}
        data = self._json(self.http.post("embeddings", json=body))
        rows = sorted(data["data"], key=lambda row: row.get("index", 0))
        vectors = [[float(x) for x in row["embedding"]] for row in rows]
        return {
            "embeddings": vectors,
            "dimensions": len(vectors[0]) if vectors else 0,
            "model": data.get("model") or body["model"],
            "usage": _usage(data),
        }

    @action(
        "list_models",
        input=ListModelsInput,
        description="List the models the server offers",
        output_keys=("models", "count"),
    )
    def list_models(self, inp: ListModelsInput) -> dict[str, Any]:
        models = self._models()[: inp.limit]
        return {"models": models, "count": len(models)}
