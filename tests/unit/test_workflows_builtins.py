"""The core.* actions, with an httpx MockTransport instead of a network."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from levqor_desktop.core.workflows import (
    CompositeCatalog,
    RunContext,
    StepCanceled,
    StepFailed,
    StepRunner,
    parse_workflow,
    run_workflow,
)
from levqor_desktop.core.workflows.builtins import BuiltinCatalog


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/issues":
        return httpx.Response(200, json=[{"id": 1, "q": request.url.params.get("state")}])
    if request.url.path == "/echo":
        return httpx.Response(201, json={"got": json.loads(request.content)})
    if request.url.path == "/text":
        return httpx.Response(200, text="pong")
    if request.url.path == "/slow":
        raise httpx.ReadTimeout("slow", request=request)
    if request.url.path == "/down":
        return httpx.Response(503)
    return httpx.Response(404, json={"error": "nope"})


@pytest.fixture
def catalog():
    cat = BuiltinCatalog(transport=httpx.MockTransport(handler))
    yield cat
    cat.close()


RUN = RunContext(step_id="s")


def test_http_request_returns_status_headers_and_json(catalog):
    out = catalog.invoke(
        "core.http_request", {"url": "https://api.test/issues", "params": {"state": "open"}}, RUN
    )
    assert out["status"] == 200
    assert out["ok"] is True
    assert out["json"] == [{"id": 1, "q": "open"}]
    assert out["headers"]["content-type"] == "application/json"
    posted = catalog.invoke(
        "core.http_request",
        {"url": "https://api.test/echo", "method": "POST", "json": {"a": [1]}},
        RUN,
    )
    assert (posted["status"], posted["json"]) == (201, {"got": {"a": [1]}})
    text = catalog.invoke("core.http_request", {"url": "https://api.test/text"}, RUN)
    assert (text["text"], text["json"]) == ("pong", None)


def test_http_errors_fail_unless_allowed(catalog):
    with pytest.raises(StepFailed) as missing:
        catalog.invoke("core.http_request", {"url": "https://api.test/missing?token=s3cret"}, RUN)
    assert (missing.value.kind, missing.value.retryable) == ("http_status", False)
    assert "404" in str(missing.value)
    assert "s3cret" not in str(missing.value)  # the query string may hold a secret
    with pytest.raises(StepFailed) as down:
        catalog.invoke("core.http_request", {"url": "https://api.test/down"}, RUN)
    assert down.value.retryable
    with pytest.raises(StepFailed) as slow:
        catalog.invoke("core.http_request", {"url": "https://api.test/slow"}, RUN)
    assert (slow.value.kind, slow.value.retryable) == ("timeout", True)
    allowed = catalog.invoke(
        "core.http_request", {"url": "https://api.test/missing", "allow_error": True}, RUN
    )
    assert (allowed["status"], allowed["ok"], allowed["json"]) == (404, False, {"error": "nope"})


def test_http_request_uses_the_step_deadline():
    seen: list[Any] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(204)

    cat = BuiltinCatalog(transport=httpx.MockTransport(record))
    clock = iter([100.0]).__next__
    run = RunContext(step_id="s", deadline=102.5, monotonic=clock)
    cat.invoke("core.http_request", {"url": "https://api.test/", "timeout": 30}, run)
    assert seen[0]["read"] == pytest.approx(2.5)
    expired = RunContext(step_id="s", deadline=99.0, monotonic=lambda: 100.0)
    with pytest.raises(StepFailed, match="no time left"):
        cat.invoke("core.http_request", {"url": "https://api.test/"}, expired)
    cat.close()


def test_invalid_inputs_are_permanent_failures(catalog):
    with pytest.raises(StepFailed) as caught:
        catalog.invoke("core.http_request", {"url": "ftp://x", "bogus": 1}, RUN)
    assert (caught.value.kind, caught.value.retryable) == ("invalid_input", False)
    assert "url" in str(caught.value)
    assert "bogus" in str(caught.value)


def test_transform_log_and_fail(catalog, caplog):
    assert catalog.invoke("core.transform", {"value": {"a": [1, 2]}}, RUN) == {
        "value": {"a": [1, 2]}
    }
    with caplog.at_level(logging.INFO, logger="levqor.workflows"):
        out = catalog.invoke("core.log", {"message": {"n": 1}, "level": "warning"}, RUN)
    assert out == {"message": '{"n": 1}', "level": "warning"}
    assert caplog.records[-1].levelno == logging.WARNING
    assert caplog.records[-1].getMessage() == '[s] {"n": 1}'
    with pytest.raises(StepFailed) as caught:
        catalog.invoke("core.fail", {"message": "stop here"}, RUN)
    assert (str(caught.value), caught.value.retryable, caught.value.kind) == (
        "stop here", False, "fail",
    )  # fmt: skip


def test_delay_sleeps_in_slices_and_stops_when_canceled():
    slept: list[float] = []
    cat = BuiltinCatalog(sleep=slept.append)
    assert cat.invoke("core.delay", {"seconds": 0.35}, RUN) == {"slept_s": 0.35}
    assert sum(slept) == pytest.approx(0.35)
    slept.clear()
    run = RunContext(step_id="s", cancelled=lambda: len(slept) >= 2)
    with pytest.raises(StepCanceled):
        cat.invoke("core.delay", {"seconds": 3600}, run)
    assert len(slept) == 2


def test_catalog_metadata_drives_the_builder_and_validation(catalog):
    assert catalog.names() == [
        "core.delay", "core.fail", "core.http_request", "core.log", "core.transform",
    ]  # fmt: skip
    info = catalog.describe("core.http_request")
    assert info is not None
    assert info.required_inputs == ("url",)
    assert "allow_error" in info.input_schema["properties"]
    known = info.known_inputs()
    assert known is not None
    assert "json" in known
    assert catalog.describe("core.nope") is None


def test_composite_catalog_routes_to_the_catalog_that_knows_the_action(catalog):
    class Echo:
        def describe(self, uses):
            from levqor_desktop.core.workflows import ActionInfo

            return ActionInfo(uses, "echo") if uses == "echo.say" else None

        def names(self):
            return ["echo.say"]

        def invoke(self, uses, inputs, run):
            return {"said": inputs}

    combined = CompositeCatalog(catalog)
    combined.add(Echo())
    assert "echo.say" in combined.names() and "core.log" in combined.names()
    wf = parse_workflow(
        {
            "name": "mix",
            "steps": [
                {"id": "a", "uses": "core.transform", "with": {"value": 5}},
                {"id": "b", "uses": "echo.say", "with": {"n": "{{ steps.a.output.value }}"}},
            ],
        },
        catalog=combined,
    )
    result = run_workflow(wf, {}, combined, step_runner=StepRunner(combined))
    assert result.outputs["b"] == {"said": {"n": 5}}
    with pytest.raises(StepFailed, match="unknown action"):
        combined.invoke("nope.x", {}, RUN)
