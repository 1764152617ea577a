"""Where the canary's observations of *this* app come from.

The services other engineers own are reached through the narrow Protocols below, so
this module only depends on the few calls it makes. Where a service is missing, a
fallback reads the same facts from the database (the jobs tables) or the library
(keyring) directly, and where there is nothing to read the report says so (no data).
The ops API serves exactly these reports, so the in-process and the remote targets
agree.
"""

from __future__ import annotations

import datetime as dt
import secrets as pysecrets
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError

from levqor_desktop import __version__
from levqor_desktop.core import schema
from levqor_desktop.core.canary.reports import (
    ConnectorCheck,
    ConnectorsReport,
    DatabaseHealth,
    DiskState,
    HealthReport,
    KeyringState,
    ProbeReport,
    QueueHealthReport,
    RecentOutcomes,
    SchemaState,
    SystemReport,
)
from levqor_desktop.core.db import Database, describe_db_error
from levqor_desktop.core.models import utcnow
from levqor_desktop.core.models.canary import CanaryProbe
from levqor_desktop.core.models.jobs import FINISHED, Job, JobStatus, JobWorker
from levqor_desktop.errors import LevqorError

#: A worker whose heartbeat is older than this is not counted as online.
WORKER_STALE_AFTER = dt.timedelta(seconds=90)
REDIS_TIMEOUT_S = 2.0

Clock = Callable[[], dt.datetime]


# -- what we need from other services -----------------------------------------------------


@runtime_checkable
class JobStats(Protocol):
    """Queue statistics (``app.jobs``)."""

    def depth(self) -> Mapping[str, int]: ...

    def workers_online(self) -> int: ...

    def oldest_queued_age(self) -> float | None: ...

    def outcome_counts(self, since: dt.datetime) -> Mapping[str, int]: ...


@runtime_checkable
class ConnectorChecker(Protocol):
    """Runs ``check()`` for every configured connector account (``app.connectors``)."""

    def check_accounts(self) -> Sequence[ConnectorCheck]: ...


@runtime_checkable
class KeyringProbe(Protocol):
    """The OS keyring wrapper (``app.secrets``)."""

    @property
    def backend(self) -> Any:
        """The selected backend; raises when no keyring is configured."""

    def check(self) -> float:
        """Write, read back and delete a probe secret; the round trip in ms."""


class RedisPinger(Protocol):
    def __call__(self, url: str) -> tuple[bool, str | None, int | None]: ...


# -- fallbacks ----------------------------------------------------------------------------


class TableJobStats:
    """Queue statistics read from the jobs tables (used when ``app.jobs`` has none)."""

    def __init__(self, db: Database, backend: Callable[[], str], clock: Clock = utcnow) -> None:
        self._db = db
        self._backend = backend
        self._clock = clock

    def depth(self) -> Mapping[str, int]:
        # One count per state: each reads that state's partial index, not the history.
        counts: dict[str, int] = {}
        with self._db.session() as session:
            for status in (JobStatus.QUEUED, JobStatus.RUNNING):
                n = session.scalar(
                    select(func.count()).select_from(Job).where(Job.status == status)
                )
                counts[status.value] = int(n or 0)
        return counts

    def workers_online(self) -> int:
        since = self._clock() - WORKER_STALE_AFTER
        with self._db.session() as session:
            n = session.scalar(
                select(func.count())
                .select_from(JobWorker)
                .where(
                    JobWorker.kind == self._backend(),
                    JobWorker.state != "stopped",
                    JobWorker.heartbeat_at >= since,
                )
            )
        return int(n or 0)

    def oldest_queued_age(self) -> float | None:
        with self._db.session() as session:
            oldest = session.scalar(
                select(func.min(Job.created_at)).where(Job.status == JobStatus.QUEUED)
            )
        if oldest is None:
            return None
        if oldest.tzinfo is None:  # min() over SQLite bypasses the column type
            oldest = dt.datetime.fromisoformat(str(oldest)).replace(tzinfo=dt.UTC)
        return max(0.0, (self._clock() - oldest).total_seconds())

    def outcome_counts(self, since: dt.datetime) -> Mapping[str, int]:
        with self._db.session() as session:
            rows = session.execute(
                select(Job.status, func.count())
                .where(Job.status.in_(list(FINISHED)), Job.finished_at >= since)
                .group_by(Job.status)
            ).all()
        return {str(status): int(n) for status, n in rows}


def ping_redis(url: str) -> tuple[bool, str | None, int | None]:
    """(reachable, error, RQ workers registered) for the Redis at ``url``."""
    import redis
    from rq import Worker

    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )
    try:
        client.ping()
        workers = int(Worker.count(connection=client))
    except redis.RedisError as exc:
        return False, f"Redis at {_redis_location(url)}: {exc}", None
    finally:
        client.close()
    return True, None, workers


def _redis_location(url: str) -> str:
    rest = url.split("://", 1)[-1].rsplit("@", 1)[-1]
    return rest.split("?", 1)[0]


# -- the sources --------------------------------------------------------------------------


