"""Structured JSON logs, rotated at midnight UTC, redacted on every handler.

Two files in ``<logs>``: ``api.log`` (the app, the command line, the ops endpoints: the
``levqor``, ``levqor_desktop`` and ``connectors`` loggers) and ``queue.log`` (workers
and jobs: ``levqor.queue`` and ``levqor_desktop.core.jobs``). One JSON object per line:
``timestamp`` (UTC ISO 8601), ``level``, ``logger``, ``message`` and ``context`` (job_id,
workflow, connector, org and anything else passed with ``extra=``).

Every handler carries :class:`RedactionFilter`: known secret values (registered at run
time with :func:`register_secret`; the keyring store does it), Authorization and API-key
headers, token shapes and e-mail addresses (as a SHA-256 hash) never reach a file. The
patterns live in :mod:`connectors.redaction`, shared with the HTTP layer.

Logging configuration is process-wide by nature; :func:`configure_logging` is
idempotent, and entry points (window, CLI, workers) call it once with their settings.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from connectors.redaction import REDACTED, prepare_secrets, redact, redact_prepared
from levqor_desktop.settings import Settings

API_LOG = "api.log"
QUEUE_LOG = "queue.log"
#: Loggers written to api.log (and their children, except the queue ones).
API_LOGGERS = ("levqor", "levqor_desktop", "connectors")
#: Loggers written to queue.log.
QUEUE_LOGGERS = ("levqor.queue", "levqor_desktop.core.jobs")
#: Rotated files kept: thirty days.
BACKUP_COUNT = 30
#: Context fields shown first, in this order.
CONTEXT_FIELDS = ("job_id", "workflow", "connector", "org")

#: Context keys whose values are secrets whatever they look like.
SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "api_key",
        "apikey",
        "x-levqor-key",
        "cookie",
        "set-cookie",
        "password",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
    }
)
# "X-API-Key: abc" / "api-key=abc" / '"x-api-key": "abc"': header forms the shared
# patterns (which cover "Authorization:" and "api_key=") do not.
_API_KEY_HEADER = re.compile(r"(?i)(\b(?:x-)?api-key[\"']?\s*[:=]\s*[\"']?)[^\s,;\"'}]+")

_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "_redacted",
}

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Never write ``value`` to a log from now on (the keyring store calls this)."""
    if value:
        with _secrets_lock:
            _secrets.add(value)


def forget_secret(value: str) -> None:
    with _secrets_lock:
        _secrets.discard(value)


def redact_text(text: str) -> str:
    """``text`` with registered secrets, credentials, token shapes and e-mails removed."""
    with _secrets_lock:
        known = tuple(_secrets)
    text = _API_KEY_HEADER.sub(lambda m: m.group(1) + REDACTED, text)
    return redact(text, known)


def text_redactor(also: Iterable[str] = ()) -> Callable[[str], str]:
    """:func:`redact_text` with the secrets registered now plus ``also``, prepared once.

    For many texts in a row (an export): one pass of the patterns per text, and the
    secrets sorted and URL-quoted once instead of per text. Secrets registered after
    the call are not known to it.
    """
    with _secrets_lock:
        prepared = prepare_secrets((*_secrets, *also))

    def redact_one(text: str) -> str:
        text = _API_KEY_HEADER.sub(lambda m: m.group(1) + REDACTED, text)
        return redact_prepared(text, prepared)

    return redact_one


def redact_value(value: Any, key: str | None = None) -> Any:
    """A JSON-safe, redacted copy of a context value."""
    if key is not None and key.lower() in SECRET_KEYS and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v) for v in value]
    return redact_text(str(value))


class RedactionFilter(logging.Filter):
    """Rewrites a record in place so that no handler after it sees a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        record.msg = redact_text(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        for key in list(record.__dict__):
            if key not in _STANDARD_ATTRS:
                record.__dict__[key] = redact_value(record.__dict__[key], key)
        record._redacted = True
        return True


class _ExcludeLoggers(logging.Filter):
    """Keeps records of the given logger families out of a handler."""

    def __init__(self, families: tuple[str, ...]) -> None:
        super().__init__()
        self._families = families

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(record.name == f or record.name.startswith(f + ".") for f in self._families)


def iso_utc(created: float) -> str:
    moment = dt.datetime.fromtimestamp(created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLineFormatter(JsonFormatter):
    """One JSON object per record: timestamp, level, logger, message, context."""

    def add_fields(
        self,
        log_data: dict[str, Any],
        record: logging.LogRecord,
        message_dict: dict[str, Any],
    ) -> None:
        log_data["timestamp"] = iso_utc(record.created)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.getMessage()
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}
        context = {k: extras.pop(k) for k in CONTEXT_FIELDS if k in extras}
        context.update(sorted(extras.items()))
        if context:
            log_data["context"] = context
        if message_dict.get("exc_info"):
            log_data["exception"] = message_dict["exc_info"]
        if message_dict.get("stack_info"):
            log_data["stack"] = message_dict["stack_info"]


class DailyFileHandler(logging.handlers.TimedRotatingFileHandler):
    """Rotates at midnight UTC into ``<name>.YYYY-MM-DD`` and keeps thirty of them."""

    def __init__(self, path: Path, backup_count: int = BACKUP_COUNT) -> None:
        super().__init__(
            path, when="midnight", utc=True, backupCount=backup_count, encoding="utf-8", delay=True
        )
        self.addFilter(RedactionFilter())
        self.setFormatter(JsonLineFormatter(json_ensure_ascii=False))


@dataclass(frozen=True)
class LogSetup:
    """What :func:`configure_logging` installed."""

    log_dir: Path
    level: str
    api_log: Path
    queue_log: Path
    handlers: tuple[logging.Handler, ...]


_installed: LogSetup | None = None
_install_lock = threading.Lock()


def configure_logging(settings: Settings) -> LogSetup:
    """Send our loggers to ``api.log`` and ``queue.log`` in the settings' log folder.

    Calling it again with the same folder and level changes nothing; with others, the
    previous handlers are closed and replaced.
    """
    global _installed
    with _install_lock:
        current = _installed
        if current is not None and (current.log_dir, current.level) == (
            settings.log_dir,
            settings.log_level,
        ):
            return current
        if current is not None:
            _uninstall(current)
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        api = DailyFileHandler(settings.log_dir / API_LOG)
        api.addFilter(_ExcludeLoggers(QUEUE_LOGGERS))
        queue = DailyFileHandler(settings.log_dir / QUEUE_LOG)
        for name in API_LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(settings.log_level)
            logger.addHandler(api)
        for name in QUEUE_LOGGERS:
            logging.getLogger(name).addHandler(queue)
        _installed = LogSetup(
            settings.log_dir,
            settings.log_level,
            settings.log_dir / API_LOG,
            settings.log_dir / QUEUE_LOG,
            (api, queue),
        )
        return _installed


def reset_logging() -> None:
    """Remove and close what :func:`configure_logging` installed (tests, shutdown)."""
    global _installed
    with _install_lock:
        if _installed is not None:
            _uninstall(_installed)
            _installed = None


def _uninstall(setup: LogSetup) -> None:
    for name in (*API_LOGGERS, *QUEUE_LOGGERS):
        logger = logging.getLogger(name)
        for handler in setup.handlers:
            logger.removeHandler(handler)
    for handler in setup.handlers:
        handler.close()
