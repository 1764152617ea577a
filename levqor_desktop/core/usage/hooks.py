"""Connector call hooks: reserve before each vendor call, record what it used after.

The core hands these to every connector it builds (``connectors.base.CallHooks``):
``before_call`` reserves one connector call (and, for an AI step, its worst-case cost)
and raises :class:`~levqor_desktop.errors.LimitExceeded` to refuse the call;
``after_call`` turns the reservations into events: the call, its prompt and completion
tokens, and their cost from the price table.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from levqor_desktop.core.models.usage import Metric
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage.guard import Reservation
from levqor_desktop.core.usage.records import NewEvent

log = logging.getLogger(__name__)


class CallRecordLike(Protocol):
    """The fields of ``connectors.base.CallRecord`` we read (the core does not import it)."""

    @property
    def connector(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def completion_tokens(self) -> int: ...
    @property
    def model(self) -> str | None: ...


@dataclass(frozen=True)
class AIStep:
    """What an AI step may use at most: its model, ``max_tokens`` and prompt size."""

    model: str
    max_tokens: int
    prompt_tokens: int = 0


class Meter(Protocol):
    """What the hooks need of :class:`~.service.UsageService` (so they do not import it)."""

    def now(self) -> dt.datetime: ...

    def ensure_tokens_left(self, actor: Actor, *, job_id: int | None = None) -> None: ...

    def reserve(
        self, actor: Actor, metric: Metric, amount: int, *, job_id: int | None = None
    ) -> Reservation: ...

    def worst_case_cost(self, step: AIStep) -> int: ...

    def release(self, reservation: Reservation) -> None: ...

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> int | None: ...

    def settle(self, reservations: Sequence[Reservation], events: Sequence[NewEvent]) -> int: ...


class UsageHooks:
    """``CallHooks`` for one actor (and job). Safe to share between threads."""

    def __init__(
        self,
        service: Meter,
        actor: Actor,
        *,
        job_id: int | None = None,
        workflow: str | None = None,
        ai_step: AIStep | None = None,
    ) -> None:
        self._service = service
        self.actor = actor
        self.job_id = job_id
        self.workflow = workflow
        self.ai_step = ai_step
        self._local = threading.local()

    def _pending(self) -> list[list[Reservation]]:
        stack: list[list[Reservation]] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def before_call(self, connector: str, action: str) -> None:
        service = self._service
        held: list[Reservation] = []
        if self.ai_step is not None:
            service.ensure_tokens_left(self.actor, job_id=self.job_id)
        held.append(service.reserve(self.actor, Metric.CONNECTOR_CALLS, 1, job_id=self.job_id))
        if self.ai_step is not None:
            worst = service.worst_case_cost(self.ai_step)
            try:
                held.append(service.reserve(self.actor, Metric.COST_USD, worst, job_id=self.job_id))
            except BaseException:
                service.release(held[0])
                raise
        self._pending().append(held)

    def after_call(self, record: CallRecordLike) -> None:
        stack = self._pending()
        held = stack.pop() if stack else []
        service = self._service
        now = service.now()

        def event(metric: Metric, amount: int) -> NewEvent:
            return NewEvent(
                self.actor.org_id,
                self.actor.user_id,
                metric,
                amount,
                now,
                connector=record.connector,
                workflow=self.workflow,
                job_id=self.job_id,
            )

        events = [event(Metric.CONNECTOR_CALLS, 1)]
        if record.prompt_tokens:
            events.append(event(Metric.AI_PROMPT_TOKENS, record.prompt_tokens))
        if record.completion_tokens:
            events.append(event(Metric.AI_COMPLETION_TOKENS, record.completion_tokens))
        model = record.model or (self.ai_step.model if self.ai_step else None)
        if model and (record.prompt_tokens or record.completion_tokens):
            cost = service.cost(model, record.prompt_tokens, record.completion_tokens)
            if cost is None:
                log.warning("no price for the AI model %r: tokens recorded without cost", model)
            elif cost:
                events.append(event(Metric.COST_USD, cost))
        service.settle(held, events)