@dataclass
class LocalSources:
    """Everything the canary and the ops API read from this process."""

    db: Database
    data_dir: Path
    redis_url: str
    queue_backend: Callable[[], str]
    registry: CollectorRegistry
    jobs: JobStats
    keyring: KeyringProbe | None
    #: Looked up at each run: the connector service may be wired after the canary.
    connectors: Callable[[], ConnectorChecker | None] = lambda: None
    redis_ping: RedisPinger = ping_redis
    clock: Clock = utcnow
    version: str = __version__

    def health(self) -> HealthReport:
        ping = self.db.ping()
        database = DatabaseHealth(
            backend=self.db.backend,
            reachable=ping.ok,
            latency_ms=None if ping.latency_ms is None else round(ping.latency_ms, 3),
            error=ping.error,
        )
        return HealthReport(
            status="ok" if ping.ok else "degraded",
            version=self.version,
            time=self.clock(),
            database=database,
        )

    def queue_health(self, window_minutes: int = 15) -> QueueHealthReport:
        backend = self.queue_backend()
        reachable, error, rq_workers = True, None, None
        if backend == "rq":
            reachable, error, rq_workers = self.redis_ping(self.redis_url)
        depth: dict[str, int] | None = None
        workers: int | None = rq_workers
        oldest: float | None = None
        recent: RecentOutcomes | None = None
        try:
            depth = dict(self.jobs.depth())
            if workers is None:
                workers = self.jobs.workers_online()
            oldest = self.jobs.oldest_queued_age()
            since = self.clock() - dt.timedelta(minutes=window_minutes)
            outcomes = self.jobs.outcome_counts(since)
            recent = RecentOutcomes(
                window_minutes=window_minutes,
                finished=sum(outcomes.values()),
                failed=int(outcomes.get(JobStatus.FAILED.value, 0)),
            )
        except (DBAPIError, LevqorError) as exc:
            if backend == "local":
                # The local backend's queue is the database itself.
                reachable = False
                error = _describe(exc, self.db)
        return QueueHealthReport(
            backend=backend,
            reachable=reachable,
            error=error,
            depth=depth,
            workers_online=workers,
            oldest_queued_age_s=None if oldest is None else round(oldest, 3),
            recent=recent,
        )

    def metrics_text(self) -> str:
        return generate_latest(self.registry).decode("utf-8")

    def system(self) -> SystemReport:
        return SystemReport(db_schema=self._schema(), disk=self._disk(), keyring=self._keyring())

    def db_probe(self) -> ProbeReport:
        token = pysecrets.token_hex(16)
        start = time.perf_counter()
        try:
            with self.db.write_session() as session:
                session.add(CanaryProbe(token=token, created_at=self.clock()))
            with self.db.session() as session:
                found = session.scalar(select(CanaryProbe.token).where(CanaryProbe.token == token))
            with self.db.write_session() as session:
                session.execute(delete(CanaryProbe).where(CanaryProbe.token == token))
        except DBAPIError as exc:
            return ProbeReport(ok=False, latency_ms=None, error=describe_db_error(exc, self.db))
        latency = round((time.perf_counter() - start) * 1000, 3)
        if found != token:
            return ProbeReport(ok=False, latency_ms=latency, error="the row read back differs")
        return ProbeReport(ok=True, latency_ms=latency)

    def connector_checks(self) -> ConnectorsReport:
        checker = self.connectors()
        if checker is None:
            return ConnectorsReport(available=False, accounts=[])
        return ConnectorsReport(available=True, accounts=list(checker.check_accounts()))

    def _schema(self) -> SchemaState:
        heads = list(schema.head_revisions())
        try:
            current = list(schema.current_revisions(self.db))
        except LevqorError as exc:
            return SchemaState(current=[], heads=heads, at_head=False, error=str(exc))
        return SchemaState(current=current, heads=heads, at_head=set(current) == set(heads))

    def _disk(self) -> DiskState | None:
        try:
            usage = shutil.disk_usage(self.data_dir)
        except OSError:
            return None
        percent = 100.0 * usage.free / usage.total if usage.total else 0.0
        return DiskState(
            free_bytes=usage.free, total_bytes=usage.total, free_percent=round(percent, 2)
        )

    def _keyring(self) -> KeyringState:
        store = self.keyring
        if store is None:
            return KeyringState(reachable=None, error="no keyring is wired into this app")
        try:
            backend = store.backend
        except Exception as exc:  # no usable keyring: nothing to reach (no data)
            return KeyringState(reachable=None, error=_one_line(exc), hint=_hint(exc))
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        try:
            latency = store.check()
        except Exception as exc:  # keyring backends raise anything from D-Bus to OSError
            return KeyringState(reachable=False, backend=name, error=_one_line(exc))
        return KeyringState(reachable=True, backend=name, latency_ms=round(latency, 3))


def _describe(exc: BaseException, db: Database) -> str:
    if isinstance(exc, DBAPIError):
        return describe_db_error(exc, db)
    return str(exc)


def _hint(exc: BaseException) -> str | None:
    hint = getattr(exc, "hint", None)
    return str(hint) if hint else None


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
