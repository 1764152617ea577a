"""The ops API's jobs endpoints: enqueue with an operator key, read back, refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from levqor_desktop.app import App
from levqor_desktop.core.models import Role
from levqor_desktop.core.opsapi import create_ops_app

DOCUMENT = {
    "name": "api-echo",
    "inputs": {"n": {"type": "integer", "default": 0}},
    "steps": [{"id": "only", "uses": "core.transform", "with": {"value": "{{ inputs.n }}"}}],
}


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(create_ops_app(app), raise_server_exceptions=False) as c:
        yield c


def key(app: App, role: Role) -> dict[str, str]:
    assert app.actor is not None
    created = app.api_keys.create(app.actor, name=str(role), role=role)
    return {"Authorization": f"Bearer {created.key}"}


def test_enqueue_records_a_queued_job_and_reads_it_back(app: App, client: TestClient) -> None:
    operator = key(app, Role.OPERATOR)
    made = client.post("/api/v1/jobs", headers=operator,
                       json={"document": DOCUMENT, "inputs": {"n": 7}, "priority": 3})  # fmt: skip
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["workflow"] == "api-echo" and body["backend"] == app.queue.name
    assert app.actor is not None
    record = app.jobs.get(app.actor, body["id"])
    assert record.inputs == {"n": 7} and record.priority == 3
    read = client.get(f"/api/v1/jobs/{body['id']}", headers=key(app, Role.VIEWER))
    assert read.status_code == 200 and read.json()["id"] == body["id"]
    assert read.json()["status"] in {"queued", "running", "succeeded"}


def test_refusals_name_the_fault(app: App, client: TestClient) -> None:
    viewer, operator = key(app, Role.VIEWER), key(app, Role.OPERATOR)
    denied = client.post("/api/v1/jobs", headers=viewer, json={"document": DOCUMENT})
    assert denied.status_code == 403 and "operator" in denied.json()["error"]
    assert client.post("/api/v1/jobs", json={"document": DOCUMENT}).status_code == 401
    neither = client.post("/api/v1/jobs", headers=operator, json={"inputs": {}})
    assert neither.status_code == 400 and neither.json()["field"] == "workflow"
    both = client.post("/api/v1/jobs", headers=operator,
                       json={"workflow": "x", "document": DOCUMENT})  # fmt: skip
    assert both.status_code == 400
    bad_input = client.post("/api/v1/jobs", headers=operator,
                            json={"document": DOCUMENT, "inputs": {"n": "seven"}})  # fmt: skip
    assert bad_input.status_code == 400, bad_input.text
    unknown = client.post("/api/v1/jobs", headers=operator, json={"workflow": "no-such-flow"})
    assert unknown.status_code == 404
    assert client.get("/api/v1/jobs/999999", headers=viewer).status_code == 404
    assert app.actor is not None
    assert app.jobs.count(app.actor) == 0  # nothing refused was recorded
