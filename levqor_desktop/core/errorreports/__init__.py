"""Opt-in error reporting (Sentry): the switch, the client and the event scrubber."""

from levqor_desktop.core.errorreports.scrub import scrub_event, scrub_text
from levqor_desktop.core.errorreports.service import (
    DSN_KEY,
    ErrorReporting,
    ReportingStatus,
    parse_dsn,
)

__all__ = ["DSN_KEY", "ErrorReporting", "ReportingStatus", "parse_dsn", "scrub_event", "scrub_text"]
