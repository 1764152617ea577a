"""The built-in actions every workflow can use without a connector (``core.*``).

``core.http_request``  an HTTP call with httpx; non-2xx fails unless ``allow_error``
``core.transform``     returns its (rendered) ``value``: build data from templates
``core.delay``         waits ``seconds``, stopping early when the run is canceled
``core.log``           writes ``message`` to the run's log at ``level``
``core.fail``          stops the workflow with ``message`` (not retried)

Inputs are checked against a pydantic model per action; its JSON Schema is what the
editor's builder and the validator see. The HTTP transport and the sleep function are
injected so tests run without a network and without waiting.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from levqor_desktop.core.workflows.actions import ActionInfo, RunContext, StepCanceled, StepFailed

__all__ = ["BuiltinCatalog"]

_DEFAULT_HTTP_TIMEOUT_S = 30.0
_DELAY_SLICE_S = 0.1


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HttpRequestInput(_Inputs):
    url: str = Field(description="absolute http(s) URL", pattern=r"^https?://")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    json_: Any = Field(None, alias="json", description="a JSON body")
    timeout: float = Field(_DEFAULT_HTTP_TIMEOUT_S, gt=0, le=600, description="seconds")
    allow_error: bool = Field(False, description="return non-2xx answers instead of failing")


class TransformInput(_Inputs):
    value: Any = Field(description="any value; templates inside it are rendered")


class DelayInput(_Inputs):
    seconds: float = Field(ge=0, le=3600)


class LogInput(_Inputs):
    message: Any
    level: Literal["debug", "info", "warning", "error"] = "info"


class FailInput(_Inputs):
    message: Any = "the workflow stopped at a core.fail step"


_MODELS: dict[str, tuple[type[_Inputs], str]] = {
    "core.http_request": (
        HttpRequestInput,
        "Call an HTTP endpoint; returns status, headers and the JSON or text body.",
    ),
    "core.transform": (TransformInput, "Build a value from templates; returns it as 'value'."),
    "core.delay": (DelayInput, "Wait a number of seconds (stops early when canceled)."),
    "core.log": (LogInput, "Write a message to the run's log."),
    "core.fail": (FailInput, "Stop the workflow with a message."),
}


def _info(uses: str, model: type[_Inputs], description: str) -> ActionInfo:
    schema = model.model_json_schema(by_alias=True)
    return ActionInfo(
        uses=uses,
        description=description,
        required_inputs=tuple(schema.get("required", ())),
        input_schema=schema,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


class BuiltinCatalog:
    """The ``core.*`` actions. Close it to release the HTTP connection pool."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._transport = transport
        self._sleep = sleep
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._infos = {uses: _info(uses, m, d) for uses, (m, d) in _MODELS.items()}

    def describe(self, uses: str) -> ActionInfo | None:
        return self._infos.get(uses)

    def names(self) -> list[str]:
        return sorted(self._infos)

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        if uses not in _MODELS:
            raise StepFailed(f"unknown action {uses!r}", retryable=False, kind="unknown_action")
        model = _MODELS[uses][0]
        try:
            parsed = model.model_validate(inputs)
        except PydanticValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'inputs'}: {e['msg']}" for e in exc.errors()
            )
            raise StepFailed(f"{uses}: {problems}", retryable=False, kind="invalid_input") from None
        if isinstance(parsed, HttpRequestInput):
            return self._http(parsed, run)
        if isinstance(parsed, TransformInput):
            return {"value": parsed.value}
        if isinstance(parsed, DelayInput):
            return self._delay(parsed.seconds, run)
        if isinstance(parsed, LogInput):
            message = _text(parsed.message)
            run.log.log(logging.getLevelName(parsed.level.upper()), "[%s] %s", run.step_id, message)
            return {"message": message, "level": parsed.level}
        assert isinstance(parsed, FailInput)
        raise StepFailed(_text(parsed.message), retryable=False, kind="fail")

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- actions ----------------------------------------------------------------------

    def _client_for(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    transport=self._transport,
                    follow_redirects=True,
                    timeout=_DEFAULT_HTTP_TIMEOUT_S,
                    headers={"User-Agent": "levqor-desktop"},
                )
            return self._client

    def _http(self, inp: HttpRequestInput, run: RunContext) -> dict[str, Any]:
        timeout = run.remaining(inp.timeout)
        label = f"{inp.method} {httpx.URL(inp.url).copy_with(query=None)}"
        if timeout is None or timeout <= 0:
            raise StepFailed(f"{label}: no time left before the step's deadline", kind="timeout")
        try:
            response = self._client_for().request(
                inp.method,
                inp.url,
                headers=inp.headers,
                params=inp.params,
                json=inp.json_,
                timeout=timeout,
            )
        except httpx.TimeoutException:
            raise StepFailed(f"{label} timed out after {timeout:g} s", kind="timeout") from None
        except httpx.HTTPError as exc:
            raise StepFailed(
                f"{label} failed: {type(exc).__name__}: {exc}", kind="network"
            ) from None
        body_json: Any = None
        text: str | None = None
        if "json" in response.headers.get("content-type", ""):
            try:
                body_json = response.json()
            except ValueError:
                text = response.text
        else:
            text = response.text
        if not response.is_success and not inp.allow_error:
            retryable = response.status_code in (408, 425, 429) or response.status_code >= 500
            raise StepFailed(
                f"{label} answered {response.status_code} {response.reason_phrase}",
                retryable=retryable,
                kind="http_status",
            )
        return {
            "status": response.status_code,
            "ok": response.is_success,
            "headers": dict(response.headers),
            "json": body_json,
            "text": text,
        }

    def _delay(self, seconds: float, run: RunContext) -> dict[str, Any]:
        left = seconds
        while left > 0:
            if run.cancelled():
                raise StepCanceled(f"delay canceled with {left:.1f} s left")
            chunk = min(left, _DELAY_SLICE_S)
            self._sleep(chunk)
            left -= chunk
        return {"slept_s": seconds}
