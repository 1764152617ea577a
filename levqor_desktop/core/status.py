"""Snapshots of the system's state for the status bar, the Overview panel and ``levqor info``."""

from __future__ import annotations

import functools
import platform
import sys
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DatabaseStatus:
    backend: str  # "sqlite" | "postgresql"
    location: str  # file path or host:port/db
    url: str  # password masked
    reachable: bool
    latency_ms: float | None
    error: str | None = None


@dataclass(frozen=True)
class QueueStatus:
    backend: str  # "local" | "rq"
    state: str  # "ok" | "degraded" | "stopped"
    detail: str = ""


@dataclass(frozen=True)
class SystemStatus:
    """What the status bar always shows."""

    database: DatabaseStatus
    queue: QueueStatus
    #: Redis is only needed by the rq backend: None when nobody asked for it.
    redis: str | None = None
    #: False when this process runs no job workers for the deployment (the profile's
    #: ``workers`` setting); ``workers_note`` says which setting and how to change it.
    workers_here: bool = True
    workers_note: str = ""


@dataclass(frozen=True)
class Overview:
    """What ``levqor info`` prints and the Overview panel shows."""

    version: str
    python: str
    qt: str | None
    data_dir: str
    config_dir: str
    log_dir: str
    database: DatabaseStatus
    schema_revisions: list[str]
    schema_heads: list[str]
    queue: QueueStatus
    organizations: int | None
    users: int | None
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def schema_at_head(self) -> bool:
        return self.schema_revisions == self.schema_heads

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_at_head"] = self.schema_at_head
        return data


@functools.cache
def library_versions() -> dict[str, str]:
    """Versions of the libraries an operator may be asked about (no Qt import)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in (
        "SQLAlchemy",
        "alembic",
        "psycopg",
        "redis",
        "rq",
        "httpx",
        "pydantic",
        "PySide6-Essentials",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def qt_version() -> str | None:
    """PySide6's version if it is already loaded (the core never imports it)."""
    module = sys.modules.get("PySide6")
    return getattr(module, "__version__", None) if module else None
