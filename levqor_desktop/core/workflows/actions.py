"""What a step can call: the action catalog contract, the per-attempt run context, errors.

An *action* is named by ``uses``: ``core.<name>`` for the built-ins
(:mod:`levqor_desktop.core.workflows.builtins`) or ``<connector>.<action>`` for a
connector action (a connector catalog is plugged in by the connectors engineer). The
runner only sees the :class:`ActionCatalog` protocol, so any number of catalogs can be
combined with :class:`CompositeCatalog`.

An action signals its own failure by raising :class:`StepFailed` (``retryable=False``
for a permanent fault such as bad input) or any exception carrying a ``retryable``
attribute (connector errors do); it stops early when ``run.cancelled()`` turns true by
raising :class:`StepCanceled`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from levqor_desktop.errors import LevqorError

__all__ = [
    "ActionCatalog",
    "ActionInfo",
    "CompositeCatalog",
    "RunContext",
    "StepCanceled",
    "StepFailed",
    "never_cancelled",
]

_log = logging.getLogger("levqor.workflows")


class StepFailed(LevqorError):
    """A step could not do its work. ``retryable=False`` stops the retries at once."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        kind: str = "error",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.retryable = retryable
        self.kind = kind


class StepCanceled(LevqorError):
    """The action noticed ``run.cancelled()`` and stopped."""


def never_cancelled() -> bool:
    return False


@dataclass(frozen=True)
class RunContext:
    """Everything an action may know about the attempt it runs in.

    ``deadline`` is a :func:`time.monotonic` value (or None for no step timeout); use
    :meth:`remaining` to bound network calls so that a request never outlives its step.
    ``cancelled`` turns true when the job is canceled or the step ran out of time.
    """

    step_id: str
    attempt: int = 1
    job_id: int | None = None
    workflow: str | None = None
    test_run: bool = False
    cancelled: Callable[[], bool] = never_cancelled
    log: logging.Logger = field(default=_log)
    deadline: float | None = None
    timeout_s: float | None = None
    monotonic: Callable[[], float] = time.monotonic

    def remaining(self, default: float | None = None) -> float | None:
        """Seconds left before the deadline (at least 0), or ``default`` without one."""
        if self.deadline is None:
            return default
        left = max(0.0, self.deadline - self.monotonic())
        return left if default is None else min(left, default)


@dataclass(frozen=True)
class ActionInfo:
    """What the editor, the validator and the builder know about one action.

    ``input_schema`` is a JSON Schema object (``{"type": "object", "properties": ...}``);
    the builder generates its form from it and the validator reports unknown inputs when
    it lists ``properties`` and does not allow additional ones.
    """

    uses: str
    description: str
    required_inputs: tuple[str, ...] = ()
    input_schema: Mapping[str, Any] = field(default_factory=dict)

    def known_inputs(self) -> frozenset[str] | None:
        """The closed set of input names, or None when any input is accepted."""
        props = self.input_schema.get("properties")
        if not isinstance(props, Mapping) or self.input_schema.get("additionalProperties", False):
            return None
        return frozenset(props)


@runtime_checkable
class ActionCatalog(Protocol):
    """A set of actions: describe them (for validation and the UI) and invoke them."""

    def describe(self, uses: str) -> ActionInfo | None: ...

    def names(self) -> list[str]: ...

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]: ...


class CompositeCatalog:
    """Several catalogs as one; the first that knows an action wins."""

    def __init__(self, *catalogs: ActionCatalog) -> None:
        self._catalogs = list(catalogs)

    def add(self, catalog: ActionCatalog) -> None:
        """Plug in another catalog (e.g. the connector actions, once they exist)."""
        self._catalogs.append(catalog)

    def describe(self, uses: str) -> ActionInfo | None:
        for catalog in self._catalogs:
            info = catalog.describe(uses)
            if info is not None:
                return info
        return None

    def names(self) -> list[str]:
        seen: dict[str, None] = {}
        for catalog in self._catalogs:
            seen.update(dict.fromkeys(catalog.names()))
        return sorted(seen)

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        for catalog in self._catalogs:
            if catalog.describe(uses) is not None:
                return catalog.invoke(uses, inputs, run)
        raise StepFailed(f"unknown action {uses!r}", retryable=False, kind="unknown_action")

    def close(self) -> None:
        """Close the catalogs that hold resources (HTTP connection pools)."""
        for catalog in self._catalogs:
            close = getattr(catalog, "close", None)
            if callable(close):
                close()
