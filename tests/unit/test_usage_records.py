"""Usage events: idempotency, rollups equal a recount of the raw events, prices, periods."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from levqor_desktop.app import App, build_app
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.usage import Metric, Period, UsageEvent, UsageRollup
from levqor_desktop.core.usage import NewEvent, Price
from levqor_desktop.core.usage.formatting import format_usd, parse_amount
from levqor_desktop.core.usage.periods import period_reset, period_start
from levqor_desktop.core.usage.prices import match
from levqor_desktop.errors import PermissionDenied, ValidationError
from tests.conftest import make_settings

T0 = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def _event_count(app: App) -> int:
    with app.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(UsageEvent)) or 0)


def test_the_same_event_twice_counts_once(app: App) -> None:
    actor = app.actor
    assert actor is not None
    assert app.usage.record(actor, Metric.CONNECTOR_CALLS, 1, idempotency_key="call-1")
    assert not app.usage.record(actor, Metric.CONNECTOR_CALLS, 1, idempotency_key="call-1")
    assert app.usage.record(actor, Metric.CONNECTOR_CALLS, 1, idempotency_key="call-2")
    assert app.usage.totals(actor)[Metric.CONNECTOR_CALLS] == 2
    assert _event_count(app) == 2


def test_a_batch_with_repeats_and_old_keys_counts_each_key_once(app: App) -> None:
    actor = app.actor
    assert actor is not None
    app.usage.record(actor, Metric.AI_PROMPT_TOKENS, 10, idempotency_key="a")
    batch = [
        NewEvent(actor.org_id, actor.user_id, Metric.AI_PROMPT_TOKENS, 10, T0, key)
        for key in ("a", "b", "b", "c")
    ]
    assert app.usage.record_events(batch) == 2
    with app.db.session() as session:
        rolled = session.scalar(select(func.sum(UsageRollup.amount)))
    assert rolled == 30


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValidationError, match="cannot be negative"):
        NewEvent(1, 1, Metric.JOB_RUNS, -1, T0)


def _recount(app: App) -> dict[tuple[int, str, dt.date, int], int]:
    with app.db.session() as session:
        events = session.execute(
            select(
                UsageEvent.org_id,
                UsageEvent.metric,
                UsageEvent.occurred_at,
                UsageEvent.user_id,
                UsageEvent.amount,
            )
        ).all()
        rollups = session.execute(
            select(
                UsageRollup.org_id,
                UsageRollup.metric,
                UsageRollup.day,
                UsageRollup.user_id,
                UsageRollup.amount,
            )
        ).all()
    counted: Counter[tuple[int, str, dt.date, int]] = Counter()
    for org, metric, at, user, amount in events:
        counted[(org, str(metric), at.date(), user)] += amount
    stored = {(o, str(m), d, u): a for o, m, d, u, a in rollups}
    assert stored == {k: v for k, v in counted.items() if v or k in stored}
    return stored


event_strategy = st.tuples(
    st.sampled_from(list(Metric)),
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=0, max_value=40),  # days back from T0
    st.integers(min_value=0, max_value=23),  # hour
    st.integers(min_value=0, max_value=30),  # idempotency key: collisions on purpose
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(st.lists(event_strategy, min_size=1, max_size=8), min_size=1, max_size=6),
    salt=st.uuids(),
)
def test_rollups_equal_a_recount_of_raw_events(
    app: App, batches: list[list[tuple[Metric, int, int, int, int]]], salt: object
) -> None:
    """Random interleavings of single and batched writes, with repeated keys."""
    actor = app.actor
    assert actor is not None
    for n, batch in enumerate(batches):
        events = [
            NewEvent(
                actor.org_id,
                actor.user_id,
                metric,
                amount,
                (T0 - dt.timedelta(days=back)).replace(hour=hour),
                f"{salt}-{key}",
            )
            for metric, amount, back, hour, key in batch
        ]
        if n % 2:
            app.usage.record_events(events)
        else:
            for event in events:
                app.usage.record_events([event])
    _recount(app)


def test_price_matching_prefers_exact_then_longest_prefix() -> None:
    prices = {
        "gpt-4o": Price("gpt-4o", 2_500_000, 10_000_000),
        "gpt-4o-mini": Price("gpt-4o-mini", 150_000, 600_000),
    }
    assert match(prices, "gpt-4o-mini-2024-07-18") == prices["gpt-4o-mini"]
    assert match(prices, "gpt-4o-2024-08-06") == prices["gpt-4o"]
    assert match(prices, "llama3") is None


def test_cost_rounds_up_to_a_micro_dollar() -> None:
    price = Price("m", 150_000, 600_000)  # $0.15 / $0.60 per million
    assert price.cost(1_000_000, 0) == 150_000
    assert price.cost(1, 0) == 1  # 0.15 micro-dollars, rounded up
    assert price.cost(1000, 1000) == 750


def test_prices_are_editable_by_admins_only(app: App) -> None:
    actor = app.actor
    assert actor is not None
    app.usage.prices.set(actor, "gpt-4o-mini", 150_000, 600_000)
    app.usage.prices.set(actor, "gpt-4o-mini", 100_000, 400_000)
    assert [p.prompt_per_million for p in app.usage.prices.all()] == [100_000]
    assert app.usage.cost("gpt-4o-mini-2024-07-18", 1000, 1000) == 500
    assert app.usage.cost("unknown-model", 1000, 1000) is None
    with pytest.raises(PermissionDenied, match="needs the admin role"):
        app.usage.prices.set(replace(actor, role=Role.OPERATOR), "x", 1, 1)


def test_periods_and_resets() -> None:
    moment = dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC)
    assert period_start(Period.DAY, moment) == dt.date(2026, 12, 31)
    assert period_start(Period.MONTH, moment) == dt.date(2026, 12, 1)
    assert period_reset(Period.DAY, moment) == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert period_reset(Period.MONTH, moment) == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert period_reset(Period.MONTH, T0) == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def test_amount_parsing_and_dollars() -> None:
    assert parse_amount(Metric.COST_USD, "$12.50") == 12_500_000
    assert parse_amount(Metric.CONNECTOR_CALLS, "1,000") == 1000
    with pytest.raises(ValidationError, match="whole number"):
        parse_amount(Metric.JOB_RUNS, "1.5")
    assert format_usd(12_500_000) == "$12.50"
    assert format_usd(750) == "$0.00075"


def test_service_on_a_fresh_home_records_nothing_until_used(tmp_path: Path) -> None:
    app = build_app(make_settings(tmp_path / "h")).start()
    try:
        assert app.actor is not None
        assert set(app.usage.totals(app.actor).values()) == {0}
        assert app.usage.why_blocked(app.actor) is None
    finally:
        app.close()


def test_the_single_event_fast_path_stores_what_the_orm_path_stores(db_app: App) -> None:
    actor = db_app.actor
    assert actor is not None
    at = dt.datetime(2026, 11, 28, 23, 59, 59, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert db_app.usage.record(
        actor, Metric.JOB_RUNS, 3, workflow="w", job_id=9, idempotency_key="fast", at=at
    )
    assert not db_app.usage.record(actor, Metric.JOB_RUNS, 3, idempotency_key="fast", at=at)
    slow = NewEvent(actor.org_id, actor.user_id, Metric.JOB_RUNS, 4, at, "slow", None, "w", 9)
    assert db_app.usage.record_events([slow, replace(slow, idempotency_key="slow2")]) == 2
    with db_app.db.session() as session:
        rows = session.execute(
            select(UsageEvent.idempotency_key, UsageEvent.occurred_at, UsageEvent.job_id)
            .where(UsageEvent.occurred_at >= at)
            .order_by(UsageEvent.idempotency_key)
        ).all()
        days = session.execute(select(UsageRollup.day, UsageRollup.amount)).all()
    assert [(k, t, j) for k, t, j in rows] == [(k, at, 9) for k in ("fast", "slow", "slow2")]
    assert days == [(dt.date(2026, 11, 29), 11)]  # 23:59 at UTC-5 is the next UTC day
