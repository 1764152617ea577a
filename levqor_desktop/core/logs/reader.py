"""Reading our JSON log files: parse, filter, search whole files, follow across rotation.

Used by the Logs panel (always off the UI thread) and ``levqor logs``. A line that is
not JSON (an old or foreign line) is kept as a message of its own, never dropped.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

#: Level names in rising order; a filter's level shows that level and above.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: How much of a file one poll or tail reads at most (a huge burst is skipped, not stalled).
MAX_READ = 8 * 1024 * 1024


@dataclass(frozen=True)
class LogEntry:
    source: str  # "api" | "queue"
    timestamp: str  # ISO 8601 UTC, sortable as text
    level: str
    logger: str
    message: str
    context: dict[str, Any]
    raw: str
    exception: str | None = None

    @property
    def job_id(self) -> str | None:
        value = self.context.get("job_id")
        return None if value is None else str(value)


def parse_line(line: str, source: str) -> LogEntry:
    text = line.rstrip("\r\n")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return LogEntry(source, "", "", "", text, {}, text)
    context = data.get("context")
    return LogEntry(
        source=source,
        timestamp=str(data.get("timestamp", "")),
        level=str(data.get("level", "")).upper(),
        logger=str(data.get("logger", "")),
        message=str(data.get("message", "")),
        context=context if isinstance(context, dict) else {},
        raw=text,
        exception=str(data["exception"]) if data.get("exception") else None,
    )


@dataclass(frozen=True)
class LogFilter:
    """What the operator asked to see; empty fields match everything."""

    level: str = ""  # minimum level
    logger: str = ""  # a logger name or prefix ("levqor_desktop.core")
    job_id: str = ""
    text: str = ""  # case-insensitive, anywhere in the line
    sources: frozenset[str] = field(default_factory=lambda: frozenset({"api", "queue"}))

    @property
    def empty(self) -> bool:
        return not (self.level or self.logger or self.job_id or self.text)

    def quick_reject(self, line: str) -> bool:
        """True when the raw line cannot match (skips JSON parsing in a search)."""
        if self.text and self.text.lower() not in line.lower():
            return True
        return bool(self.job_key) and self.job_key not in line

    @property
    def job_key(self) -> str:
        """The job id as written in the logs ("#42" and " 42" both mean 42)."""
        return self.job_id.strip().lstrip("#")

    def matches(self, entry: LogEntry) -> bool:
        if entry.source not in self.sources:
            return False
        if self.level and self.level.upper() in LEVELS:
            rank = LEVELS.index(entry.level) if entry.level in LEVELS else len(LEVELS)
            if rank < LEVELS.index(self.level.upper()):
                return False
        if self.logger and not (
            entry.logger == self.logger or entry.logger.startswith(self.logger.rstrip(".") + ".")
        ):
            return False
        if self.job_key and entry.job_id != self.job_key:
            return False
        return not (self.text and self.text.lower() not in entry.raw.lower())


@dataclass(frozen=True)
class SearchResult:
    entries: list[LogEntry]
    #: Matching lines in the files (``entries`` holds at most the newest ``limit``).
    matched: int
    scanned: int

    @property
    def truncated(self) -> bool:
        return self.matched > len(self.entries)


def _lines(path: Path) -> Iterator[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            yield from fh
    except FileNotFoundError:
        return


def search(
    files: Iterable[tuple[str, Path]], flt: LogFilter, *, limit: int = 20_000
) -> SearchResult:
    """Every matching line of the whole files (newest ``limit`` kept), oldest first."""
    matched = scanned = 0
    newest: list[LogEntry] = []
    for source, path in files:
        if source not in flt.sources:
            continue
        kept: deque[LogEntry] = deque(maxlen=limit)
        for line in _lines(path):
            scanned += 1
            if not line.strip() or flt.quick_reject(line):
                continue
            entry = parse_line(line, source)
            if flt.matches(entry):
                matched += 1
                kept.append(entry)
        newest.extend(kept)
    # Each file's newest, merged in time order, then the newest overall.
    entries = sorted(newest, key=lambda e: e.timestamp)[-limit:]
    return SearchResult(entries, matched, scanned)


def tail(path: Path, source: str, count: int) -> list[LogEntry]:
    """The last ``count`` lines of a file, read from its end."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            block = min(size, MAX_READ)
            fh.seek(size - block)
            data = fh.read(block)
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    if block < size and lines:
        lines = lines[1:]  # the first one is cut
    return [parse_line(line, source) for line in lines[-count:] if line.strip()]


class LogFollower:
    """New complete lines of one file since the last :meth:`poll`, across rotation.

    When the file is renamed away (midnight rotation) the rest of the old file is read
    first, then the new file from its beginning. A truncated file is read again from
    the start.
    """

    def __init__(self, path: Path, source: str, *, from_end: bool = True) -> None:
        self.path = path
        self.source = source
        self._fh: IO[bytes] | None = None
        self._inode: int | None = None
        self._partial = b""
        self._open(from_end=from_end)

    def _open(self, *, from_end: bool) -> None:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - held open across polls
        except FileNotFoundError:
            self._fh, self._inode = None, None
            return
        if from_end:
            fh.seek(0, os.SEEK_END)
        self._fh, self._inode = fh, os.fstat(fh.fileno()).st_ino
        self._partial = b""

    def _drain(self) -> list[bytes]:
        if self._fh is None:
            return []
        data = self._partial + self._fh.read(MAX_READ)
        *complete, self._partial = data.split(b"\n")
        return complete

    def poll(self) -> list[LogEntry]:
        lines = self._drain()
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            stat = None
        if self._fh is None:
            if stat is not None:
                self._open(from_end=False)
                lines += self._drain()
        elif stat is None or stat.st_ino != self._inode:
            # Rotated: the rest of the old file was read above; move to the new one.
            if self._partial:
                lines.append(self._partial)
            self._fh.close()
            self._open(from_end=False)
            lines += self._drain()
        elif stat.st_size < self._fh.tell():
            self._fh.seek(0)
            self._partial = b""
            lines += self._drain()
        return [
            parse_line(raw.decode("utf-8", errors="replace"), self.source)
            for raw in lines
            if raw.strip()
        ]

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def export(entries: Iterable[LogEntry], path: Path) -> int:
    """Write the entries as JSON lines (the original lines); return how many."""
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for entry in entries:
            fh.write(entry.raw + "\n")
            count += 1
    logging.getLogger(__name__).info("exported %d log lines to %s", count, path)
    return count
