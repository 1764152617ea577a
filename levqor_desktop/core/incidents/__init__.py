"""The incident timeline (``app.incidents``): failed jobs, flag changes, canary runs,
migrations, limit hits and operator actions of a time window, as one redacted timeline
exported as Markdown or JSON."""

from levqor_desktop.core.incidents.events import KIND_LABELS, EventKind, IncidentEvent
from levqor_desktop.core.incidents.export import FORMATS
from levqor_desktop.core.incidents.service import IncidentService
from levqor_desktop.core.incidents.window import Window, parse_duration, window_from

__all__ = [
    "FORMATS",
    "KIND_LABELS",
    "EventKind",
    "IncidentEvent",
    "IncidentService",
    "Window",
    "parse_duration",
    "window_from",
]
