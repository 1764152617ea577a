"""The live test-run overlay: each node's state, duration, input and output.

It hears the same :class:`StepEvent` stream as the Test run tab (delivered on the UI
thread by :class:`~levqor_desktop.ui.workflows_live.TestRunController`). A step's input
is its ``with`` rendered against the outputs seen so far, exactly as the runner renders
it; rendering is pure data work, so doing it here never waits on anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from levqor_desktop.core.workflows.document import Workflow
from levqor_desktop.core.workflows.runner import (
    InputsInvalid,
    StepEvent,
    build_scope,
    resolve_inputs,
)
from levqor_desktop.core.workflows.templates import TemplateError, shared_engine
from levqor_desktop.ui.builder.items import NodeItem

__all__ = ["RunOverlay", "StepRunState"]


@dataclass
class StepRunState:
    status: str = "queued"
    duration_s: float | None = None
    input: Any = None
    output: Any = None
    error: str | None = None
    attempts: int = 0

    def label(self) -> str:
        return f"{self.duration_s:.2f} s" if self.duration_s is not None else ""


class RunOverlay:
    """What the current (or last) test run did at each step, by step id."""

    def __init__(self) -> None:
        self.states: dict[str, StepRunState] = {}
        self._workflow: Workflow | None = None
        self._inputs: dict[str, Any] = {}

    def begin(
        self, keys: Iterable[str], workflow: Workflow | None, inputs: Mapping[str, Any]
    ) -> None:
        """A run starts: every step is queued."""
        self.states = {key: StepRunState() for key in keys}
        self._workflow = workflow
        try:
            self._inputs = resolve_inputs(workflow, inputs) if workflow else dict(inputs)
        except InputsInvalid:
            self._inputs = dict(inputs)  # the run will not start; the Test run tab says why

    def end(self) -> None:
        """Steps still queued when the run ends never ran: they show no state."""
        self.states = {k: s for k, s in self.states.items() if s.status != "queued"}

    def show_on(self, nodes: Mapping[str, NodeItem], only: str | None = None) -> None:
        """Put each step's state (or none) on its node."""
        for key in [only] if only is not None else list(nodes):
            node, state = nodes.get(key), self.states.get(key)
            if node is not None:
                node.set_status(state.status if state else None, state.label() if state else "")

    def outputs(self) -> dict[str, Any]:
        return {k: s.output for k, s in self.states.items() if s.status == "succeeded"}

    def apply(self, event: StepEvent) -> StepRunState:
        state = self.states.setdefault(event.step_id, StepRunState())
        state.status = event.status
        if event.status == "running":
            state.input = self._render_input(event.step_id)
        # A step that never started (a need failed, the run stopped) says why, when the
        # runner tells (the graph runner's ``reason``).
        reason = getattr(event, "reason", None)
        if event.outcome is None and isinstance(reason, str):
            state.error = reason
        outcome = event.outcome
        if outcome is not None:
            state.duration_s = outcome.duration_s
            state.output = outcome.output
            state.error = outcome.error
            state.attempts = outcome.attempts
        return state

    def _render_input(self, step_id: str) -> Any:
        if self._workflow is None or all(s.id != step_id for s in self._workflow.steps):
            return None
        step = self._workflow.step(step_id)
        scope = build_scope(self._inputs, self.outputs())
        try:
            return shared_engine().render_value(step.with_, scope, field=f"steps.{step_id}.with")
        except TemplateError as exc:
            return f"(cannot render: {exc})"

    def describe(self, key: str) -> str:
        """The text the inspector shows for ``key``'s last run."""
        state = self.states.get(key)
        if state is None:
            return ""
        lines = [f"status: {state.status}"]
        if state.duration_s is not None:
            attempts = f", {state.attempts} attempt{'s' * (state.attempts != 1)}"
            lines.append(f"duration: {state.duration_s:.3f} s{attempts}")
        if state.error:
            lines.append(f"error: {state.error}")
        if state.input is not None:
            lines += ["input:", _json(state.input)]
        if state.output is not None:
            lines += ["output:", _json(state.output)]
        return "\n".join(lines)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
