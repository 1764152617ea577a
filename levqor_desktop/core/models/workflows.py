"""Workflows and their versions: every save is a new, immutable version row.

``workflows`` holds one row per workflow name in an organization and points at its
current version; ``workflow_versions`` holds each saved document. Restoring an old
version writes a new version equal to it, so history only grows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from levqor_desktop.core.models.base import Base, BigId, CreatedAt, UTCDateTime, utcnow


class WorkflowRow(CreatedAt, Base):
    __tablename__ = "workflows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    current_version: Mapped[int] = mapped_column(Integer)
    #: "manual" or "schedule", copied from the current version so the scheduler can
    #: find scheduled workflows without parsing every document.
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    description: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The inputs last used for a test run in the editor.
    test_inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    versions: Mapped[list[WorkflowVersionRow]] = relationship(
        back_populates="workflow", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (UniqueConstraint("org_id", "name"),)


class WorkflowVersionRow(CreatedAt, Base):
    __tablename__ = "workflow_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(BigId, ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    note: Mapped[str] = mapped_column(String(500), default="")

    workflow: Mapped[WorkflowRow] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("workflow_id", "version"),)
