"""Reading the JSON logs written by :mod:`levqor_desktop.core.logging`."""

from levqor_desktop.core.logs.reader import (
    LEVELS,
    LogEntry,
    LogFilter,
    LogFollower,
    SearchResult,
    export,
    parse_line,
    search,
    tail,
)

__all__ = [
    "LEVELS",
    "LogEntry",
    "LogFilter",
    "LogFollower",
    "SearchResult",
    "export",
    "parse_line",
    "search",
    "tail",
]
