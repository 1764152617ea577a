"""What the canary observes, in one shape for both targets.

The ops API returns these models (they are its response schemas in ``/openapi.json``)
and the in-process target builds the same ones directly, so a check sees the same data
whether it runs here or against a deployment across the network.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class DatabaseHealth(BaseModel):
    backend: str = Field(description="sqlite or postgresql")
    reachable: bool
    latency_ms: float | None = Field(description="one SELECT 1 round trip")
    error: str | None = None


class HealthReport(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    time: dt.datetime
    database: DatabaseHealth


class RecentOutcomes(BaseModel):
    window_minutes: int
    finished: int = Field(description="jobs that ended (succeeded, failed or canceled)")
    failed: int


class QueueHealthReport(BaseModel):
    backend: str = Field(description="local or rq")
    reachable: bool
    error: str | None = None
    depth: dict[str, int] | None = Field(description="jobs by state; null when unknown")
    workers_online: int | None
    oldest_queued_age_s: float | None = Field(description="null when nothing is queued")
    recent: RecentOutcomes | None


class SchemaState(BaseModel):
    current: list[str]
    heads: list[str]
    at_head: bool
    error: str | None = None


class DiskState(BaseModel):
    free_bytes: int
    total_bytes: int
    free_percent: float


class KeyringState(BaseModel):
    reachable: bool | None = Field(description="null when this deployment has no keyring")
    backend: str | None = None
    latency_ms: float | None = None
    error: str | None = None
    hint: str | None = None


class SystemReport(BaseModel):
    db_schema: SchemaState
    disk: DiskState | None
    keyring: KeyringState


class ProbeReport(BaseModel):
    """A row written to and read back from the canary table."""

    ok: bool
    latency_ms: float | None
    error: str | None = None


class ConnectorCheck(BaseModel):
    connector: str
    account: str
    ok: bool
    detail: str


class ConnectorsReport(BaseModel):
    available: bool = Field(description="false when no connector service is wired")
    accounts: list[ConnectorCheck]
