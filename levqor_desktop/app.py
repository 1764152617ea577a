"""The composition root: :func:`build_app` wires every service, once.

The window, the ``levqor`` command, the workers and the tests all start here. Building
the App does no network or database I/O (so the window can appear at once);
:meth:`App.start` connects, upgrades the schema and creates the defaults, and is what
the window runs off the UI thread.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any, Protocol, Self

from levqor_desktop import __version__
from levqor_desktop.core import schema, tenancy
from levqor_desktop.core.apikeys import ApiKeyService
from levqor_desktop.core.db import Database
from levqor_desktop.core.errorreports import ErrorReporting
from levqor_desktop.core.flags import FlagName, FlagStore
from levqor_desktop.core.flags.service import FlagService
from levqor_desktop.core.logging import register_secret
from levqor_desktop.core.migrate import Maintenance, MigrationService
from levqor_desktop.core.migrate import SecretStore as MigrationSecrets
from levqor_desktop.core.migrate.target import with_stored_password
from levqor_desktop.core.orgs import OrgService
from levqor_desktop.core.safety import (
    LOCAL,
    PROFILES_FILE_NAME,
    Guard,
    Profile,
    ProfileStore,
    local_profile,
)
from levqor_desktop.core.safety.summaries import DeploymentSummary, read_summaries
from levqor_desktop.core.secrets import PasswordPrompt, SecretStore, select_backend
from levqor_desktop.core.status import (
    DatabaseStatus,
    Overview,
    QueueStatus,
    SystemStatus,
    library_versions,
    qt_version,
)
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage import UsageService
from levqor_desktop.core.workflows import CompositeCatalog
from levqor_desktop.core.workflows.builtins import BuiltinCatalog
from levqor_desktop.core.workflows.store import WorkflowStore
from levqor_desktop.errors import LevqorError
from levqor_desktop.settings import Settings
from levqor_desktop.wiring.canary import build_canary
from levqor_desktop.wiring.connectors import build_connectors
from levqor_desktop.wiring.flags import build_flag_safety
from levqor_desktop.wiring.jobs import build_jobs
from levqor_desktop.wiring.metrics import build_metrics, build_sampler, build_server
from levqor_desktop.wiring.migrations import build_migrations

if TYPE_CHECKING:
    from levqor_desktop.core.incidents import IncidentService

log = logging.getLogger(__name__)


class BackgroundService(Protocol):
    """A service with threads of its own (worker pool, sampler, scheduler, ...)."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


def resolve_database_url(
    settings: Settings, flags: FlagStore, secrets: MigrationSecrets | None = None
) -> tuple[str, list[str]]:
    """The URL to use and any notes for the operator.

    PostgreSQL is used only when ``PG_ENABLED`` is on and ``DATABASE_URL`` names one;
    otherwise the embedded SQLite database. A PostgreSQL URL without a password gets the
    one the migration's switch stored in the keyring.
    """
    notes: list[str] = []
    url = settings.database_url
    wants_pg = url is not None and url.startswith(("postgresql", "postgres"))
    pg_on = flags.enabled(FlagName.PG_ENABLED)
    if wants_pg and pg_on:
        assert url is not None
        return with_stored_password(url, secrets, notes), notes
    if wants_pg:
        notes.append("DATABASE_URL names PostgreSQL but PG_ENABLED is off: using SQLite")
    elif pg_on:
        notes.append("PG_ENABLED is on but DATABASE_URL names no PostgreSQL: using SQLite")
    if url is not None and url.startswith("sqlite"):
        return url, notes
    return f"sqlite:///{settings.sqlite_path}", notes


