"""Background work of the Workflows panel: live validation and local test runs.

Both run core calls on the bridge's thread pool and report by Qt signals, so the editor
never waits. Validation is debounced (it runs once typing pauses) and only the newest
result is shown; a test run's step events cross from the worker thread to the UI
thread as queued signals, one per step start and end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from levqor_desktop.core.workflows.actions import ActionCatalog
from levqor_desktop.core.workflows.document import Fault, Workflow, WorkflowInvalid
from levqor_desktop.core.workflows.runner import RunResult, run_workflow
from levqor_desktop.ui.bridge import Bridge

__all__ = ["LiveValidator", "TestRunController"]

DEBOUNCE_MS = 350


class LiveValidator(QObject):
    """Validates the editor's text off the UI thread after typing pauses."""

    #: (workflow or None, faults) for the newest text; faults empty when valid.
    validated = Signal(object, list)

    def __init__(
        self,
        bridge: Bridge,
        validate: Callable[[str], Workflow],
        parent: QObject | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._validate = validate
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._run)
        self._text = ""
        self._generation = 0

    def schedule(self, text: str) -> None:
        """Validate ``text`` once typing pauses (restarts the wait)."""
        self._text = text
        self._generation += 1
        self._timer.start()

    def validate_now(self, text: str) -> None:
        self._text = text
        self._generation += 1
        self._timer.stop()
        self._run()

    def _run(self) -> None:
        generation, text = self._generation, self._text

        def check() -> tuple[Workflow | None, list[Fault]]:
            if not text.strip():
                return None, [Fault("$", "the document is empty", 1, 1)]
            try:
                return self._validate(text), []
            except WorkflowInvalid as exc:
                return None, list(exc.faults)

        def done(result: tuple[Workflow | None, list[Fault]]) -> None:
            if generation == self._generation:  # a newer text is on its way: drop this
                self.validated.emit(result[0], result[1])

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.validated.emit(None, [Fault("$", f"cannot validate: {exc}")])

        self._bridge.submit(check, on_result=done, on_error=failed)


class TestRunController(QObject):
    """Runs a workflow locally (``test_run=True``, nothing recorded), step by step."""

    __test__ = False  # not a pytest test class

    #: A StepEvent, delivered on the UI thread.
    step_event = Signal(object)
    #: The RunResult when the run ends.
    finished = Signal(object)
    #: An exception that stopped the run before its steps (e.g. bad inputs).
    failed = Signal(object)

    def __init__(self, bridge: Bridge, actions: ActionCatalog, parent: QObject | None = None):
        super().__init__(parent)
        self._bridge = bridge
        self._actions = actions
        self._cancel = threading.Event()
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self, workflow: Workflow, inputs: Mapping[str, Any]) -> bool:
        """Start a run; False when one is already running."""
        if self._running:
            return False
        self._running = True
        self._cancel = threading.Event()
        cancel = self._cancel

        def run() -> RunResult:
            # Emitted from the pool thread; Qt queues it to this object's (UI) thread.
            return run_workflow(
                workflow,
                dict(inputs),
                self._actions,
                on_event=self.step_event.emit,
                cancelled=cancel.is_set,
                test_run=True,
            )

        self._bridge.submit(run, on_result=self._done, on_error=self._error)
        return True

    def cancel(self) -> None:
        self._cancel.set()

    def _done(self, result: RunResult) -> None:
        self._running = False
        self.finished.emit(result)

    def _error(self, exc: BaseException) -> None:
        self._running = False
        self.failed.emit(exc)
