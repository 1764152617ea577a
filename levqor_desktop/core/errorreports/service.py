"""Opt-in error reporting to Sentry: off until an operator enables it with a DSN.

The DSN is kept in the keyring (``error-reporting:dsn``); whether reporting is on is a
small file in the config folder (``error-reporting.json``), so a process with reporting
off never touches the keyring for it (a file keyring would otherwise ask for its
password on every command). :meth:`ErrorReporting.start` initializes sentry-sdk once per
process with every event passing :func:`~.scrub.scrub_event`, no local variables, no
source-context lines beyond the failing one, no session tracking, no tracing, and only
the integrations listed here (uncaught exceptions, threads, logged errors).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from levqor_desktop.core.errorreports.scrub import scrub_event
from levqor_desktop.core.secrets import SecretStore
from levqor_desktop.errors import ConfigError, LevqorError

DSN_KEY = "error-reporting:dsn"
STATE_FILE = "error-reporting.json"
#: Seconds an exiting process waits for its last reports.
SHUTDOWN_TIMEOUT_S = 2.0

log = logging.getLogger(__name__)

# sentry-sdk's client is process-wide: one lock guards starting and stopping it.
_client_lock = threading.Lock()


@dataclass(frozen=True)
class ReportingStatus:
    enabled: bool
    #: Where reports go, without the DSN's key (``https://host/project``); None when off.
    destination: str | None
    #: Whether this process is sending (sentry-sdk initialized by :meth:`start`).
    active: bool


def parse_dsn(dsn: str) -> str:
    """The DSN's destination without its key; a :class:`ConfigError` when malformed."""
    from sentry_sdk.utils import BadDsn, Dsn

    try:
        parsed = Dsn(dsn.strip())
    except BadDsn as exc:
        raise ConfigError(
            f"not a Sentry DSN: {exc}", hint="copy it from the project's Client Keys (DSN) page"
        ) from None
    port = "" if parsed.port in (80, 443) else f":{parsed.port}"
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}{parsed.project_id}"


class ReportCheck(LevqorError):
    """The exception a test report carries (``send-test``, the dialog's Send test)."""


class ErrorReporting:
    """Enable, disable and run opt-in error reporting for one App."""

    def __init__(self, config_dir: Path, secrets: SecretStore, *, release: str) -> None:
        self._state = config_dir / STATE_FILE
        self._secrets = secrets
        self._release = release
        self._active = False

    # -- the operator's switch ----------------------------------------------------------

    @property
    def enabled(self) -> bool:
        try:
            data = json.loads(self._state.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as exc:
            log.warning("ignoring %s (reporting stays off): %s", self._state, exc)
            return False
        return isinstance(data, dict) and data.get("enabled") is True

    def status(self) -> ReportingStatus:
        if not self.enabled:
            return ReportingStatus(enabled=False, destination=None, active=self._active)
        dsn = self._secrets.get(DSN_KEY)
        destination = parse_dsn(dsn) if dsn else None
        return ReportingStatus(
            enabled=dsn is not None, destination=destination, active=self._active
        )

    def enable(self, dsn: str) -> ReportingStatus:
        """Keep ``dsn`` in the keyring, turn reporting on and start it in this process."""
        parse_dsn(dsn)
        self._secrets.set(DSN_KEY, dsn.strip())
        self._write_state(enabled=True)
        self.stop()
        self.start()
        return self.status()

    def disable(self) -> ReportingStatus:
        """Turn reporting off, forget the DSN and stop sending from this process."""
        self._write_state(enabled=False)
        self._secrets.delete(DSN_KEY)
        self.stop()
        return self.status()

    # -- the process's client -------------------------------------------------------------

    def start(self) -> bool:
        """Start sending reports when enabled; True when this process now reports."""
        if self._active or not self.enabled:
            return self._active
        dsn = self._secrets.get(DSN_KEY)
        if not dsn:
            return False
        with _client_lock:
            _init_sentry(dsn, self._release)
            self._active = True
        log.info("error reporting on: reports go to %s", parse_dsn(dsn))
        return True

    def send_test(self) -> None:
        """Report a :class:`ReportCheck` now and wait for it to be sent."""
        import sentry_sdk

        try:
            raise ReportCheck("a test report from Levqor Desktop")
        except ReportCheck as exc:
            sentry_sdk.capture_exception(exc)
        self.flush()

    def flush(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> None:
        if self._active:
            import sentry_sdk

            sentry_sdk.flush(timeout=timeout)

    def stop(self) -> None:
        """Send what is queued and stop the client (the App's close calls this)."""
        if not self._active:
            return
        import sentry_sdk

        with _client_lock:
            sentry_sdk.get_client().close(timeout=SHUTDOWN_TIMEOUT_S)
            sentry_sdk.get_global_scope().set_client(None)
            self._active = False

    def _write_state(self, *, enabled: bool) -> None:
        self._state.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._state.with_suffix(".tmp")
        tmp.write_text(json.dumps({"enabled": enabled}) + "\n", encoding="utf-8")
        os.replace(tmp, self._state)


def _init_sentry(dsn: str, release: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.atexit import AtexitIntegration
    from sentry_sdk.integrations.dedupe import DedupeIntegration
    from sentry_sdk.integrations.excepthook import ExcepthookIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.threading import ThreadingIntegration

    options: dict[str, Any] = {
        "dsn": dsn,
        "release": f"levqor-desktop@{release}",
        "before_send": scrub_event,
        # Named here so the bundle carries exactly these (no argv, no HTTP breadcrumbs,
        # no auto-enabled RQ/SQLAlchemy/Redis integrations that attach job arguments).
        "default_integrations": False,
        "auto_enabling_integrations": False,
        "integrations": [
            AtexitIntegration(),
            DedupeIntegration(),
            ExcepthookIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
            ThreadingIntegration(),
        ],
        "data_collection": {
            "user_info": False,
            "stack_frame_variables": False,
            "frame_context_lines": 0,
            "http_bodies": [],
            "database_query_data": False,
            "queues": False,
        },
        "server_name": "",
        "auto_session_tracking": False,
        "send_client_reports": False,
        "shutdown_timeout": SHUTDOWN_TIMEOUT_S,
    }
    sentry_sdk.init(**options)
