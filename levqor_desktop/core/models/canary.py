"""Canary runs and their check results, the canary's probe table, API keys and the
deployments the canary can be pointed at.

An API key is stored only as the SHA-256 of its secret part; its short ``prefix`` is
the public id used to find the row before the constant-time comparison. A saved
deployment keeps its URL and *where* its key lives (an environment variable or a
keyring entry), never the key itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Enum, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from levqor_desktop.core.models.base import Base, BigId, CreatedAt, UTCDateTime
from levqor_desktop.core.models.tenancy import Role


class CanaryRun(Base):
    __tablename__ = "canary_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: "local" for this app, else the deployment's base URL.
    target: Mapped[str] = mapped_column(String(500), index=True)
    target_label: Mapped[str] = mapped_column(String(200))
    #: pass | marginal | fail
    verdict: Mapped[str] = mapped_column(String(16))
    #: manual | cli | api | auto (after a risky change)
    trigger: Mapped[str] = mapped_column(String(32))
    #: The risky change that triggered the run, if any ("flag PG_ENABLED on", ...).
    change: Mapped[str | None] = mapped_column(String(500))
    #: What was done about a failure: the rollback taken, or why none was.
    rollback: Mapped[str | None] = mapped_column(Text)
    baseline_run_id: Mapped[int | None] = mapped_column(BigId)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    results: Mapped[list[CanaryResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="CanaryResult.position"
    )


class CanaryResult(Base):
    __tablename__ = "canary_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("canary_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column()
    check_name: Mapped[str] = mapped_column(String(64))
    #: pass | warn | fail | no-data
    status: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    advice: Mapped[str | None] = mapped_column(Text)
    baseline: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)

    run: Mapped[CanaryRun] = relationship(back_populates="results")


class CanaryProbe(CreatedAt, Base):
    """Rows the database check writes and reads back (and deletes)."""

    __tablename__ = "canary_probes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)


class ApiKey(CreatedAt, Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: Public lookup id, the part after ``lvq_`` in the key.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    #: Lower-case hex SHA-256 of the whole key; the key itself is never stored.
    key_sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="api_key_role",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CanaryDeployment(CreatedAt, Base):
    """A Levqor deployment the canary can check through its ops API."""

    __tablename__ = "canary_deployments"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    #: Where the API key is read from: an environment variable name...
    api_key_env: Mapped[str | None] = mapped_column(String(100))
    #: ...or an entry of the OS keyring (through app.secrets).
    api_key_secret: Mapped[str | None] = mapped_column(String(200))
