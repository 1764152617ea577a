"""One organization's usage, limits, overrides and members are invisible to another
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import io

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.usage import Metric, Period
from levqor_desktop.errors import NotFoundError
from levqor_desktop.resources import resources_dir


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest) -> App:
    app: App = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)
    return app


def test_one_orgs_usage_is_invisible_to_another(any_app: App) -> None:
    owner = any_app.actor
    assert owner is not None
    any_app.orgs.create(owner, "acme", "Acme")
    any_app.orgs.create(owner, "umbrella", "Umbrella")
    acme = any_app.orgs.actor_for(owner.user_id, "acme")
    umbrella_owner = any_app.orgs.actor_for(owner.user_id, "umbrella")
    any_app.orgs.add_member(umbrella_owner, "eve@example.com", "Eve", Role.ADMIN)
    eve = any_app.orgs.actor_for("eve@example.com")
    assert eve.org_id == umbrella_owner.org_id

    usage = any_app.usage
    usage.record(acme, Metric.CONNECTOR_CALLS, 5, connector="slack", workflow="acme-flow")
    usage.record(acme, Metric.COST_USD, 900, connector="ai", workflow="acme-flow")
    usage.limits.set(acme, Metric.CONNECTOR_CALLS, Period.DAY, 5)
    usage.override(acme, 42, "acme incident")
    usage.record(eve, Metric.CONNECTOR_CALLS, 1, connector="smtp", workflow="eve-flow")

    assert usage.totals(eve)[Metric.CONNECTOR_CALLS] == 1
    assert usage.totals(eve)[Metric.COST_USD] == 0
    assert usage.totals(acme)[Metric.CONNECTOR_CALLS] == 5
    assert [t.label for t in usage.top_users(eve, Metric.CONNECTOR_CALLS)] == ["Eve"]
    assert [t.key for t in usage.top_connectors(eve)] == ["smtp"]
    assert [t.key for t in usage.top_workflows(eve)] == ["eve-flow"]
    assert sum(v for _, v in usage.series(eve, Metric.CONNECTOR_CALLS, 3)) == 1
    assert usage.limits.all(eve) == []
    assert usage.limits.statuses(eve) == []
    assert usage.overrides(eve) == []
    # Acme's full limit blocks Acme, not Umbrella; Acme's override does not leak either.
    assert usage.why_blocked(acme, job_id=1) is not None
    assert usage.why_blocked(eve) is None
    out = io.StringIO()
    usage.export_csv(eve, out)
    assert "acme" not in out.getvalue().lower()
    assert "slack" not in out.getvalue()
    # Members and limits for users of another organization.
    assert [m.display_name for m in any_app.orgs.members(eve)] == ["Eve", "Operator"]
    assert [m.display_name for m in any_app.orgs.members(acme)] == ["Operator"]
    with pytest.raises(NotFoundError, match="not a member of this organization"):
        usage.limits.set(acme, Metric.JOB_RUNS, Period.DAY, 1, user_id=eve.user_id)
    with pytest.raises(NotFoundError, match="not a member"):
        any_app.orgs.remove_member(acme, "eve@example.com")
    assert [o.slug for o in any_app.orgs.organizations(eve)] == ["umbrella"]


def test_one_orgs_jobs_workflows_and_credentials_are_invisible_to_another(any_app: App) -> None:
    owner = any_app.actor
    assert owner is not None
    any_app.orgs.create(owner, "acme", "Acme")
    acme = any_app.orgs.actor_for(owner.user_id, "acme")
    source = (resources_dir() / "examples" / "offline-transform-demo.json").read_text("utf-8")
    any_app.workflows.save(acme, source)
    job = any_app.jobs.enqueue(acme, "offline-transform-demo")
    any_app.connectors.save_account(acme, "slack", "main", {"bot_token": "xoxb-acme-secret"})
    # Acme sees its own rows ...
    assert [w.name for w in any_app.workflows.list(acme)] == ["offline-transform-demo"]
    assert [j.id for j in any_app.jobs.list(acme).rows] == [job.id]
    assert [a.label for a in any_app.connectors.accounts(acme)] == ["main"]
    # ... the same user acting in the default organization sees none of them.
    assert any_app.workflows.list(owner) == []
    assert any_app.jobs.list(owner).rows == []
    assert any_app.jobs.list(owner).total == 0
    assert any_app.connectors.accounts(owner) == []
    with pytest.raises(NotFoundError):
        any_app.jobs.get(owner, job.id)
