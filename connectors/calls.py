"""What a connector reports of each vendor call, and to whom: the core's call hooks
(usage limits before a call, usage and metrics after it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class CallRecord:
    """One vendor call, as reported to :meth:`CallHooks.after_call` (never holds inputs)."""

    connector: str
    action: str
    outcome: Literal["ok", "error"]
    error_kind: str | None
    latency_ms: float
    status: int | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str | None = None


class CallHooks(Protocol):
    """The core's view of calls: ``before_call`` may raise to refuse (usage limits)."""

    def before_call(self, connector: str, action: str) -> None: ...

    def after_call(self, record: CallRecord) -> None: ...


class NullHooks:
    def before_call(self, connector: str, action: str) -> None:
        return None

    def after_call(self, record: CallRecord) -> None:
        return None
