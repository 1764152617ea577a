"""The record of limit hits: a hard limit refusing work, a soft limit past 100 %.

The incident timeline reads these rows. Writing them must stay cheap and must never
hide the refusal itself: repeats of one limit and outcome within :data:`FOLD_WINDOW`
fold into the row already written (one small UPDATE, no read), and a failed write is
logged, not raised.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import insert, update
from sqlalchemy.exc import SQLAlchemyError

from levqor_desktop.core.db import Database
from levqor_desktop.core.models.usage import UsageLimitHit
from levqor_desktop.core.usage.limits import LimitStatus

log = logging.getLogger(__name__)

#: Hits of the same limit and outcome this close together share one row.
FOLD_WINDOW = dt.timedelta(minutes=1)

REFUSED = "refused"
WARNED = "warned"


@dataclass
class _Open:
    row_id: int
    started: dt.datetime


class LimitHits:
    """Writes ``usage_limit_hits`` rows; one instance per App (its fold state is per process)."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime]) -> None:
        self._db = db
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[tuple[int, str, str], _Open] = {}

    def record(
        self,
        status: LimitStatus,
        outcome: str,
        stage: str,
        *,
        user_id: int | None = None,
        job_id: int | None = None,
        workflow: str | None = None,
    ) -> None:
        now = self._clock()
        key = (status.limit.id, outcome, stage)
        try:
            with self._lock:
                current = self._open.get(key)
                if current is not None and now - current.started < FOLD_WINDOW:
                    self._fold(current.row_id, now, status.used + status.reserved)
                    return
                row_id = self._insert(status, outcome, stage, now, user_id, job_id, workflow)
                self._open[key] = _Open(row_id, now)
        except SQLAlchemyError as exc:
            log.warning("could not record a limit hit (%s): %s", outcome, exc)

    def _insert(
        self,
        status: LimitStatus,
        outcome: str,
        stage: str,
        now: dt.datetime,
        user_id: int | None,
        job_id: int | None,
        workflow: str | None,
    ) -> int:
        with self._db.engine.begin() as conn:
            result = conn.execute(
                insert(UsageLimitHit)
                .values(
                    org_id=status.limit.org_id,
                    user_id=user_id,
                    limit_id=status.limit.id,
                    metric=status.limit.metric,
                    outcome=outcome,
                    stage=stage,
                    job_id=job_id,
                    workflow=workflow[:200] if workflow else None,
                    message=status.message(),
                    used=status.used + status.reserved,
                    value=status.limit.value,
                    at=now,
                    last_at=now,
                    hits=1,
                )
                .returning(UsageLimitHit.id)
            )
            return int(result.scalar_one())

    def _fold(self, row_id: int, now: dt.datetime, used: int) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(
                update(UsageLimitHit)
                .where(UsageLimitHit.id == row_id)
                .values(hits=UsageLimitHit.hits + 1, last_at=now, used=used)
            )
