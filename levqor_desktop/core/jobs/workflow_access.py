"""How the jobs package reaches the workflows engineer's services on the App.

``app.actions`` (the action catalog) and ``app.workflows`` (the WorkflowStore) are
looked up at each use, so they may be created after the jobs services. Without an
``app.actions`` the built-in ``core.*`` actions are used.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from levqor_desktop.core.jobs.scheduler import ScheduledWorkflow
from levqor_desktop.core.jobs.service import WorkflowRef
from levqor_desktop.core.models.tenancy import Membership, Role
from levqor_desktop.core.models.workflows import WorkflowVersionRow
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows.actions import ActionCatalog, ActionInfo, RunContext
from levqor_desktop.core.workflows.builtins import BuiltinCatalog
from levqor_desktop.core.workflows.store import WorkflowStore
from levqor_desktop.errors import NotFoundError


class LazyActions:
    """An ActionCatalog that forwards to ``app.actions`` (or the built-ins)."""

    def __init__(self, owner: object) -> None:
        self._owner = owner
        self._fallback: BuiltinCatalog | None = None
        self._lock = threading.Lock()

    def _target(self) -> ActionCatalog:
        found = getattr(self._owner, "actions", None)
        if isinstance(found, ActionCatalog) and found is not self:
            return found
        with self._lock:
            if self._fallback is None:
                self._fallback = BuiltinCatalog()
            return self._fallback

    def describe(self, uses: str) -> ActionInfo | None:
        return self._target().describe(uses)

    def names(self) -> list[str]:
        return self._target().names()

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        return self._target().invoke(uses, inputs, run)


class StoredAccess:
    """``app.workflows`` as the runner, the service and the scheduler need it."""

    def __init__(self, owner: object) -> None:
        self._owner = owner

    def _store(self) -> WorkflowStore:
        store = getattr(self._owner, "workflows", None)
        if not isinstance(store, WorkflowStore):
            raise NotFoundError("stored workflows are not available in this process")
        return store

    def document(self, workflow_id: int, version: int) -> dict[str, Any]:
        return self._store().document(workflow_id, version)

    def resolve(self, actor: Actor, ref: str | int) -> WorkflowRef:
        """By id, by name, or ``<name or id>@<version>`` for one version."""
        version: int | None = None
        key: str | int = ref
        if isinstance(ref, str) and "@" in ref:
            name, _, number = ref.rpartition("@")
            if number.isdigit():
                key, version = name, int(number)
        stored = self._store().get(actor, key, version)
        return WorkflowRef(stored.name, stored.workflow, id=stored.id, version=stored.version)

    def scheduled(self) -> list[ScheduledWorkflow]:
        store = getattr(self._owner, "workflows", None)
        if not isinstance(store, WorkflowStore):
            return []
        out: list[ScheduledWorkflow] = []
        for wf in store.scheduled():
            trigger = wf.workflow.trigger
            cron = getattr(trigger, "cron", None)
            if cron is None:
                continue
            since, user_id = self._saved(store, wf.org_id, wf.workflow_id, wf.version)
            ref = WorkflowRef(wf.name, wf.workflow, id=wf.workflow_id, version=wf.version)
            out.append(
                ScheduledWorkflow(
                    org_id=wf.org_id,
                    user_id=user_id,
                    ref=ref,
                    cron=cron,
                    timezone=getattr(trigger, "timezone", "UTC"),
                    since=since,
                )
            )
        return out

    @staticmethod
    def _saved(store: WorkflowStore, org_id: int, workflow_id: int, version: int) -> Any:
        """When the scheduled version was saved and by whom (else the org's owner)."""
        with store.db.session() as session:
            row = session.execute(
                select(WorkflowVersionRow.created_at, WorkflowVersionRow.created_by).where(
                    WorkflowVersionRow.workflow_id == workflow_id,
                    WorkflowVersionRow.version == version,
                )
            ).one()
            user_id = row.created_by
            if user_id is None:
                user_id = session.scalar(
                    select(Membership.user_id)
                    .where(Membership.org_id == org_id, Membership.role == Role.OWNER)
                    .limit(1)
                )
        return row.created_at, int(user_id or 0)
