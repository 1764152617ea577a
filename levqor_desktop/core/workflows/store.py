"""Workflows in the database, with version history (``app.workflows``).

Every save validates first (an invalid document is never stored) and writes a new
version; saving a document identical to the current version writes nothing. Restoring
writes a new version equal to the old one, so history only grows. Reads and writes are
scoped to the actor's organization; writes need ``Permission.EDIT_WORKFLOWS``.

A workflow is named by its name or its id (an ``int``, or a string of digits that is
not also a name). The stored document's ``name`` and ``version`` fields are kept equal
to the row's name and the version number.

Two unscoped reads serve the job runners and the scheduler, which act for the job's
organization: :meth:`WorkflowStore.document` and :meth:`WorkflowStore.scheduled`.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.tenancy import User
from levqor_desktop.core.models.workflows import WorkflowRow, WorkflowVersionRow
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows.actions import ActionCatalog
from levqor_desktop.core.workflows.document import Workflow, parse_workflow
from levqor_desktop.core.workflows.records import (
    ScheduledWorkflow,
    StoredWorkflow,
    WorkflowSummary,
    WorkflowVersionInfo,
)
from levqor_desktop.errors import NotFoundError, ValidationError

__all__ = [
    "ScheduledWorkflow",
    "StoredWorkflow",
    "WorkflowStore",
    "WorkflowSummary",
    "WorkflowVersionInfo",
]

WorkflowKey = str | int


class WorkflowStore:
    def __init__(
        self,
        db: Database,
        catalog: ActionCatalog | None = None,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        write_guard: Callable[[], None] | None = None,
    ) -> None:
        """``catalog`` validates ``uses``; ``write_guard`` may raise to refuse writes
        (e.g. MaintenanceMode while a migration runs)."""
        self.db = db
        self.catalog = catalog
        self.clock = clock
        self.write_guard = write_guard

    # -- validation -------------------------------------------------------------------

    def validate(self, source: str | bytes | Mapping[str, Any]) -> Workflow:
        """Parse ``source`` against this store's catalog; raises WorkflowInvalid."""
        return parse_workflow(source, catalog=self.catalog)

    # -- writes -----------------------------------------------------------------------

    def _writable(self, actor: Actor) -> None:
        require(actor, Permission.EDIT_WORKFLOWS)
        if self.write_guard is not None:
            self.write_guard()

    def save(
        self,
        actor: Actor,
        source: str | bytes | Mapping[str, Any],
        *,
        name: str | None = None,
        note: str = "",
    ) -> StoredWorkflow:
        """Validate and store ``source`` as the next version (``name`` overrides its own)."""
        self._writable(actor)
        parsed = self.validate(source)
        # Store what the author wrote (their key order, defaults left out), not a dump.
        document = json.loads(source) if isinstance(source, str | bytes) else dict(source)
        if name is not None and name != parsed.name:
            document["name"] = name
            parsed = self.validate(document)
        # Two first saves of one new name race on the unique (org, name): the loser's
        # second try finds the winner's row and adds its version after it.
        for attempt in (1, 2):
            try:
                return self._save_version(actor, parsed, document, note)
            except IntegrityError:
                if attempt == 2:
                    raise ValidationError(
                        f"workflow {parsed.name!r} was changed by someone else at the same time",
                        hint="load it again and re-apply your edit",
                    ) from None
        raise AssertionError("unreachable")

    def _save_version(
        self, actor: Actor, parsed: Workflow, document: dict[str, Any], note: str
    ) -> StoredWorkflow:
        with self.db.write_session() as session:
            row = self._row_by_name(session, actor.org_id, parsed.name, lock=True)
            if row is None:
                row = WorkflowRow(
                    org_id=actor.org_id,
                    name=parsed.name,
                    current_version=0,
                    created_at=self.clock(),
                    test_inputs={},
                )
                session.add(row)
                session.flush()
            else:
                current = self._version_row(session, row, row.current_version)
                if _same(current.document, document):
                    return self._stored(session, row, current)
            version = self._next_version(session, row)
            return self._add_version(session, actor, row, version, parsed, document, note)

    def restore(self, actor: Actor, key: WorkflowKey, version: int) -> StoredWorkflow:
        """Make ``version`` current again by writing it as a new version."""
        self._writable(actor)
        with self.db.write_session() as session:
            row = self._row(session, actor, key, lock=True)
            old = self._version_row(session, row, version)
            current = self._version_row(session, row, row.current_version)
            if _same(current.document, old.document):
                return self._stored(session, row, current)
            parsed = self.validate(old.document)
            nxt = self._next_version(session, row)
            return self._add_version(
                session, actor, row, nxt, parsed, dict(old.document), f"restored version {version}"
            )

    def delete(self, actor: Actor, key: WorkflowKey) -> None:
        """Delete the workflow and all its versions (jobs keep their own copy of the name)."""
        self._writable(actor)
        with self.db.write_session() as session:
            session.delete(self._row(session, actor, key))

    def save_test_inputs(self, actor: Actor, key: WorkflowKey, inputs: Mapping[str, Any]) -> None:
        self._writable(actor)
        with self.db.write_session() as session:
            self._row(session, actor, key).test_inputs = dict(inputs)

    def import_file(
        self, actor: Actor, path: str | Path, *, name: str | None = None, note: str = ""
    ) -> StoredWorkflow:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFoundError(f"no such file: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read {path}: {exc}") from None
        return self.save(actor, text, name=name, note=note or f"imported from {path.name}")

    # -- reads ------------------------------------------------------------------------

    def get(self, actor: Actor, key: WorkflowKey, version: int | None = None) -> StoredWorkflow:
        with self.db.session() as session:
            row = self._row(session, actor, key)
            return self._stored(
                session, row, self._version_row(session, row, version or row.current_version)
            )

    def export(self, actor: Actor, key: WorkflowKey, version: int | None = None) -> str:
        """The JSON text of a version (the current one by default)."""
        return self.get(actor, key, version).to_json()

    def list(self, actor: Actor) -> list[WorkflowSummary]:
        with self.db.session() as session:
            rows = session.scalars(
                select(WorkflowRow)
                .where(WorkflowRow.org_id == actor.org_id)
                .order_by(func.lower(WorkflowRow.name))
            )
            return [
                WorkflowSummary(
                    r.id,
                    r.name,
                    r.current_version,
                    r.trigger,
                    r.description,
                    r.created_at,
                    r.updated_at,
                )
                for r in rows
            ]

    def history(self, actor: Actor, key: WorkflowKey) -> builtins.list[WorkflowVersionInfo]:
        """Every version, newest first."""
        with self.db.session() as session:
            row = self._row(session, actor, key)
            found = session.execute(
                select(WorkflowVersionRow, User.display_name)
                .outerjoin(User, User.id == WorkflowVersionRow.created_by)
                .where(WorkflowVersionRow.workflow_id == row.id)
                .order_by(WorkflowVersionRow.version.desc())
            )
            return [
                WorkflowVersionInfo(
                    row.id,
                    v.version,
                    v.created_at,
                    v.created_by,
                    author,
                    v.note,
                    v.version == row.current_version,
                )
                for v, author in found
            ]

    def test_inputs(self, actor: Actor, key: WorkflowKey) -> dict[str, Any]:
        with self.db.session() as session:
            return dict(self._row(session, actor, key).test_inputs or {})

    # -- for job runners and the scheduler (unscoped: they act for the job's org) ----

    def document(self, workflow_id: int, version: int) -> dict[str, Any]:
        with self.db.session() as session:
            doc = session.scalar(
                select(WorkflowVersionRow.document).where(
                    WorkflowVersionRow.workflow_id == workflow_id,
                    WorkflowVersionRow.version == version,
                )
            )
        if doc is None:
            raise NotFoundError(f"workflow {workflow_id} has no version {version}")
        return dict(doc)

    def scheduled(self) -> builtins.list[ScheduledWorkflow]:
        """The current version of every workflow with a schedule trigger, in all orgs."""
        with self.db.session() as session:
            found = session.execute(
                select(WorkflowRow, WorkflowVersionRow.document)
                .join(
                    WorkflowVersionRow,
                    (WorkflowVersionRow.workflow_id == WorkflowRow.id)
                    & (WorkflowVersionRow.version == WorkflowRow.current_version),
                )
                .where(WorkflowRow.trigger == "schedule")
                .order_by(WorkflowRow.id)
            ).all()
            return [
                ScheduledWorkflow(r.org_id, r.id, r.name, r.current_version, parse_workflow(doc))
                for r, doc in found
            ]

    # -- helpers ----------------------------------------------------------------------

    def _row_by_name(
        self, session: Session, org_id: int, name: str, *, lock: bool = False
    ) -> WorkflowRow | None:
        query = select(WorkflowRow).where(WorkflowRow.org_id == org_id, WorkflowRow.name == name)
        if lock and not self.db.is_sqlite:
            query = query.with_for_update()
        return session.scalar(query)

    def _row(
        self, session: Session, actor: Actor, key: WorkflowKey, *, lock: bool = False
    ) -> WorkflowRow:
        row = None
        if isinstance(key, str):
            row = self._row_by_name(session, actor.org_id, key, lock=lock)
        if row is None and (isinstance(key, int) or key.isdigit()):
            query = select(WorkflowRow).where(
                WorkflowRow.org_id == actor.org_id, WorkflowRow.id == int(key)
            )
            row = session.scalar(
                query.with_for_update() if lock and not self.db.is_sqlite else query
            )
        if row is None:
            raise NotFoundError(f"no workflow {key!r} in this organization")
        return row

    def _version_row(self, session: Session, row: WorkflowRow, version: int) -> WorkflowVersionRow:
        found = session.scalar(
            select(WorkflowVersionRow).where(
                WorkflowVersionRow.workflow_id == row.id, WorkflowVersionRow.version == version
            )
        )
        if found is None:
            raise NotFoundError(
                f"workflow {row.name!r} has no version {version} (versions 1-{row.current_version})"
            )
        return found

    def _next_version(self, session: Session, row: WorkflowRow) -> int:
        highest = session.scalar(
            select(func.max(WorkflowVersionRow.version)).where(
                WorkflowVersionRow.workflow_id == row.id
            )
        )
        return (highest or 0) + 1

    def _add_version(
        self,
        session: Session,
        actor: Actor,
        row: WorkflowRow,
        version: int,
        parsed: Workflow,
        document: dict[str, Any],
        note: str,
    ) -> StoredWorkflow:
        document = {**document, "name": row.name, "version": version}
        now = self.clock()
        added = WorkflowVersionRow(
            workflow_id=row.id,
            version=version,
            document=document,
            created_by=actor.user_id,
            note=note[:500],
            created_at=now,
        )
        session.add(added)
        row.current_version = version
        row.trigger = parsed.trigger.type
        row.description = parsed.description[:500]
        row.updated_at = now
        session.flush()
        return self._stored(session, row, added)

    def _stored(
        self, session: Session, row: WorkflowRow, version: WorkflowVersionRow
    ) -> StoredWorkflow:
        return StoredWorkflow(
            id=row.id,
            org_id=row.org_id,
            name=row.name,
            version=version.version,
            current_version=row.current_version,
            document=dict(version.document),
            workflow=parse_workflow(version.document),
            created_at=version.created_at,
            note=version.note,
            test_inputs=dict(row.test_inputs or {}),
        )


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal documents, ignoring the ``version`` field the store maintains."""
    strip = ("version",)
    return {k: v for k, v in a.items() if k not in strip} == {
        k: v for k, v in b.items() if k not in strip
    }
