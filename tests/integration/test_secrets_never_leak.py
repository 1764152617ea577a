"""End to end: a workflow using three connectors runs as a job on the local pool against
mocked vendors; afterwards the secrets it used appear nowhere — not in the database file,
the log files, nor the job's stored outputs and errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from levqor_desktop.app import App, build_app
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.logging import configure_logging, reset_logging
from levqor_desktop.core.models.jobs import JobStatus
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring

SLACK = "xoxb-1234567890-abcdefghijklmnopqrstuvwx"
TELEGRAM = "123456789:AAFakeTelegramTokenForLevqorTests_12345"
NOTION = "ntn_fakeNotionIntegrationSecret0123456789abcdef"
SECRETS = (SLACK, TELEGRAM, NOTION)


def vendors(request: httpx.Request) -> httpx.Response:
    """Fake Slack, Telegram and Notion; each echoes nothing secret unless it is an error."""
    host, path = request.url.host, request.url.path
    if host == "slack.com" and path == "/api/chat.postMessage":
        return httpx.Response(200, json={"ok": True, "channel": "C1", "ts": "1.1", "message": {}})
    if host == "api.telegram.org":
        # A vendor that echoes the request URL (and so the bot token) in its error.
        return httpx.Response(
            401, json={"ok": False, "error_code": 401, "description": f"Unauthorized {request.url}"}
        )
    if host == "api.notion.com" and path == "/v1/search":
        return httpx.Response(
            200, json={"object": "list", "results": [], "has_more": False, "next_cursor": None}
        )
    return httpx.Response(404, json={"message": "not found"})


WORKFLOW = {
    "name": "three-connectors",
    "version": 1,
    "trigger": {"type": "manual"},
    "steps": [
        {"id": "search", "uses": "notion.search", "with": {"query": "roadmap"}},
        {
            "id": "post",
            "uses": "slack.post_message",
            "with": {"channel": "C1", "text": "found {{ steps.search.output.count }} pages"},
        },
        {"id": "ping", "uses": "telegram.send_message", "with": {"chat_id": "42", "text": "done"}},
    ],
}


@pytest.fixture
def leak_app(home: Path) -> App:
    settings = make_settings(home)
    settings.ensure_dirs()
    configure_logging(settings)
    app = build_app(settings, secret_backend=MemoryKeyring()).start()
    app.flags.set(FlagName.CONNECTORS_V2_ENABLED, True)
    app.connectors.transport = httpx.MockTransport(vendors)
    assert app.actor is not None
    app.connectors.save_account(app.actor, "slack", "default", {"bot_token": SLACK})
    app.connectors.save_account(app.actor, "telegram", "default", {"bot_token": TELEGRAM})
    app.connectors.save_account(app.actor, "notion", "default", {"api_token": NOTION})
    return app


def test_no_secret_in_database_logs_or_outputs(leak_app: App) -> None:
    app = leak_app
    assert app.actor is not None
    app.start_background()
    try:
        job = app.jobs.enqueue(app.actor, document=WORKFLOW, max_attempts=1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            record = app.jobs.get(app.actor, job.id)
            if record.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED):
                break
            time.sleep(0.05)
        record = app.jobs.get(app.actor, job.id)
    finally:
        app.close()
        reset_logging()

    # The run really happened: two steps succeeded, the Telegram step failed on its 401.
    assert record.status == JobStatus.FAILED
    by_step = {s.step_id: s for s in record.steps}
    assert by_step["search"].status == "succeeded"
    assert by_step["post"].status == "succeeded"
    assert by_step["ping"].status == "failed"
    assert "Unauthorized" in (by_step["ping"].error or "")
    # The vendor echoed the token in its error; what was stored is the redacted form.
    assert "[redacted]" in (by_step["ping"].error or "")

    stored = json.dumps(
        {"error": record.error, "steps": [(s.output, s.error) for s in record.steps]}, default=str
    )
    files = [p for p in app.settings.data_dir.rglob("*") if p.is_file()]
    files += [p for p in app.settings.log_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files), "the run wrote no log files"
    assert (app.settings.log_dir / "queue.log").stat().st_size > 0
    for secret in SECRETS:
        assert secret not in stored
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"{secret[:8]}… found in {path}"