class App:
    """Every service of one Levqor Desktop process. Close it when done."""

    def __init__(
        self,
        settings: Settings,
        flags: FlagStore,
        db: Database,
        notes: list[str],
        secrets: SecretStore | None = None,
        *,
        profile: Profile | None = None,
        profiles: ProfileStore | None = None,
    ) -> None:
        self.settings = settings
        self.flags = flags
        self.db = db
        #: Things the operator should know about the configuration (shown in info/Overview).
        self.notes = notes
        self.actor: Actor | None = None
        #: Secrets (OS keyring, the backend chosen by build_app).
        self.secrets: SecretStore = secrets or SecretStore(_no_backend)
        #: The deployment profiles of this machine and the one this App runs on.
        self.profiles = profiles or ProfileStore(
            settings.config_dir / PROFILES_FILE_NAME, self.secrets, settings
        )
        self.profile: Profile = profile or local_profile(settings)
        #: The production guard every mutating operator action passes (see core/safety).
        self.guard = Guard(db, self.profile)
        #: Services started by :meth:`start_background` and stopped by :meth:`close`, in order.
        self.background: list[BackgroundService] = []
        #: Audited flag changes; metrics, their sampler and /metrics on loopback.
        self.flag_service = FlagService(flags, db)
        self.metrics = build_metrics(self)
        self.sampler = build_sampler(self, self.metrics)
        self.metrics_server = build_server(self, self.metrics)
        self.background += [self.sampler, self.metrics_server]
        #: Usage metering, limits and the cost guard; organizations and members.
        self.usage = UsageService(db)
        self.orgs = OrgService(db, flags)
        #: Maintenance mode (a file in the data folder, seen by every process).
        self.maintenance = Maintenance(settings.data_dir)
        #: Safe flag changes: change requests (a second admin approves risky changes),
        #: scheduled flips (applied once, by the flip scheduler), rollouts per subject.
        flag_safety = build_flag_safety(self)
        self.flag_requests, self.flag_schedules = flag_safety.requests, flag_safety.schedules
        self.flag_rollouts, self.flag_flips = flag_safety.rollouts, flag_safety.scheduler
        self.background.append(self.flag_flips)
        #: What workflow steps can call (core.* now; connector actions via .add) and
        #: the stored workflows with their versions.
        self.actions = CompositeCatalog(BuiltinCatalog())
        self.workflows = WorkflowStore(db, self.actions, write_guard=self.maintenance.guard)
        #: Connector accounts (secrets in the keyring), checks, and their actions as steps.
        self.connectors, connector_actions = build_connectors(self)
        self.actions.add(connector_actions)
        #: Jobs: the service, the queue backends (local pool, rq) and their services.
        self.jobs_kit = build_jobs(self)
        self.jobs, self.queue = self.jobs_kit.service, self.jobs_kit.router
        self.background += self.jobs_kit.background
        #: Those of them that run only where this machine runs the jobs (the pool, crash
        #: recovery, retention): the window leaves them out when the profile says so.
        self.job_workers: list[BackgroundService] = self.jobs_kit.workers
        # Reservations whose worker died stop counting at expiry; the hourly prune
        # removes them so the table does not grow.
        self.jobs_kit.retention.sweeps.append(self.usage.guard.purge_expired)
        #: Keys of the ops HTTP API; the canary (runs after risky changes in CANARY_MODE).
        self.api_keys = ApiKeyService(db)
        self.canary = build_canary(self)
        self.background.append(self.canary.auto)
        #: Opt-in error reporting (Sentry): off unless enabled; started by start().
        self.error_reporting = ErrorReporting(
            settings.config_dir, self.secrets, release=__version__
        )
        self._started = False
        #: The background services started, in start order (what close() stops).
        self.started_background: list[BackgroundService] = []
        #: Whether start_background ran the job workers (None: not started yet).
        self.runs_job_workers: bool | None = None

    @functools.cached_property
    def migrations(self) -> MigrationService:
        """Backup, preflight, migrate, verify, switch, rollback (built on first use)."""
        return build_migrations(self)

    @functools.cached_property
    def incidents(self) -> IncidentService:
        """The incident timeline of a time window and its redacted export (built on first
        use: it imports the workflow engine and httpx, which most commands never need)."""
        from levqor_desktop.core.incidents import IncidentService

        return IncidentService(self.db, self.secrets)

    # -- life cycle -------------------------------------------------------------------

    def start(self, *, upgrade: bool = True) -> Self:
        """Connect, bring the schema to head (unless told not to), create the defaults."""
        if self._started:
            return self
        # Reporting first, so a failing upgrade is reported too; a locked keyring must
        # not keep the app from starting.
        try:
            self.error_reporting.start()
        except LevqorError as exc:
            log.warning("error reporting stays off: %s", exc)
        if upgrade:
            schema.upgrade(self.db)
        else:
            schema.check_not_newer(self.db)
        if schema.is_at_head(self.db):
            self.actor = tenancy.ensure_defaults(self.db)
        self._started = True
        log.info("started on %s", self.db.display_url)
        return self

    def start_background(self, *, run_jobs: bool = True) -> None:
        """Start the threads that run jobs, sample metrics, fire schedules.

        The window (with its profile's ``workers`` setting as ``run_jobs``), ``levqor
        serve`` and ``levqor worker`` call this; one-shot commands such as ``levqor
        info`` do not. ``run_jobs=False`` leaves out :attr:`job_workers`, so this process
        claims no job of the deployment.
        """
        if not self._started:
            self.start()
        if self.runs_job_workers is not None:
            return
        self.runs_job_workers = run_jobs
        skipped = {id(service) for service in self.job_workers} if not run_jobs else set()
        for service in self.background:
            if id(service) in skipped:
                log.info("%s not started: this machine runs no job workers here", service.name)
                continue
            log.debug("starting %s", service.name)
            self.started_background.append(service)
            service.start()

    def close(self) -> None:
        """Stop the started background services (newest first), release the database."""
        for service in reversed(self.started_background):
            try:
                service.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)
        self.started_background.clear()
        self.error_reporting.stop()
        self.actions.close()
        self.db.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state ------------------------------------------------------------------------

    @property
    def queue_backend(self) -> str:
        return "rq" if self.flags.enabled(FlagName.NEW_QUEUE_ENABLED) else "local"

    def database_status(self) -> DatabaseStatus:
        ping = self.db.ping()
        return DatabaseStatus(
            backend=self.db.backend,
            location=self.db.location,
            url=self.db.display_url,
            reachable=ping.ok,
            latency_ms=ping.latency_ms,
            error=ping.error,
        )

    def queue_status(self) -> QueueStatus:
        return self.queue.status()

    def status(self) -> SystemStatus:
        here = self.runs_job_workers is not False
        note = ""
        if not here:
            name = self.profile.name
            note = (
                f"This window runs no job workers for {name} (profile setting 'workers'; "
                f"to run them here: levqor profiles add {name} --replace --workers ...)"
            )
        return SystemStatus(
            database=self.database_status(),
            queue=self.queue_status(),
            workers_here=here,
            workers_note=note,
        )

    def overview(self) -> Overview:
        database = self.database_status()
        revisions: list[str] = []
        orgs = users = None
        notes = list(self.notes)
        if self.flags.file_error:
            notes.append(self.flags.file_error)
        if database.reachable:
            try:
                revisions = list(schema.current_revisions(self.db))
                if revisions:
                    counted = tenancy.counts(self.db)
                    orgs, users = counted.organizations, counted.users
            except LevqorError as exc:
                notes.append(str(exc))
        versions = dict(library_versions())  # a copy: the lookup is cached
        return Overview(
            version=__version__,
            python=versions["python"],
            qt=qt_version(),
            data_dir=str(self.settings.data_dir),
            config_dir=str(self.settings.config_dir),
            log_dir=str(self.settings.log_dir),
            database=database,
            schema_revisions=revisions,
            schema_heads=list(schema.head_revisions()),
            queue=self.queue_status(),
            organizations=orgs,
            users=users,
            notes=notes,
            versions=versions,
        )

    def deployment_summaries(self) -> list[DeploymentSummary]:
        """Every profile's queue at a glance (the Overview's Deployments rows): this
        App's own database as it runs, the others as :func:`build_app` would open them."""

        def database_url(profile: Profile) -> str:
            if profile.name == self.profile.name:
                return self.db.url.render_as_string(hide_password=False)
            if profile.builtin:
                return resolve_database_url(self.profiles.settings, self.flags, self.secrets)[0]
            url = self.profiles.connection(profile)[0]
            return url or f"sqlite:///{self.settings.sqlite_path}"

        return read_summaries(self.profiles.list(), database_url, current=self.profile.name)


