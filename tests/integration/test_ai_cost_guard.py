"""An AI chat step is stopped before its call when its worst case does not fit the budget."""

from __future__ import annotations

import httpx
import pytest

from levqor_desktop.app import App
from levqor_desktop.core.usage import Metric, Period
from levqor_desktop.core.workflows.actions import RunContext, StepFailed


def test_worst_case_over_budget_makes_no_call_and_a_fitting_one_is_recorded(app: App) -> None:
    calls: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(
            200,
            json={
                "id": "c1",
                "object": "chat.completion",
                "model": "gpt-4o-mini",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "hi"},
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
            },
        )

    app.connectors.transport = httpx.MockTransport(server)
    actor = app.actor
    assert actor is not None
    app.connectors.save_account(
        actor, "ai", "default", {"api_key": "sk-test-costguard-000000000000"}
    )
    # $1 per million prompt and completion tokens; a budget of 1,000 micro-dollars a month.
    app.usage.prices.set(actor, "gpt-4o-mini", 1_000_000, 1_000_000)
    app.usage.limits.set(actor, Metric.COST_USD, Period.MONTH, 1_000)
    run = RunContext(step_id="ask", test_run=True)

    with pytest.raises(StepFailed) as err:
        # 4,096 completion tokens at $1/M is 4,096 micro-dollars: over the budget.
        app.actions.invoke("ai.chat", {"prompt": "hello", "model": "gpt-4o-mini"}, run)
    assert err.value.retryable is False
    # 4,096 completion + 2 prompt tokens at $1 per million each: $0.004098.
    assert "spend (USD) per month" in str(err.value)
    assert "not enough for $0.004098" in str(err.value)
    assert calls == []

    out = app.actions.invoke(
        "ai.chat", {"prompt": "hello", "model": "gpt-4o-mini", "max_tokens": 100}, run
    )
    assert out["text"] == "hi"
    assert len(calls) == 1
    spent = app.usage.month_to_date(actor.org_id, actor.user_id)
    assert spent[Metric.AI_PROMPT_TOKENS] == 10
    assert spent[Metric.AI_COMPLETION_TOKENS] == 2
