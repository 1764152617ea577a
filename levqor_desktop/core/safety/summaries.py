"""What each deployment is doing, read in a moment: the Overview's "Deployments" rows.

:func:`read_summary` opens a short-lived engine on one deployment's database (a short
connect timeout, a statement timeout on PostgreSQL, no pool), reads a few counts the
jobs table's partial indexes answer cheaply, and disposes of it. It never raises: a
deployment that is down, refuses the password or has no schema yet comes back as a
summary holding the error, so one bad deployment never hides the others.
:func:`read_summaries` reads several at once, each in its own thread, so a down
deployment costs its own timeout and slows no other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ColumnElement, Select, TextClause, create_engine, func, select, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.core.safety.profiles import Profile
from levqor_desktop.errors import LevqorError

#: Seconds to wait for a deployment's database to accept a connection.
CONNECT_TIMEOUT_S = 3
#: Milliseconds any one count may take on PostgreSQL before it is cancelled.
STATEMENT_TIMEOUT_MS = 3000
#: The window of the "failed" count and of the throughput.
FAILED_WINDOW = dt.timedelta(hours=1)
THROUGHPUT_WINDOW = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class DeploymentSummary:
    """One deployment at a glance (counts are None when it could not be read)."""

    name: str
    environment: str
    colour: str
    location: str
    reachable: bool
    error: str | None = None
    queued: int | None = None
    running: int | None = None
    failed_last_hour: int | None = None
    #: Jobs finished successfully per minute over the last 15 minutes.
    per_minute: float | None = None
    #: Whether this is the deployment the asking window runs on.
    current: bool = False


#: The database URL of a profile (with its password), or the error that kept it away.
UrlSource = Callable[[Profile], str]


def read_summary(
    profile: Profile,
    database_url: str,
    *,
    current: bool = False,
    now: dt.datetime | None = None,
    connect_timeout: int = CONNECT_TIMEOUT_S,
) -> DeploymentSummary:
    """Read one deployment's queue counts; errors end up in the summary."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return unreachable(profile, "the database URL is not valid", current=current)
    location = _location(url)
    try:
        engine = _engine(url, connect_timeout)
    except LevqorError as exc:
        return unreachable(profile, str(exc), location=location, current=current)
    try:
        queued, running, failed, succeeded = _counts(engine, now or dt.datetime.now(dt.UTC))
    except SQLAlchemyError as exc:
        return unreachable(profile, _describe(exc, url), location=location, current=current)
    finally:
        engine.dispose()
    return DeploymentSummary(
        profile.name,
        profile.environment.value,
        profile.band_colour,
        location,
        reachable=True,
        queued=queued,
        running=running,
        failed_last_hour=failed,
        per_minute=round(succeeded / (THROUGHPUT_WINDOW.total_seconds() / 60), 1),
        current=current,
    )


def unreachable(
    profile: Profile, error: str, *, location: str = "?", current: bool = False
) -> DeploymentSummary:
    """The summary of a deployment that could not be read, saying why."""
    return DeploymentSummary(
        profile.name,
        profile.environment.value,
        profile.band_colour,
        location,
        reachable=False,
        error=error,
        current=current,
    )


def read_summaries(
    profiles: Sequence[Profile],
    database_url: UrlSource,
    *,
    current: str | None = None,
    connect_timeout: int = CONNECT_TIMEOUT_S,
) -> list[DeploymentSummary]:
    """Every profile's summary, read concurrently, in the order given."""
    if not profiles:
        return []
    now = dt.datetime.now(dt.UTC)

    def one(profile: Profile) -> DeploymentSummary:
        try:
            url = database_url(profile)
        except LevqorError as exc:  # a password missing from the keyring, ...
            return unreachable(profile, str(exc), current=profile.name == current)
        return read_summary(
            profile, url, current=profile.name == current, now=now,
            connect_timeout=connect_timeout,
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=min(8, len(profiles)), thread_name_prefix="summary") as ex:
        return list(ex.map(one, profiles))


def _engine(url: URL, connect_timeout: int) -> Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = url.database or ""
        # Never create a database by looking at it: a missing file is an error, and the
        # file is opened read-only.
        if not path or path == ":memory:" or not Path(path).is_file():
            raise LevqorError(f"no database file at {path or '(none)'}")
        ro = URL.create(
            "sqlite",
            database=f"file:{Path(path).as_posix()}",
            query={"mode": "ro", "uri": "true"},
        )
        return create_engine(ro, poolclass=NullPool, connect_args={"timeout": connect_timeout})
    if backend == "postgresql":
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return create_engine(
            url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": connect_timeout,
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            },
        )
    raise LevqorError(f"cannot read a {backend!r} database")


def _counts(engine: Engine, now: dt.datetime) -> tuple[int, int, int, int]:
    jobs = Job.__table__
    status, finished = jobs.c.status, jobs.c.finished_at

    # The states as literals, not parameters: only then can SQLite's planner use the
    # partial indexes (``WHERE status = 'queued'``) instead of scanning the history.
    queued_now, running_now = text("status = 'queued'"), text("status = 'running'")

    def count(*where: ColumnElement[bool] | TextClause) -> Select[int]:
        query: Select[int] = select(func.count()).select_from(jobs).where(*where)
        return query

    with engine.connect() as conn:
        queued = conn.scalar(count(queued_now))
        running = conn.scalar(count(running_now))
        failed = conn.scalar(count(finished >= now - FAILED_WINDOW, status == JobStatus.FAILED))
        succeeded = conn.scalar(
            count(finished >= now - THROUGHPUT_WINDOW, status == JobStatus.SUCCEEDED)
        )
    return int(queued or 0), int(running or 0), int(failed or 0), int(succeeded or 0)


def _location(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite {url.database or ':memory:'}"
    return f"PostgreSQL {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _describe(exc: SQLAlchemyError, url: URL) -> str:
    """A one-line reason without the URL's password (drivers may quote the DSN)."""
    original = getattr(exc, "orig", None) or exc
    # The first line says what failed; drivers add hints on the next ones.
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    text = lines[0] if lines else type(original).__name__
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return "no Levqor schema in this database (run levqor migrate or start it once)"
    if url.password:
        text = text.replace(str(url.password), "***")
    return text[:300]
