"""Limits, reservations, the cost guard and the connector hooks (on SQLite; PostgreSQL in
tests/integration/test_usage_postgres.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from pydantic import BaseModel

from connectors.base import AuthKind, Connector, ConnectorContext, action
from connectors.errors import Unavailable
from levqor_desktop.app import App
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.usage import Enforcement, Metric, Period
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage import AIStep, UsageLimitExceeded, UsageService
from levqor_desktop.errors import LimitExceeded, PermissionDenied, ValidationError

NOON = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class ChatIn(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = "gpt-test"
    fail: bool = False


class FakeAI(Connector):
    """A connector whose action reports the tokens it is told to (no network)."""

    name = "fakeai"
    title = "Fake AI"
    category = "AI"
    description = "test double"
    docs_url = "https://example.invalid"
    credentials_url = "https://example.invalid"
    auth_kind = AuthKind.NONE
    calls = 0

    def check_credentials(self) -> str:
        return "ok"

    @action("chat", input=ChatIn, description="pretend to chat", reports_tokens=True)
    def chat(self, inp: ChatIn) -> dict[str, Any]:
        FakeAI.calls += 1
        if inp.fail:
            raise Unavailable("vendor down", connector=self.name, status_code=503)
        usage = {"prompt_tokens": inp.prompt_tokens, "completion_tokens": inp.completion_tokens}
        return {"model": inp.model, "usage": usage}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_app(request: pytest.FixtureRequest) -> App:
    app: App = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock(NOON)


@pytest.fixture
def usage(db_app: App, clock: Clock) -> UsageService:
    return UsageService(db_app.db, clock=clock)


@pytest.fixture
def owner(db_app: App) -> Actor:
    assert db_app.actor is not None
    return db_app.actor


def connector(usage: UsageService, actor: Actor, **kw: Any) -> FakeAI:
    return FakeAI(ConnectorContext(credentials={}, hooks=usage.hooks(actor, **kw)))


def test_enqueue_over_a_hard_limit_names_the_limit_value_and_reset(
    usage: UsageService, owner: Actor
) -> None:
    usage.limits.set(owner, Metric.JOB_RUNS, Period.DAY, 2)
    usage.check_enqueue(owner, workflow_name="nightly")
    usage.record(owner, Metric.JOB_RUNS, 2, workflow="nightly")
    with pytest.raises(LimitExceeded) as caught:
        usage.check_enqueue(owner, workflow_name="nightly")
    text = str(caught.value)
    assert "hard limit of 2 job runs per day" in text
    assert "organization 'Default organization'" in text
    assert "resets at 2026-11-29 00:00 UTC" in text
    assert usage.why_blocked(owner) == caught.value.message


def test_a_full_budget_blocks_enqueue_and_resets_next_month(
    usage: UsageService, owner: Actor, clock: Clock
) -> None:
    usage.limits.set(owner, Metric.COST_USD, Period.MONTH, 5_000_000)
    usage.record(owner, Metric.COST_USD, 5_000_000)
    with pytest.raises(LimitExceeded, match=r"\$5\.00 spend \(USD\) per month.*2026-12-01"):
        usage.check_enqueue(owner)
    clock.now = dt.datetime(2026, 12, 1, 0, 0, 1, tzinfo=dt.UTC)
    assert usage.check_enqueue(owner) == []


def test_soft_limits_warn_but_do_not_block(usage: UsageService, owner: Actor) -> None:
    usage.limits.set(owner, Metric.CONNECTOR_CALLS, Period.DAY, 1, enforcement=Enforcement.SOFT)
    usage.record(owner, Metric.CONNECTOR_CALLS, 3)
    warnings = usage.check_enqueue(owner)
    assert [w.limit.enforcement for w in warnings] == [Enforcement.SOFT]
    assert warnings[0].level == 100
    usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)  # soft: never refused


def test_alert_levels_follow_the_thresholds(usage: UsageService, owner: Actor) -> None:
    usage.limits.set(owner, Metric.CONNECTOR_CALLS, Period.MONTH, 100)
    levels = []
    for amount in (49, 1, 25, 24, 1):
        usage.record(owner, Metric.CONNECTOR_CALLS, amount)
        levels.append(usage.limits.statuses(owner)[0].level)
    assert levels == [0, 50, 75, 75, 100]


def test_reserve_commit_release(usage: UsageService, owner: Actor) -> None:
    usage.limits.set(owner, Metric.CONNECTOR_CALLS, Period.DAY, 2)
    first = usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    second = usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    with pytest.raises(UsageLimitExceeded, match="0 used and 2 reserved"):
        usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    usage.release(second)
    third = usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    assert usage.commit(first, connector="slack")
    usage.release(third)
    assert usage.totals(owner, Period.DAY)[Metric.CONNECTOR_CALLS] == 1
    status = usage.limits.statuses(owner)[0]
    assert (status.used, status.reserved) == (1, 0)


def test_a_dead_workers_reservation_stops_counting_when_it_expires(
    usage: UsageService, owner: Actor, clock: Clock
) -> None:
    usage.limits.set(owner, Metric.CONNECTOR_CALLS, Period.DAY, 1)
    usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)  # never settled
    with pytest.raises(UsageLimitExceeded):
        usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    clock.now = NOON + dt.timedelta(minutes=16)
    usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    assert usage.guard.purge_expired() == 1


def test_user_limits_cover_only_that_user(db_app: App, usage: UsageService, owner: Actor) -> None:
    db_app.flags.set("MULTI_TENANT_ENABLED", True)
    ann = db_app.orgs.add_member(owner, "ann@example.com", "Ann", Role.OPERATOR)
    ann_actor = db_app.orgs.actor_for("ann@example.com")
    usage.limits.set(owner, Metric.CONNECTOR_CALLS, Period.DAY, 1, user_id=ann.user_id)
    usage.limits.set(owner, Metric.CONNECTOR_CALLS, Period.DAY, 3)
    usage.reserve(ann_actor, Metric.CONNECTOR_CALLS, 1)
    with pytest.raises(UsageLimitExceeded, match="for user 'Ann'"):
        usage.reserve(ann_actor, Metric.CONNECTOR_CALLS, 1)
    usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    with pytest.raises(UsageLimitExceeded, match="organization"):
        usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    assert len(usage.limits.all(owner, user_id=ann.user_id)) == 2
    usage.limits.unset(owner, Metric.CONNECTOR_CALLS, Period.DAY, user_id=ann.user_id)
    assert len(usage.limits.all(owner)) == 1


def test_an_admin_override_lets_one_job_through_and_is_audited(
    usage: UsageService, owner: Actor
) -> None:
    usage.limits.set(owner, Metric.JOB_RUNS, Period.DAY, 0)
    with pytest.raises(LimitExceeded):
        usage.check_enqueue(owner, job_id=7)
    operator = replace(owner, role=Role.OPERATOR)
    with pytest.raises(PermissionDenied, match="needs the admin role"):
        usage.override(operator, 7, "urgent customer fix")
    with pytest.raises(ValidationError, match="needs a reason"):
        usage.override(owner, 7, " ")
    usage.override(replace(owner, role=Role.ADMIN), 7, "urgent customer fix")
    usage.check_enqueue(owner, job_id=7)
    assert usage.why_blocked(owner, job_id=7) is None
    assert usage.reserve(owner, Metric.JOB_RUNS, 1, job_id=7).overridden
    with pytest.raises(LimitExceeded):
        usage.check_enqueue(owner, job_id=8)
    [audit] = usage.overrides(owner)
    assert (audit.job_id, audit.granted_by, audit.reason) == (
        7,
        owner.user_id,
        "urgent customer fix",
    )


def test_hooks_record_calls_tokens_and_cost(usage: UsageService, owner: Actor) -> None:
    usage.prices.set(owner, "gpt-test", 1_000_000, 2_000_000)  # $1 / $2 per million
    ai = connector(usage, owner, workflow="summarise", job_id=3)
    ai.run("chat", {"prompt_tokens": 1000, "completion_tokens": 500})
    with pytest.raises(Unavailable):
        ai.run("chat", {"fail": True})
    totals = usage.totals(owner)
    assert totals[Metric.CONNECTOR_CALLS] == 2  # the failed call was made, so it counts
    assert totals[Metric.AI_PROMPT_TOKENS] == 1000
    assert totals[Metric.AI_COMPLETION_TOKENS] == 500
    assert totals[Metric.COST_USD] == 2000  # 1000 x $1/M + 500 x $2/M = $0.002
    [top] = usage.top_connectors(owner)
    assert (top.key, top.amount, top.cost_micro_usd) == ("fakeai", 2, 2000)
    [wf] = usage.top_workflows(owner)
    assert (wf.key, wf.cost_micro_usd) == ("summarise", 2000)


def test_a_refused_call_is_never_made(usage: UsageService, owner: Actor) -> None:
    usage.limits.set(owner, Metric.CONNECTOR_CALLS, Period.DAY, 1)
    ai = connector(usage, owner)
    before = FakeAI.calls
    ai.run("chat", {})
    with pytest.raises(LimitExceeded, match="connector calls per day"):
        ai.run("chat", {})
    assert FakeAI.calls == before + 1
    assert usage.limits.statuses(owner)[0].reserved == 0


def test_the_cost_guard_reserves_the_worst_case_of_each_ai_step(
    usage: UsageService, owner: Actor
) -> None:
    usage.prices.set(owner, "gpt-test", 1_000_000, 1_000_000)  # $1 per million tokens
    usage.limits.set(owner, Metric.COST_USD, Period.MONTH, 10_000)  # a $0.01 budget
    step = AIStep("gpt-test", max_tokens=4000, prompt_tokens=0)
    assert usage.check_ai_step(owner, step) == 4000
    held = [usage.reserve_ai_cost(owner, step), usage.reserve_ai_cost(owner, step)]
    with pytest.raises(LimitExceeded, match=r"leaves \$0\.002, not enough for \$0\.004"):
        usage.check_ai_step(owner, step)
    for reservation in held:
        usage.release(reservation)
    # Through the hooks: each call reserves 4000 and settles what it really used.
    ai = connector(usage, owner, ai_step=step)
    ai.run("chat", {"prompt_tokens": 1000, "completion_tokens": 2000})  # $0.003
    ai.run("chat", {"prompt_tokens": 1000, "completion_tokens": 2000})  # $0.006
    ai.run("chat", {"prompt_tokens": 1, "completion_tokens": 1})  # 6000 + 4000 fits exactly
    with pytest.raises(LimitExceeded, match="spend"):
        ai.run("chat", {"prompt_tokens": 1, "completion_tokens": 1})  # 6002 + 4000 does not
    assert usage.totals(owner)[Metric.COST_USD] == 6002
    assert usage.limits.statuses(owner)[0].reserved == 0


def test_an_unpriced_model_under_a_budget_is_refused(usage: UsageService, owner: Actor) -> None:
    usage.limits.set(owner, Metric.COST_USD, Period.MONTH, 1_000_000)
    with pytest.raises(LimitExceeded, match="'mystery' has no price"):
        usage.check_ai_step(owner, AIStep("mystery", max_tokens=10))


def test_hard_token_limits_refuse_ai_calls_once_used_up(usage: UsageService, owner: Actor) -> None:
    usage.limits.set(owner, Metric.AI_COMPLETION_TOKENS, Period.DAY, 100)
    ai = connector(usage, owner, ai_step=AIStep("gpt-test", max_tokens=50))
    ai.run("chat", {"completion_tokens": 100})
    with pytest.raises(LimitExceeded, match="AI completion tokens per day"):
        ai.run("chat", {"completion_tokens": 1})


def test_limits_are_validated(usage: UsageService, owner: Actor) -> None:
    with pytest.raises(ValidationError, match="cannot be negative"):
        usage.limits.set(owner, Metric.JOB_RUNS, Period.DAY, -1)
    with pytest.raises(ValidationError, match="max_tokens"):
        usage.worst_case_cost(AIStep("m", max_tokens=0))
