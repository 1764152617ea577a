"""``app.incidents``: one timeline of what happened in a time window, and its export.

The timeline merges six sources (failed jobs, flag changes, canary runs, migrations,
limit hits, operator actions), each read page by page in time order, so a long window
streams. Every event is redacted before it leaves the service.
"""

from __future__ import annotations

import datetime as dt
import heapq
import os
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select

from levqor_desktop.core.db import Database
from levqor_desktop.core.incidents import paging
from levqor_desktop.core.incidents.events import EventKind, IncidentEvent
from levqor_desktop.core.incidents.export import FORMATS, write_json, write_markdown
from levqor_desktop.core.incidents.redaction import Redactor, connector_secrets
from levqor_desktop.core.incidents.sources import IS_FAILED, all_sources
from levqor_desktop.core.incidents.window import Window, iso_label
from levqor_desktop.core.models import Organization, utcnow
from levqor_desktop.core.models.canary import CanaryRun
from levqor_desktop.core.models.jobs import Job
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.secrets import SecretStore
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import NotFoundError, ValidationError


class IncidentService:
    def __init__(
        self, db: Database, secrets: SecretStore, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self._db = db
        self._secrets = secrets
        self._clock = clock

    def now(self) -> dt.datetime:
        return self._clock()

    # -- windows ----------------------------------------------------------------------

    def last_failure(self, actor: Actor) -> Window:
        """The window around the newest failed job or failed canary run."""
        require(actor, Permission.READ)
        with self._db.session() as session:
            job_at = session.scalar(
                select(func.max(Job.finished_at)).where(IS_FAILED, Job.org_id == actor.org_id)
            )
            canary_at = session.scalar(
                select(func.max(CanaryRun.started_at)).where(
                    CanaryRun.org_id == actor.org_id, CanaryRun.verdict == "fail"
                )
            )
        found = [(at, what) for at, what in ((job_at, "job"), (canary_at, "canary run")) if at]
        if not found:
            raise NotFoundError(
                "there is no failed job or failed canary run to centre a window on",
                hint="pick a window instead, e.g. --since 2h",
            )
        at, what = max(found)
        return Window.around(at, f"the last failure (a {what} at {iso_label(at)})")

    # -- the timeline -----------------------------------------------------------------

    def timeline(
        self,
        actor: Actor,
        window: Window,
        kinds: Collection[EventKind] | None = None,
        *,
        page_size: int = paging.PAGE_SIZE,
    ) -> Iterator[IncidentEvent]:
        """Every event in ``window`` (of ``kinds``, default all), oldest first, redacted.

        Reading the keyring for the credentials to hide happens first: a locked
        keyring fails the call before anything is produced.
        """
        require(actor, Permission.READ)
        redactor = Redactor(connector_secrets(self._db, self._secrets))
        sources = all_sources(actor.org_id)
        wanted = set(kinds) if kinds is not None else set(sources)
        streams = [
            paging.events(self._db, sources[kind], window, page_size)
            for kind in EventKind
            if kind in wanted
        ]
        merged = heapq.merge(*streams, key=lambda e: e.sort_key)
        return (redactor.event(event) for event in merged)

    def events(
        self,
        actor: Actor,
        window: Window,
        kinds: Collection[EventKind] | None = None,
        *,
        limit: int | None = None,
    ) -> list[IncidentEvent]:
        """The timeline as a list (the panel and ``levqor incident show``), oldest first."""
        out: list[IncidentEvent] = []
        for event in self.timeline(actor, window, kinds):
            if limit is not None and len(out) >= limit:
                break
            out.append(event)
        return out

    # -- export -----------------------------------------------------------------------

    def scope(self, actor: Actor) -> str:
        with self._db.session() as session:
            name = session.scalar(select(Organization.name).where(Organization.id == actor.org_id))
        return (
            f"organization {name or actor.org_id!s} (jobs, canary runs, limit hits, operator "
            "actions); the whole installation (flag changes, migrations)"
        )

    def export(
        self,
        actor: Actor,
        window: Window,
        fmt: str,
        out: TextIO,
        kinds: Collection[EventKind] | None = None,
    ) -> int:
        """Write the timeline to ``out`` as ``md`` or ``json``; return the event count."""
        if fmt not in FORMATS:
            raise ValidationError(f"unknown export format {fmt!r}", hint="use md or json")
        writer = write_markdown if fmt == "md" else write_json
        events = self.timeline(actor, window, kinds)
        return writer(out, events, window, self._clock(), self.scope(actor))

    def export_file(
        self,
        actor: Actor,
        window: Window,
        fmt: str,
        path: Path,
        kinds: Collection[EventKind] | None = None,
    ) -> int:
        """Export into ``path``, replacing it only once the export is complete."""
        partial = path.with_name(f".{path.name}.partial")
        try:
            with open(partial, "w", encoding="utf-8", newline="\n") as out:
                count = self.export(actor, window, fmt, out, kinds)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return count
