"""Events drawn as markers on the graphs: flag changes, canary runs, migrations and new
workflow versions, read from the audit tables that exist in this schema.

Each source names a table, its time column and how to label a row; a table that is not
in the schema (another domain not installed yet) is skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from levqor_desktop.core.db import Database
from levqor_desktop.core.models import Base

log = logging.getLogger(__name__)

#: Most markers returned for one range (a graph cannot show more usefully).
MAX_MARKERS = 500


@dataclass(frozen=True)
class Marker:
    at: dt.datetime
    kind: str  # "flag" | "canary" | "migration" | "workflow"
    label: str


def _flag(r: Mapping[str, Any]) -> str:
    state = "on" if r["new_effective"] else "off"
    return f"{r['flag']} {state} ({r['actor_name']})"


def _canary(r: Mapping[str, Any]) -> str:
    return f"canary {r['verdict']} ({r['trigger']})"


def _migration(r: Mapping[str, Any]) -> str:
    return f"{r['kind']} {r['status']}"


def _workflow(r: Mapping[str, Any]) -> str:
    name = r.get("name") or r.get("workflow_name") or f"workflow {r.get('workflow_id', '')}"
    return f"{name} v{r.get('version', '?')}"


@dataclass(frozen=True)
class MarkerSource:
    kind: str
    table: str
    time_column: str
    label: Callable[[Mapping[str, Any]], str]


SOURCES: tuple[MarkerSource, ...] = (
    MarkerSource("flag", "flag_audit", "created_at", _flag),
    MarkerSource("canary", "canary_runs", "started_at", _canary),
    MarkerSource("migration", "migration_runs", "started_at", _migration),
    MarkerSource("workflow", "workflow_versions", "created_at", _workflow),
)


def markers(
    db: Database,
    since: dt.datetime,
    until: dt.datetime | None = None,
    sources: tuple[MarkerSource, ...] = SOURCES,
) -> list[Marker]:
    """Markers between ``since`` and ``until``, oldest first."""
    found: list[Marker] = []
    for source in sources:
        table = Base.metadata.tables.get(source.table)
        if table is None or source.time_column not in table.c:
            continue
        when = table.c[source.time_column]
        query = select(table).where(when >= since).order_by(when.desc()).limit(MAX_MARKERS)
        if until is not None:
            query = query.where(when <= until)
        try:
            with db.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except DBAPIError as exc:
            log.debug("no %s markers: %s", source.kind, exc.orig)
            continue
        for row in rows:
            data = {str(k): v for k, v in row.items()}
            try:
                found.append(Marker(data[source.time_column], source.kind, source.label(data)))
            except (KeyError, TypeError):
                continue
    found.sort(key=lambda m: m.at)
    return found[-MAX_MARKERS:]
