"""The connector contract: metadata, credential fields, typed actions, check, run, spec.

A connector is a subclass of :class:`Connector` with class-level metadata, a
``check_credentials()`` that makes the cheapest authenticated vendor call, and methods
decorated with :func:`action`. The core builds it with a :class:`ConnectorContext`
(credentials from the keyring, the HTTP transport, usage hooks) and calls
:meth:`Connector.run`, which validates inputs, asks the hooks for permission, times
the call and reports a :class:`CallRecord`, whatever the outcome.
"""

from __future__ import annotations

import re
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from connectors.calls import CallHooks, CallRecord, NullHooks
from connectors.error_text import readable_errors_hook
from connectors.errors import ConfigurationError, ConnectorError, InvalidInput, UnexpectedResponse
from connectors.http import DEFAULT_TIMEOUT, RetryPolicy, build_client, json_body, map_exception
from connectors.rate_limits import add_response_hook

__all__ = [
    "ActionSpec",
    "AuthKind",
    "CallHooks",
    "CallRecord",
    "CheckResult",
    "Connector",
    "ConnectorContext",
    "CredentialField",
    "NullHooks",
    "action",
]

_ACTION_ATTR = "__levqor_action__"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Malformed vendor data surfaces as these while an action reads it: reported as
# UnexpectedResponse instead of crashing the worker.
_MALFORMED_DATA = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class AuthKind(StrEnum):
    TOKEN = "token"
    API_KEY_SECRET = "api_key_secret"
    OAUTH2 = "oauth2"
    BASIC = "basic"
    SMTP = "smtp"
    NONE = "none"


@dataclass(frozen=True)
class CredentialField:
    """One credential input; ``secret`` values are masked in the UI and redacted in logs."""

    name: str
    label: str
    secret: bool
    required: bool = True
    help: str = ""
    default: str | None = None
    placeholder: str = ""


@dataclass(frozen=True)
class ActionSpec:
    """What :func:`action` records about one action method."""

    name: str
    input_model: type[BaseModel]
    description: str
    method_name: str
    output_keys: tuple[str, ...] = ()
    paginated: bool = False
    reports_tokens: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "paginated": self.paginated,
            "output_keys": list(self.output_keys),
            "input_schema": self.input_model.model_json_schema(),
        }


ActionMethod = TypeVar("ActionMethod", bound=Callable[..., dict[str, Any]])


def action(
    name: str,
    *,
    input: type[BaseModel],
    description: str,
    output_keys: tuple[str, ...] = (),
    paginated: bool = False,
    reports_tokens: bool = False,
) -> Callable[[ActionMethod], ActionMethod]:
    """Mark ``def method(self, inp: Model) -> dict[str, Any]`` as the action ``name``.

    ``reports_tokens``: the result carries ``usage.prompt_tokens``,
    ``usage.completion_tokens`` and ``model``; :meth:`Connector.run` copies them into the
    :class:`CallRecord` so the core can compute cost.
    """
    if not _NAME.match(name):
        raise ValueError(f"action name {name!r} must be snake_case")
    if not description.strip() or "\n" in description:
        raise ValueError(f"action {name!r} needs a one-line description")

    def mark(method: ActionMethod) -> ActionMethod:
        spec = ActionSpec(
            name=name,
            input_model=input,
            description=description.strip(),
            method_name=method.__name__,
            output_keys=output_keys,
            paginated=paginated,
            reports_tokens=reports_tokens,
        )
        setattr(method, _ACTION_ATTR, spec)
        return method

    return mark


@dataclass
class ConnectorContext:
    """Everything the core hands a connector. Nothing here is read from globals."""

    credentials: Mapping[str, str]
    transport: httpx.BaseTransport | None = None
    base_url: str | None = None  # sandbox / self-hosted override of Connector.base_url
    hooks: CallHooks = field(default_factory=NullHooks)
    sleep: Callable[[float], None] = time.sleep
    on_token_refresh: Callable[[dict[str, str]], None] | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    ssl_context: ssl.SSLContext | None = None  # non-HTTP connectors (SMTP); None = system CAs


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    latency_ms: float
    error_kind: str | None = None


