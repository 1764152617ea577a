"""Wire the connector service for an App: keyring, flags, call counters, usage, metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select

from connectors.base import CallHooks, CallRecord
from levqor_desktop.core.integrations.catalog import ConnectorCatalog
from levqor_desktop.core.integrations.hooks import CallStatsHooks
from levqor_desktop.core.integrations.service import ConnectorService
from levqor_desktop.core.models.jobs import Job
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage.hooks import AIStep
from levqor_desktop.core.workflows.actions import RunContext
from levqor_desktop.errors import LevqorError, NotFoundError

if TYPE_CHECKING:
    from levqor_desktop.app import App


class MetricsHooks:
    """Feeds every connector call into the App's Prometheus metrics."""

    def __init__(self, app: App) -> None:
        self.app = app

    def before_call(self, connector: str, action: str) -> None:
        return None

    def after_call(self, record: CallRecord) -> None:
        self.app.metrics.observe_connector_call(
            record.connector, record.action, record.outcome, record.latency_ms / 1000
        )


def build_connectors(app: App) -> tuple[ConnectorService, ConnectorCatalog]:
    def hooks_for(actor: Actor, job_id: int | None, ai_step: AIStep | None) -> Sequence[CallHooks]:
        return [
            app.usage.hooks(actor, job_id, ai_step=ai_step),
            CallStatsHooks(app.db, actor.org_id),
            MetricsHooks(app),
        ]

    service = ConnectorService(app.db, app.secrets, app.flags, hooks_factory=hooks_for)

    def actor_for(run: RunContext) -> Actor:
        if run.job_id is not None:
            with app.db.session() as session:
                row = session.execute(
                    select(Job.org_id, Job.user_id).where(Job.id == run.job_id)
                ).first()
            if row is None:
                raise NotFoundError(f"job {run.job_id} does not exist")
            if row.user_id is not None:
                return app.orgs.actor_for(row.user_id, row.org_id)
        if app.actor is None:
            raise LevqorError("the App is not started: no acting user")
        return app.actor

    return service, ConnectorCatalog(service, actor_for)
