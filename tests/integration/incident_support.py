"""A seeded incident: one event of each kind, with a secret and an e-mail planted in them."""

from __future__ import annotations

from dataclasses import dataclass

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.migrate import runs
from levqor_desktop.core.models.safety import OperatorAction
from levqor_desktop.core.models.usage import Metric, Period
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import LimitExceeded
from tests.reliability.jobs_support import Finished

#: A credential of a connector account (kept in the keyring) that a vendor's error
#: text repeats, and an address in a job's inputs and error: neither may be exported.
SECRET = "PlantedBotCredential9f3a2"
EMAIL = "jane.operator@example.org"

FAILING = {
    "name": "notify-customer",
    "inputs": {"contact": {"type": "string"}},
    "steps": [
        {"id": "prepare", "uses": "core.transform", "with": {"value": "{{ inputs.contact }}"}},
        {
            "id": "post",
            "uses": "core.fail",
            "with": {
                "message": "slack said invalid_auth for {{ inputs.contact }} with token " + SECRET
            },
        },
    ],
}


@dataclass(frozen=True)
class Seeded:
    job_id: int
    flag_audit_id: int
    canary_run_id: int
    migration_uuid: str


def actor_of(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


def seed(app: App) -> Seeded:
    """Write one event of each kind through the services that write them."""
    me = actor_of(app)
    # The credential lives in the keyring only (the account row names the field).
    app.connectors.save_account(me, "slack", "ops", {"bot_token": SECRET})
    # A failed job: the connector's error text repeats the token and the e-mail.
    finished = Finished(app.jobs_kit.pool)
    app.jobs_kit.pool.start()
    try:
        job = app.jobs.enqueue(me, document=FAILING, inputs={"contact": EMAIL}, max_attempts=1)
        finished.wait_job(job.id)
    finally:
        app.jobs_kit.pool.stop()
    change = app.flag_service.set(
        me, FlagName.BUILDER_ENABLED, True, f"asked by {EMAIL}", source="cli"
    )
    assert change is not None
    canary = _failed_canary(app, me)
    migration = runs.start(app.db, "switch", "sqlite:///levqor.db", "postgresql://ops@db/levqor")
    runs.finish(app.db, migration, runs.FAILED, "final sync failed: connection reset")
    # A limit hit: no job runs left today, so the next enqueue is refused.
    app.usage.limits.set(me, Metric.JOB_RUNS, Period.DAY, 0)
    try:
        app.jobs.enqueue(me, document=FAILING, inputs={"contact": "x"})
    except LimitExceeded:
        pass
    else:
        raise AssertionError("the limit did not refuse the job")
    app.usage.limits.unset(me, Metric.JOB_RUNS, Period.DAY)
    with app.db.session() as session:
        session.add(
            OperatorAction(
                org_id=me.org_id,
                user_id=me.user_id,
                actor_name=me.display_name,
                profile="prod-eu",
                environment="production",
                action="jobs.bulk_retry",
                target="state=failed workflow=notify-customer",
                count=3,
                source="cli",
                outcome="confirmed",
                details={"preview": [f"job for {EMAIL}"], "api_key": SECRET},
            )
        )
    return Seeded(job.id, change.entry.id, canary, migration)


def _failed_canary(app: App, me: Actor) -> int:
    from levqor_desktop.core.canary.results import CheckResult, Status
    from levqor_desktop.core.canary.store import RunReport
    from levqor_desktop.core.canary.verdict import Verdict

    now = app.incidents.now()
    report = RunReport(
        target="local",
        target_label="this app",
        verdict=Verdict.FAIL,
        results=[
            CheckResult("error_rate", Status.FAIL, 40.0, "%", "≤ 5 %", "40 % of jobs failed"),
            CheckResult("health", Status.PASS, 1.0, "", "ok", "healthy"),
        ],
        started_at=now,
        finished_at=now,
        trigger="auto",
        change="flag BUILDER_ENABLED on",
    )
    return app.canary.store.save(report, me.org_id)