class Connector(ABC):
    """Base class of every connector. See connectors/README.md for a worked example."""

    name: ClassVar[str]
    title: ClassVar[str]
    category: ClassVar[str]
    description: ClassVar[str]
    docs_url: ClassVar[str]
    credentials_url: ClassVar[str]
    base_url: ClassVar[str] = ""
    auth_kind: ClassVar[AuthKind]
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    tier: ClassVar[Literal["core", "v2"]] = "v2"

    _actions: ClassVar[Mapping[str, ActionSpec]] = MappingProxyType({})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, ActionSpec] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                spec = getattr(attr, _ACTION_ATTR, None)
                if isinstance(spec, ActionSpec):
                    found[spec.name] = spec
        cls._actions = MappingProxyType(found)

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        values = {f.name: f.default for f in self.credential_fields if f.default is not None}
        values.update({k: v for k, v in ctx.credentials.items() if v not in (None, "")})
        for fld in self.credential_fields:
            if fld.required and not values.get(fld.name, "").strip():
                raise ConfigurationError(
                    f"the credential field {fld.label!r} ({fld.name}) is required",
                    connector=self.name,
                )
        self.credentials: Mapping[str, str] = MappingProxyType(values)
        self._http: httpx.Client | None = None
        self.validate_credentials()

    # -- hooks for subclasses -------------------------------------------------------
    def validate_credentials(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Override to check formats (raise ConfigurationError naming the field, not value)."""

    def http_auth(self) -> httpx.Auth | None:
        """The httpx auth for this connector's client (BearerAuth, httpx.BasicAuth...)."""
        return None

    def resolved_base_url(self) -> str:
        """The context's override (sandbox, self-hosted), else the class's ``base_url``."""
        return self.ctx.base_url or self.base_url

    def error_text(self, body: Any) -> str | None:
        """Override where the vendor puts its reason in a 4xx body that the shared error
        table cannot read; the reason then appears in the error's message."""
        return None

    def http_headers(self) -> dict[str, str]:
        """Extra headers on every request (API version pins and the like)."""
        return {}

    @abstractmethod
    def check_credentials(self) -> str:
        """The cheapest authenticated call; returns a detail like "authenticated as @bot"."""

    # -- the contract -------------------------------------------------------------------
    @property
    def secrets(self) -> tuple[str, ...]:
        """Values of the secret credential fields: redacted from every message."""
        secret_names = {f.name for f in self.credential_fields if f.secret}
        return tuple(v for k, v in self.credentials.items() if k in secret_names and v)

    def credential(self, name: str) -> str:
        return self.credentials.get(name, "")

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = build_client(
                base_url=self.resolved_base_url().rstrip("/") + "/",
                auth=self.http_auth(),
                headers=self.http_headers(),
                transport=self.ctx.transport,
                timeout=self.ctx.timeout,
                retry=self.ctx.retry,
                sleep=self.ctx.sleep,
                secrets=self.secrets,
                connector=self.name,
            )
            if type(self).error_text is not Connector.error_text:
                add_response_hook(self._http, readable_errors_hook(self.error_text, self.secrets))
        return self._http

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        """The answer as a JSON object, or UnexpectedResponse (redacted) saying why not."""
        data = json_body(response, connector=self.name, secrets=self.secrets)
        if not isinstance(data, dict):
            raise UnexpectedResponse("the answer is not a JSON object", connector=self.name)
        return data

    @classmethod
    def actions(cls) -> Mapping[str, ActionSpec]:
        return cls._actions

    def check(self) -> CheckResult:
        """Verify the credentials; vendor errors become ``ok=False`` with the reason."""
        started = time.perf_counter()
        try:
            detail = str(self._timed_call("check", self.check_credentials))
        except ConnectorError as exc:
            return CheckResult(False, str(exc), _elapsed_ms(started), exc.kind)
        return CheckResult(True, detail, _elapsed_ms(started))

    def run(self, action_name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``inputs``, call the action through the hooks, return its result."""
        spec = self.actions().get(action_name)
        if spec is None:
            known = ", ".join(sorted(self.actions())) or "none"
            raise InvalidInput(
                f"unknown action {action_name!r}; available actions: {known}",
                connector=self.name,
            )
        try:
            model = spec.input_model.model_validate(dict(inputs))
        except ValidationError as exc:
            paths = [".".join(str(p) for p in e["loc"]) or "(inputs)" for e in exc.errors()]
            faults = "; ".join(
                f"{path}: {e['msg']}" for path, e in zip(paths, exc.errors(), strict=True)
            )
            raise InvalidInput(
                f"invalid inputs for {action_name}: {faults}", connector=self.name, fields=paths
            ) from None
        method = getattr(self, spec.method_name)
        result: dict[str, Any] = self._timed_call(action_name, lambda: method(model), spec)
        return result

    def _timed_call(
        self, action_name: str, call: Callable[[], Any], spec: ActionSpec | None = None
    ) -> Any:
        self.ctx.hooks.before_call(self.name, action_name)
        started = time.perf_counter()
        error: ConnectorError | None = None
        result: Any = None
        try:
            result = call()
            if spec is not None and not isinstance(result, dict):
                raise UnexpectedResponse(f"action {action_name} returned no result")
            return result
        except ConnectorError as exc:
            error = map_exception(exc, connector=self.name)  # fills in a missing name
            raise
        except httpx.HTTPError as exc:
            error = map_exception(exc, connector=self.name, secrets=self.secrets)
            raise error from exc
        except _MALFORMED_DATA as exc:
            error = UnexpectedResponse(
                f"could not read the service's answer to {action_name} ({type(exc).__name__})",
                connector=self.name,
            )
            raise error from exc
        finally:
            record = self._record(action_name, result, error, spec, _elapsed_ms(started))
            self.ctx.hooks.after_call(record)

    def _record(
        self,
        action_name: str,
        result: Any,
        error: ConnectorError | None,
        spec: ActionSpec | None,
        latency_ms: float,
    ) -> CallRecord:
        prompt = completion = 0
        model: str | None = None
        if error is None and spec is not None and spec.reports_tokens:
            usage = result.get("usage") or {}
            prompt = int(usage.get("prompt_tokens") or 0)
            completion = int(usage.get("completion_tokens") or 0)
            model = str(result["model"]) if result.get("model") else None
        return CallRecord(
            connector=self.name,
            action=action_name,
            outcome="ok" if error is None else "error",
            error_kind=None if error is None else error.kind,
            latency_ms=latency_ms,
            status=None if error is None else error.status_code,
            prompt_tokens=prompt,
            completion_tokens=completion,
            model=model,
        )

    @classmethod
    def spec(cls) -> dict[str, Any]:
        """A JSON-able description of the connector; the UI builds its forms from it."""
        return {
            "name": cls.name,
            "title": cls.title,
            "category": cls.category,
            "description": cls.description,
            "docs_url": cls.docs_url,
            "credentials_url": cls.credentials_url,
            "base_url": cls.base_url,
            "auth_kind": str(cls.auth_kind),
            "tier": cls.tier,
            "credential_fields": [asdict(f) for f in cls.credential_fields],
            "actions": [a.to_json() for a in cls.actions().values()],
        }

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
