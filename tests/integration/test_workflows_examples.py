"""The shipped examples validate against the real action metadata and run end to end.

Connector actions are described from the real connector classes (their input models);
their calls are answered by a recording fake, and HTTP by an httpx MockTransport, so
the examples run without a network or credentials.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.registry import load_builtin_connectors
from levqor_desktop.core.workflows import (
    ActionInfo,
    CompositeCatalog,
    RunContext,
    StepRunner,
    parse_workflow,
    run_workflow,
)
from levqor_desktop.core.workflows.builtins import BuiltinCatalog
from levqor_desktop.resources import resource_path

EXAMPLES = sorted(resource_path("examples").glob("*.json"))


class ConnectorDescriptions:
    """Describes every built-in connector action; invoking records and answers canned data."""

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.infos: dict[str, ActionInfo] = {}
        for cls in load_builtin_connectors():
            for name, spec in cls.actions().items():
                schema = spec.input_model.model_json_schema()
                uses = f"{cls.name}.{name}"
                self.infos[uses] = ActionInfo(
                    uses, spec.description, tuple(schema.get("required", ())), schema
                )

    def describe(self, uses: str) -> ActionInfo | None:
        return self.infos.get(uses)

    def names(self) -> list[str]:
        return sorted(self.infos)

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        self.calls.append((uses, inputs))
        return self.answers[uses]


def test_there_are_examples_and_at_least_one_is_offline():
    names = {p.name for p in EXAMPLES}
    assert len(names) >= 4
    assert "offline-transform-demo.json" in names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_against_the_real_actions(path: Path):
    catalog = CompositeCatalog(BuiltinCatalog(), ConnectorDescriptions({}))
    workflow = parse_workflow(path.read_text(encoding="utf-8"), catalog=catalog)
    assert workflow.name == path.stem
    assert workflow.description


def test_the_offline_demo_runs_with_built_ins_only(caplog):
    catalog = BuiltinCatalog(sleep=lambda s: None)
    wf = parse_workflow(resource_path("examples", "offline-transform-demo.json").read_text())
    with caplog.at_level(logging.INFO, logger="levqor.workflows"):
        result = run_workflow(wf, {}, catalog)
    assert result.ok
    assert result.outputs["summarise"]["value"]["open_hours"] == 8
    assert "Platform: 2 open (8 h: Upgrade PostgreSQL, Write the runbook), 1 done" in caplog.text
    assert result.outcomes["too_much_work"].status == "skipped"
    failed = run_workflow(wf, {"fail_when_open_over": "3"}, catalog)
    assert (failed.status, failed.failed_step) == ("failed", "too_much_work")
    assert failed.error == "8 open hours is over the limit of 3"


def test_the_github_digest_posts_only_issues_to_slack():
    def github(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/repos/acme/app/issues"
        assert request.url.params["per_page"] == "2"
        return httpx.Response(
            200,
            json=[
                {"number": 7, "title": "Crash on start", "html_url": "https://gh/7"},
                {"number": 8, "title": "A PR", "html_url": "https://gh/8", "pull_request": {}},
            ],
        )

    connectors = ConnectorDescriptions({"slack.post_message": {"ts": "1.2", "channel": "C1"}})
    catalog = CompositeCatalog(BuiltinCatalog(transport=httpx.MockTransport(github)), connectors)
    wf = parse_workflow(
        resource_path("examples", "github-issues-slack-digest.json").read_text(), catalog=catalog
    )
    result = run_workflow(wf, {"repo": "acme/app", "limit": 2}, catalog)
    assert result.ok, result.error
    [(uses, inputs)] = connectors.calls
    assert uses == "slack.post_message"
    assert inputs["channel"] == "#eng-digest"
    assert inputs["text"] == "*New issues in acme/app*\n• <https://gh/7|#7> Crash on start\n"


def test_the_ai_summary_sends_the_models_answer():
    page = httpx.MockTransport(lambda request: httpx.Response(200, text="x" * 50))
    connectors = ConnectorDescriptions(
        {
            "ai.chat": {"text": "- one\n- two", "model": "m1", "usage": {}},
            "email.send_email": {"accepted": ["ops@example.com"]},
        }
    )
    catalog = CompositeCatalog(BuiltinCatalog(transport=page), connectors)
    wf = parse_workflow(
        resource_path("examples", "ai-summary-email.json").read_text(), catalog=catalog
    )
    result = run_workflow(
        wf,
        {"url": "https://example.com/a", "to": "ops@example.com", "max_chars": 10},
        catalog,
        step_runner=StepRunner(catalog, sleep=lambda s: None),
    )
    assert result.ok, result.error
    chat, email = connectors.calls
    assert chat[1]["prompt"].endswith("\n\n" + "x" * 10)
    assert email[1]["to"] == ["ops@example.com"]
    assert email[1]["text"].startswith("- one\n- two\n\n— sent by Levqor (m1)")
    assert json.dumps(result.outputs)  # outputs are JSON-able for the job record


def test_the_parallel_demo_runs_its_branches_at_once_and_joins_them():
    # Each of the three delays waits for the other two: only a parallel run gets past.
    together = threading.Barrier(3, timeout=10)
    catalog = BuiltinCatalog(sleep=lambda seconds: together.wait())
    wf = parse_workflow(resource_path("examples", "parallel-fan-out-demo.json").read_text())
    result = run_workflow(wf, {"work_s": 0.01}, catalog)
    assert result.ok, result.error
    assert {sid: o.status for sid, o in result.outcomes.items() if o.status != "succeeded"} == {
        "page": "skipped",
        "page_log": "skipped",
    }
    assert result.outputs["report"]["message"] == (
        "4 tickets (billing 2, platform 2), 11 h open, urgent: 101, 104"
    )
    paged = run_workflow(wf, {"work_s": 0.01, "page_over_hours": 5}, BuiltinCatalog())
    assert paged.outputs["page_log"]["message"] == "paging: 11 open hours"
