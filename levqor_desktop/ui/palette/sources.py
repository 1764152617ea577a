"""Where the palette jumps to: panels, workflows, jobs by id, flags and connectors.

:func:`load_targets` runs off the UI thread (it reads the database); the commands it
leads to run on the UI thread and only switch panels and select things. A job id typed
into the palette is looked up exactly, also off the UI thread, by :class:`JobLookup`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from levqor_desktop.core.flags import FLAGS
from levqor_desktop.core.jobs.contracts import JobRecord
from levqor_desktop.errors import NotFoundError
from levqor_desktop.ui.palette.commands import GO, Command

JOB_ID = re.compile(r"^\s*(?:job\s*)?#?(\d{1,18})\s*$", re.IGNORECASE)


class Navigator(Protocol):
    """What the jump commands need from the window."""

    def show_panel(self, key: str) -> None: ...

    def panel(self, key: str) -> Any: ...


@dataclass(frozen=True)
class Targets:
    workflows: list[tuple[int, str]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    connectors: list[tuple[str, str]] = field(default_factory=list)


def load_targets(app: Any) -> Targets:
    """Workflows, flags and connectors to jump to (off the UI thread)."""
    actor = app.actor
    if actor is None:
        return Targets()
    workflows = [(w.id, w.name) for w in app.workflows.list(actor)]
    connectors = [(c.name, c.title) for c in app.connectors.board(actor)]
    return Targets(workflows, sorted(str(name) for name in FLAGS), connectors)


def panel_commands(specs: Sequence[Any], nav: Navigator) -> list[Command]:
    return [
        Command(
            f"go.{spec.key}",
            spec.title,
            _jump(nav, spec.key),
            group=GO,
            shortcut=f"Ctrl+{n}" if n <= 9 else "",
        )
        for n, spec in enumerate(specs, start=1)
    ]


def target_commands(targets: Targets, nav: Navigator) -> list[Command]:
    out = [
        Command(
            f"workflow.{wid}", name, _jump(nav, "workflows", "load", wid),
            group="Workflow", in_menu=False,
        )
        for wid, name in targets.workflows
    ]  # fmt: skip
    out += [
        Command(
            f"flag.{name}", name, _jump_filled(nav, "flags", "flags_model", "select_flag", name),
            group="Flag", in_menu=False,
        )
        for name in targets.flags
    ]  # fmt: skip
    out += [
        Command(
            f"connector.{name}", title, _jump(nav, "connectors", "select_connector", name),
            group="Connector", detail=name, in_menu=False,
        )
        for name, title in targets.connectors
    ]  # fmt: skip
    return out


def _jump(nav: Navigator, key: str, method: str | None = None, *args: Any) -> Callable[[], None]:
    def run() -> None:
        nav.show_panel(key)
        panel = nav.panel(key)
        if method is not None and panel is not None:
            getattr(panel, method)(*args)

    return run


def _jump_filled(
    nav: Navigator, key: str, model: str, method: str, *args: Any
) -> Callable[[], None]:
    """Like :func:`_jump`, but on a panel shown for the first time wait until its model
    ``model`` is filled before selecting (its first load runs off the UI thread)."""

    def run() -> None:
        nav.show_panel(key)
        panel = nav.panel(key)
        if panel is None:
            return
        qt_model = getattr(panel, model)
        if qt_model.rowCount() > 0:
            getattr(panel, method)(*args)
            return

        def filled() -> None:
            qt_model.modelReset.disconnect(filled)
            getattr(panel, method)(*args)

        qt_model.modelReset.connect(filled)

    return run


class JobLookup:
    """Exact job-id look-ups for the palette, answered off the UI thread.

    ``submit`` is the bridge's; ``changed`` is called on the UI thread when an answer
    arrives (the palette ranks again to show it).
    """

    def __init__(
        self,
        app: Callable[[], Any],
        submit: Callable[..., None],
        nav: Navigator,
        changed: Callable[[], None],
    ) -> None:
        self._app, self._submit, self._nav, self._changed = app, submit, nav, changed
        #: Job id -> what the look-up found ("failed · sync"), or "" while it runs.
        self.found: dict[int, str] = {}

    def commands(self, query: str) -> list[Command]:
        match = JOB_ID.match(query)
        if match is None or self._app() is None:
            return []
        job_id = int(match.group(1))
        if job_id not in self.found:
            self.found[job_id] = ""
            self._submit(self._describe, job_id, on_result=self._described)
        return [
            Command(
                f"job.{job_id}", f"Open job #{job_id}", lambda: self.open(job_id),
                group="Job", detail=self.found[job_id] or "looking up…", in_menu=False,
            )
        ]  # fmt: skip

    def _describe(self, job_id: int) -> tuple[int, str]:
        try:
            job = self._get(job_id)
        except NotFoundError:
            return job_id, "no such job"
        return job_id, f"{job.status.value} · {job.workflow_name}"

    def _get(self, job_id: int) -> JobRecord:
        app = self._app()
        record: JobRecord = app.jobs.get(app.actor, job_id)
        return record

    def _described(self, result: tuple[int, str]) -> None:
        job_id, text = result
        self.found[job_id] = text
        self._changed()

    def open(self, job_id: int) -> None:
        """Show the job in the Queue panel once the look-up confirms it exists."""

        def show(_job: JobRecord) -> None:
            self._nav.show_panel("queue")
            panel = self._nav.panel("queue")
            if panel is not None:
                panel.open_job(job_id)

        self._submit(self._get, job_id, on_result=show)
