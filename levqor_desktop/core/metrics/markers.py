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

from sqlalchemy import Select, select
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
    return f"{r['name']} v{r['version']}"


@dataclass(frozen=True)
class MarkerSource:
    kind: str
    table: str
    time_column: str
    #: The columns the label needs (never a whole row: versions hold documents).
    columns: tuple[str, ...]
    label: Callable[[Mapping[str, Any]], str]
    #: Optional (table, local column, remote column, remote columns) to join for names.
    join: tuple[str, str, str, tuple[str, ...]] | None = None


SOURCES: tuple[MarkerSource, ...] = (
    MarkerSource(
        "flag", "flag_audit", "created_at", ("flag", "new_effective", "actor_name"), _flag
    ),
    MarkerSource("canary", "canary_runs", "started_at", ("verdict", "trigger"), _canary),
    MarkerSource("migration", "migration_runs", "started_at", ("kind", "status"), _migration),
    MarkerSource(
        "workflow",
        "workflow_versions",
        "created_at",
        ("version",),
        _workflow,
        join=("workflows", "workflow_id", "id", ("name",)),
    ),
)


def _query(
    source: MarkerSource, since: dt.datetime, until: dt.datetime | None
) -> Select[Any] | None:
    tables = Base.metadata.tables
    table = tables.get(source.table)
    needed = (source.time_column, *source.columns)
    if table is None or any(c not in table.c for c in needed):
        return None
    when = table.c[source.time_column]
    cols = [table.c[c] for c in needed]
    query = select(*cols)
    if source.join is not None:
        other_name, local, remote, remote_cols = source.join
        other = tables.get(other_name)
        if other is None or any(c not in other.c for c in (remote, *remote_cols)):
            return None
        query = select(*cols, *(other.c[c] for c in remote_cols)).join(
            other, table.c[local] == other.c[remote]
        )
    query = query.where(when >= since).order_by(when.desc()).limit(MAX_MARKERS)
    return query if until is None else query.where(when <= until)


def markers(
    db: Database,
    since: dt.datetime,
    until: dt.datetime | None = None,
    sources: tuple[MarkerSource, ...] = SOURCES,
) -> list[Marker]:
    """Markers between ``since`` and ``until``, oldest first."""
    found: list[Marker] = []
    for source in sources:
        query = _query(source, since, until)
        if query is None:
            continue  # that domain's tables are not in this schema
        try:
            with db.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except DBAPIError as exc:
            log.debug("no %s markers: %s", source.kind, exc.orig)
            continue
        for row in rows:
            data = {str(k): v for k, v in row.items()}
            found.append(Marker(data[source.time_column], source.kind, source.label(data)))
    found.sort(key=lambda m: m.at)
    return found[-MAX_MARKERS:]
