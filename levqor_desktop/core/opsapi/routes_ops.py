"""``/ops/*`` and ``/api/v1/ops/*``: what the canary reads, served from this app's sources.

The bodies are the canary's own reports, so a remote canary sees exactly what an
in-process one does.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime,
# and they name dependencies local to the router factory.
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from levqor_desktop.core.apikeys import Principal
from levqor_desktop.core.canary.reports import (
    ConnectorsReport,
    HealthReport,
    ProbeReport,
    QueueHealthReport,
    SystemReport,
)
from levqor_desktop.core.canary.sources import LocalSources
from levqor_desktop.core.opsapi.auth import Authenticator
from levqor_desktop.core.opsapi.responses import ModelJSON, errors
from levqor_desktop.core.permissions import Permission


def ops_router(sources: LocalSources, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["ops"])
    ReadKey = Annotated[Principal | None, Depends(auth.guard(Permission.READ))]  # noqa: N806
    OperatorKey = Annotated[Principal | None, Depends(auth.guard(Permission.RUN_CANARY))]  # noqa: N806
    TesterKey = Annotated[Principal | None, Depends(auth.guard(Permission.TEST_CONNECTORS))]  # noqa: N806

    @router.get(
        "/ops/health",
        response_model=HealthReport,
        summary="Liveness: the version and a database round trip with its latency",
        description="Always 200 while the process answers; `status` is `degraded` when "
        "the database does not.",
        responses=errors(401, 429),
    )
    def health(_: ReadKey) -> ModelJSON:
        return ModelJSON(sources.health())

    @router.get(
        "/ops/queue_health",
        response_model=QueueHealthReport,
        summary="Queue backend, reachability, depth by state, workers, oldest queued age",
        responses=errors(400, 401, 403, 429),
    )
    def queue_health(
        _: ReadKey,
        window_minutes: Annotated[
            int, Query(ge=1, le=1440, description="span of the recent job outcomes")
        ] = 15,
    ) -> QueueHealthReport:
        return sources.queue_health(window_minutes)

    @router.get(
        "/api/v1/ops/system",
        response_model=SystemReport,
        summary="Schema revision against head, free disk space, keyring reachability",
        responses=errors(401, 403, 429),
    )
    def system(_: ReadKey) -> SystemReport:
        return sources.system()

    @router.post(
        "/api/v1/ops/db_probe",
        response_model=ProbeReport,
        summary="Write a row to the canary table, read it back, delete it",
        responses=errors(401, 403, 429),
    )
    def db_probe(_: OperatorKey) -> ProbeReport:
        return sources.db_probe()

    @router.get(
        "/api/v1/ops/connectors",
        response_model=ConnectorsReport,
        summary="check() of every configured connector account",
        responses=errors(401, 403, 429),
    )
    def connectors(_: TesterKey) -> ConnectorsReport:
        return sources.connector_checks()

    return router
