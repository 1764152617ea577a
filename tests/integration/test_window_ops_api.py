"""The window serves the ops API on loopback only when the setting asks for it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from levqor_desktop.__main__ import _build_app
from levqor_desktop.core.logging import reset_logging
from levqor_desktop.core.opsapi.server import OpsServer


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEVQOR_HOME", str(tmp_path / "home"))
    for var in ("DATABASE_URL", "PG_ENABLED", "NEW_QUEUE_ENABLED", "CANARY_MODE"):
        monkeypatch.delenv(var, raising=False)


def test_off_by_default() -> None:
    app = _build_app()
    try:
        assert not any(isinstance(s, OpsServer) for s in app.background)
    finally:
        app.close()
        reset_logging()


def test_on_serves_health_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEVQOR_OPS_API", "1")
    monkeypatch.setenv("LEVQOR_OPS_API_PORT", "0")
    app = _build_app()
    try:
        servers = [s for s in app.background if isinstance(s, OpsServer)]
        assert len(servers) == 1
        app.start_background()
        url = servers[0].url
        assert url is not None
        assert url.startswith("http://127.0.0.1:")
        reply = httpx.get(f"{url}/ops/health", timeout=10)
        assert reply.status_code == 200
        assert reply.json()["database"]["reachable"] is True
    finally:
        app.close()
        reset_logging()