def _no_backend() -> Any:
    raise LevqorError("no secret store was configured for this App")


def build_app(
    settings: Settings | None = None,
    *,
    profile: str | None = None,
    secret_backend: Any = None,
    password_prompt: PasswordPrompt | None = None,
) -> App:
    """Wire the services for these settings (read from the environment when None).

    ``profile`` names the deployment profile to run on (else ``LEVQOR_PROFILE``, else the
    built-in ``local``: the settings as they are). A named profile's database and Redis
    URLs replace the settings' ones, with their passwords from the keyring, and its
    database is used as named (PostgreSQL or SQLite) whatever ``PG_ENABLED`` says:
    the operator chose that deployment. ``secret_backend`` replaces the keyring backend
    selection (tests pass an in-memory keyring); ``password_prompt`` asks for the file
    keyring's password when opted into.
    """
    settings = settings or Settings.from_env()
    settings.ensure_dirs()
    # Every secret read or written is registered with the log redaction filter.
    if secret_backend is not None:
        secrets = SecretStore(lambda: secret_backend, on_value=register_secret)
    else:
        env, data_dir = settings.environ, settings.data_dir
        secrets = SecretStore(
            lambda: select_backend(env, data_dir, password_prompt), on_value=register_secret
        )
    profiles = ProfileStore(settings.config_dir / PROFILES_FILE_NAME, secrets, settings)
    chosen = profiles.get(profile or settings.environ.get("LEVQOR_PROFILE") or LOCAL)
    # Flags are per profile: a change made on one deployment never reaches another.
    flags = FlagStore(profiles.flags_path(chosen), settings.environ)
    if chosen.builtin:
        url, notes = resolve_database_url(settings, flags, secrets)
    else:
        db_url, redis_url = profiles.connection(chosen)
        settings = settings.model_copy(update={"database_url": db_url, "redis_url": redis_url})
        url, notes = db_url or f"sqlite:///{settings.sqlite_path}", []
    db = Database(url)
    return App(settings, flags, db, notes, secrets, profile=chosen, profiles=profiles)
