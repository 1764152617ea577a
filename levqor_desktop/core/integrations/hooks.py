"""Call hooks: several as one, and per-day call counters for the Connectors panel."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connectors.base import CallHooks, CallRecord
from levqor_desktop.core.db import Database
from levqor_desktop.core.models.connectors import ConnectorCallDay

log = logging.getLogger(__name__)


class CompositeHooks:
    """Calls every hook's ``before_call`` (any may refuse) and every ``after_call``."""

    def __init__(self, hooks: Iterable[CallHooks]) -> None:
        self.hooks = list(hooks)

    def before_call(self, connector: str, action: str) -> None:
        for hook in self.hooks:
            hook.before_call(connector, action)

    def after_call(self, record: CallRecord) -> None:
        for hook in self.hooks:
            try:
                hook.after_call(record)
            except Exception:
                # Book-keeping must never turn a vendor's success into a failure.
                log.exception("after_call hook %s failed", type(hook).__name__)


class CallStatsHooks:
    """Counts calls, errors and latency per organization, connector and UTC day."""

    def __init__(self, db: Database, org_id: int) -> None:
        self.db = db
        self.org_id = org_id

    def before_call(self, connector: str, action: str) -> None:
        return None

    def after_call(self, record: CallRecord) -> None:
        values = {
            "org_id": self.org_id,
            "connector": record.connector,
            "day": dt.datetime.now(dt.UTC).date(),
            "calls": 1,
            "errors": 0 if record.outcome == "ok" else 1,
            "latency_ms_total": record.latency_ms,
        }
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        stmt = insert(ConnectorCallDay).values(**values)
        table = ConnectorCallDay.__table__
        stmt = stmt.on_conflict_do_update(
            index_elements=["org_id", "connector", "day"],
            set_={
                "calls": table.c.calls + 1,
                "errors": table.c.errors + values["errors"],
                "latency_ms_total": table.c.latency_ms_total + func.coalesce(record.latency_ms, 0),
            },
        )
        with self.db.session() as session:
            session.execute(stmt)
