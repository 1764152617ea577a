"""Connector accounts: secrets only in the keyring, checks remembered, flag gating, calls."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.integrations.service import secret_key
from levqor_desktop.core.models import Role
from levqor_desktop.core.workflows.actions import RunContext, StepFailed
from levqor_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from tests.helpers.memory_keyring import MemoryKeyring

TOKEN = "xoxb-1111-2222-abcdefghijklmnop"


def slack_transport(calls: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(200, json={"ok": False, "error": "invalid_auth"})
        if request.url.path == "/api/auth.test":
            return httpx.Response(
                200, json={"ok": True, "user": "levqor", "team": "Acme", "user_id": "U1"}
            )
        if request.url.path == "/api/chat.postMessage":
            body = json.loads(request.content)
            return httpx.Response(
                200, json={"ok": True, "channel": body["channel"], "ts": "1.2", "message": {}}
            )
        return httpx.Response(404)

    return httpx.MockTransport(handler)


def test_secret_goes_to_the_keyring_only(app: App, keyring_backend: MemoryKeyring) -> None:
    assert app.actor is not None
    info = app.connectors.save_account(app.actor, "slack", "default", {"bot_token": TOKEN})
    assert info.secret_fields == ["bot_token"]
    assert info.settings == {}
    key = secret_key(app.actor.org_id, "slack", "default", "bot_token")
    assert keyring_backend.store[("levqor-desktop", key)] == TOKEN
    app.db.dispose()
    raw = app.settings.sqlite_path.read_bytes()
    for suffix in ("-wal", "-shm"):
        wal = app.settings.sqlite_path.with_name(app.settings.sqlite_path.name + suffix)
        if wal.exists():
            raw += wal.read_bytes()
    assert TOKEN.encode() not in raw


def test_check_is_remembered_and_failures_stand_out(app: App) -> None:
    calls: list[httpx.Request] = []
    app.connectors.transport = slack_transport(calls)
    assert app.actor is not None
    app.connectors.save_account(app.actor, "slack", "default", {"bot_token": TOKEN})
    result = app.connectors.check(app.actor, "slack")
    assert result.ok, result.detail
    assert "levqor" in result.detail
    app.connectors.save_account(app.actor, "slack", "old", {"bot_token": "xoxb-wrong-token-000"})
    bad = app.connectors.check(app.actor, "slack", "old")
    assert not bad.ok
    assert "xoxb-wrong-token-000" not in bad.detail
    card = next(c for c in app.connectors.board(app.actor) if c.name == "slack")
    assert {a.label: a.last_check_ok for a in card.accounts} == {"default": True, "old": False}
    assert card.failing
    assert card.calls_today == 2
    assert card.errors_today == 1


def test_replacing_keeps_secret_when_left_out_and_remove_deletes(
    app: App, keyring_backend: MemoryKeyring
) -> None:
    assert app.actor is not None
    app.connectors.save_account(
        app.actor,
        "email",
        "ops",
        {
            "host": "smtp.example.com",
            "port": "587",
            "username": "ops",
            "password": "pw1",
            "from_address": "ops@example.com",
        },
    )
    updated = app.connectors.save_account(app.actor, "email", "ops", {"host": "smtp2.example.com"})
    assert updated.settings["host"] == "smtp2.example.com"
    assert "password" in updated.secret_fields
    key = secret_key(app.actor.org_id, "email", "ops", "password")
    assert keyring_backend.store[("levqor-desktop", key)] == "pw1"
    app.connectors.remove_account(app.actor, "email", "ops")
    assert ("levqor-desktop", key) not in keyring_backend.store
    assert app.connectors.accounts(app.actor, "email") == []
    with pytest.raises(NotFoundError):
        app.connectors.remove_account(app.actor, "email", "ops")


def test_bad_input_names_the_fault(app: App) -> None:
    assert app.actor is not None
    with pytest.raises(ValidationError, match="required field"):
        app.connectors.save_account(app.actor, "slack", "default", {})
    with pytest.raises(ValidationError, match="no credential field"):
        app.connectors.save_account(app.actor, "slack", "default", {"bot_tokn": TOKEN})
    with pytest.raises(ValidationError, match="account label"):
        app.connectors.save_account(app.actor, "slack", "../x", {"bot_token": TOKEN})
    with pytest.raises(NotFoundError, match="no connector named"):
        app.connectors.save_account(app.actor, "myspace", "default", {})


def test_extra_connectors_need_the_flag(app: App) -> None:
    assert app.actor is not None
    extra = [c for c in app.connectors.registry.all() if c.tier == "v2"]
    visible = {c.name for c in app.connectors.visible()}
    assert visible >= {"slack", "email", "ai"}
    assert not visible & {c.name for c in extra}
    if extra:
        with pytest.raises(ValidationError, match="CONNECTORS_V2_ENABLED"):
            app.connectors.connector_class(extra[0].name)
    app.flags.set(FlagName.CONNECTORS_V2_ENABLED, True)
    assert {c.name for c in app.connectors.visible()} == {
        c.name for c in app.connectors.registry.all()
    }


def test_viewer_may_not_store_credentials(app: App) -> None:
    assert app.actor is not None
    viewer = replace(app.actor, role=Role.VIEWER)
    with pytest.raises(PermissionDenied, match="admin"):
        app.connectors.save_account(viewer, "slack", "default", {"bot_token": TOKEN})
    with pytest.raises(PermissionDenied, match="operator"):
        app.connectors.check(viewer, "slack")


def test_connector_action_as_a_workflow_step(app: App) -> None:
    calls: list[httpx.Request] = []
    app.connectors.transport = slack_transport(calls)
    assert app.actor is not None
    app.connectors.save_account(app.actor, "slack", "default", {"bot_token": TOKEN})
    run = RunContext(step_id="post", test_run=True)
    out = app.actions.invoke("slack.post_message", {"channel": "C1", "text": "hi"}, run)
    assert out["channel"] == "C1"
    assert calls[-1].url.path == "/api/chat.postMessage"
    with pytest.raises(StepFailed, match="no Slack account named 'other'") as err:
        app.actions.invoke(
            "slack.post_message", {"channel": "C1", "text": "x", "account": "other"}, run
        )
    assert err.value.retryable is False
