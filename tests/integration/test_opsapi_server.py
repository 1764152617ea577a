"""The ops API served for real: the window's BackgroundService, loopback only unless
allowed, and the ``levqor apikeys`` / ``levqor serve`` commands."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from levqor_desktop.app import App
from levqor_desktop.cli.main import main
from levqor_desktop.core.opsapi.server import OpsServer, build_ops_server
from levqor_desktop.errors import ConfigError


def test_background_service_serves_on_a_free_loopback_port(app: App) -> None:
    assert app.actor is not None
    key = app.api_keys.create(app.actor, name="window").key
    server = build_ops_server(app, port=0)
    server.start()
    port = server.port
    try:
        assert port and server.url == f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert client.get("/ops/health").json()["database"]["reachable"] is True
            assert client.get("/ops/queue_health").status_code == 401
            answer = client.get("/ops/queue_health", headers={"X-API-Key": key})
            assert answer.status_code == 200 and answer.json()["backend"] == "local"
    finally:
        server.stop()
    stopped: int | None = server.port
    assert stopped is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/ops/health", timeout=2)


def test_binding_beyond_loopback_needs_allow_remote(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ConfigError, match="not a loopback address"):
        build_ops_server(app, host="0.0.0.0", port=0)
    with caplog.at_level(logging.WARNING, logger="levqor.api"):
        OpsServer(lambda: None, host="0.0.0.0", port=0, allow_remote=True)  # type: ignore[arg-type,return-value]
    assert "reachable from other machines" in caplog.text


def test_apikeys_commands(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    assert main(["apikeys", "create", "--name", "ci", "--role", "viewer", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["key"].startswith(f"lvq_{created['prefix']}_") and created["role"] == "viewer"
    assert main(["apikeys", "list"]) == 0
    listing = capsys.readouterr().out
    assert created["prefix"] in listing and created["key"] not in listing
    assert main(["apikeys", "revoke", created["prefix"]]) == 0
    assert f"revoked API key {created['prefix']}" in capsys.readouterr().out
    assert main(["apikeys", "list", "--all", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["revoked_at"] is not None and "key" not in row
    assert main(["apikeys", "revoke", "nope"]) == 1
    assert "no API key 'nope'" in capsys.readouterr().err
    assert main(["apikeys", "create", "--name", " "]) == 1


def test_serve_refuses_a_remote_bind_without_the_flag(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    assert main(["serve", "--host", "0.0.0.0", "--port", "0", "--no-background"]) == 1
    assert "--allow-remote" in capsys.readouterr().err
    monkeypatch.setenv("LEVQOR_API_PORT", "eighty")
    assert main(["serve", "--no-background"]) == 1
    assert "LEVQOR_API_PORT" in capsys.readouterr().err


def test_canary_command_exits_3_when_marginal_and_keeps_history(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    # A fresh installation: no worker has ever run, so the queue check warns.
    assert main(["canary", "--json"]) == 3
    run = json.loads(capsys.readouterr().out)
    assert run["verdict"] == "marginal" and run["trigger"] == "cli"
    queue = next(c for c in run["checks"] if c["name"] == "queue")
    assert queue["status"] == "warn" and queue["advice"]
    assert main(["canary", "--history", "5"]) == 0
    assert "marginal" in capsys.readouterr().out
    assert main(["canary", "ftp://nowhere"]) == 1
    assert "is not a deployment URL" in capsys.readouterr().err
    assert main(["canary", "--deployment", "ops-1"]) == 1
    assert "no saved deployment named 'ops-1'" in capsys.readouterr().err
