"""Structured JSON logs: fields, routing, redaction of every token shape, rotation."""

from __future__ import annotations

import hashlib
import json
import logging
import logging.handlers
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from levqor_desktop.core.logging import (
    LogSetup,
    configure_logging,
    forget_secret,
    register_secret,
    reset_logging,
)
from levqor_desktop.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def logs(settings: Settings) -> Iterator[LogSetup]:
    setup = configure_logging(settings)
    try:
        yield setup
    finally:
        reset_logging()


def lines(path: Path) -> list[dict[str, object]]:
    for handler in logging.getLogger("levqor_desktop").handlers:
        handler.flush()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_json_fields_and_context(logs: LogSetup) -> None:
    logging.getLogger("levqor_desktop.core.workflows").warning(
        "step %s failed",
        "send",
        extra={
            "job_id": 42,
            "workflow": "nightly",
            "org": "acme",
            "connector": "slack",
            "attempt": 2,
        },
    )
    (entry,) = lines(logs.api_log)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "levqor_desktop.core.workflows"
    assert entry["message"] == "step send failed"
    assert entry["context"] == {
        "job_id": 42,
        "workflow": "nightly",
        "connector": "slack",
        "org": "acme",
        "attempt": 2,
    }
    ts = str(entry["timestamp"])
    assert ts.endswith("Z") and "T" in ts
    assert list(entry)[:4] == ["timestamp", "level", "logger", "message"]


def test_routing_api_and_queue(logs: LogSetup) -> None:
    logging.getLogger("levqor.api").info("GET /health")
    logging.getLogger("levqor_desktop.cli").info("cli ran")
    logging.getLogger("levqor.queue.worker").info("worker up")
    logging.getLogger("levqor_desktop.core.jobs.pool").info("job claimed", extra={"job_id": 7})
    assert [e["message"] for e in lines(logs.api_log)] == ["GET /health", "cli ran"]
    assert [e["message"] for e in lines(logs.queue_log)] == ["worker up", "job claimed"]


def test_level_from_settings(home: Path) -> None:
    configure_logging(make_settings(home, LEVQOR_LOG_LEVEL="warning"))
    try:
        logging.getLogger("levqor_desktop.x").info("hidden")
        logging.getLogger("levqor_desktop.x").warning("shown")
        assert [e["message"] for e in lines(home / "logs" / "api.log")] == ["shown"]
    finally:
        reset_logging()


def test_configure_is_idempotent(settings: Settings, logs: LogSetup) -> None:
    assert configure_logging(settings) is logs
    logging.getLogger("levqor_desktop").info("once")
    assert len(lines(logs.api_log)) == 1


TOKENS = {
    "slack bot": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "slack user": "xoxp-123456789012-1234567890123-AbCdEfGhIjKl",
    "github classic": "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2,
    "github fine-grained": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv",
    "stripe live": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "stripe test": "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "openai": "sk-proj-" + "Ab3dEf6hIj9lMn2pQr5tUv8x",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
}


@pytest.mark.parametrize("kind", list(TOKENS))
def test_token_shapes_are_redacted(logs: LogSetup, kind: str) -> None:
    token = TOKENS[kind]
    logging.getLogger("levqor_desktop.x").error("call failed with %s here", token)
    text = logs.api_log.read_text()
    assert token not in text
    assert token.splitlines()[-1] not in text
    assert "[redacted]" in text


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123",
        "authorization=Basic dXNlcjpwYXNzd29yZA==",
        "X-API-Key: lvq_7fa9c2e81b",
        '{"x-api-key": "lvq_7fa9c2e81b"}',
        "https://api.example.com/v1?api_key=lvq_7fa9c2e81b",
    ],
)
def test_authorization_and_api_key_headers(logs: LogSetup, line: str) -> None:
    logging.getLogger("levqor.api").info("request %s", line)
    message = str(lines(logs.api_log)[0]["message"])
    for secret in ("abcdefghijklmnopqrstuvwxyz0123", "dXNlcjpwYXNzd29yZA", "lvq_7fa9c2e81b"):
        assert secret not in message
    assert "[redacted]" in message


def test_headers_passed_as_context_are_redacted(logs: LogSetup) -> None:
    logging.getLogger("levqor_desktop.x").info(
        "sent",
        extra={"headers": {"Authorization": "token abc", "X-API-Key": "k1k2k3", "Accept": "a/b"}},
    )
    context = lines(logs.api_log)[0]["context"]
    assert context == {
        "headers": {"Authorization": "[redacted]", "X-API-Key": "[redacted]", "Accept": "a/b"}
    }


def test_registered_secret_is_redacted_everywhere(logs: LogSetup) -> None:
    secret = "correct-horse-battery-staple"
    register_secret(secret)
    try:
        log = logging.getLogger("levqor_desktop.core.jobs")
        try:
            raise ValueError(f"bad password {secret}")
        except ValueError:
            log.exception("job failed using %s", secret, extra={"job_id": 1, "note": secret})
        text = logs.queue_log.read_text()
        assert secret not in text
        (entry,) = lines(logs.queue_log)
        assert entry["message"] == "job failed using [redacted]"
        assert entry["context"] == {"job_id": 1, "note": "[redacted]"}
        assert "ValueError: bad password [redacted]" in str(entry["exception"])
    finally:
        forget_secret(secret)


def test_email_addresses_appear_only_hashed(logs: LogSetup) -> None:
    logging.getLogger("levqor_desktop.x").info("invited Jane.Doe@Example.com", extra={"org": "a"})
    text = logs.api_log.read_text()
    assert "Jane.Doe@Example.com".lower() not in text.lower()
    digest = hashlib.sha256(b"jane.doe@example.com").hexdigest()
    assert digest[:12] in text


def test_rotation_at_midnight_utc_keeps_thirty(
    logs: LogSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = 86_400
    start = 1_800_000_000 - 1_800_000_000 % day + day - 10  # ten seconds before midnight UTC
    now = {"t": float(start)}
    fake_time = SimpleNamespace(
        time=lambda: now["t"],
        gmtime=time.gmtime,
        localtime=time.localtime,
        strftime=time.strftime,
        mktime=time.mktime,
    )
    monkeypatch.setattr(logging.handlers, "time", fake_time)
    # Thirty-five old files already lying there.
    for n in range(1, 36):
        old = time.strftime("%Y-%m-%d", time.gmtime(start - n * day))
        (logs.log_dir / f"api.log.{old}").write_text("{}\n")
    handler = logs.handlers[0]
    assert isinstance(handler, logging.handlers.TimedRotatingFileHandler)
    handler.rolloverAt = handler.computeRollover(int(now["t"]))
    log = logging.getLogger("levqor_desktop.x")
    log.info("before midnight")
    now["t"] = start + 20.0  # ten seconds after midnight
    log.info("after midnight")
    before = time.strftime("%Y-%m-%d", time.gmtime(start))
    rotated = logs.log_dir / f"api.log.{before}"
    assert [json.loads(x)["message"] for x in rotated.read_text().splitlines()] == [
        "before midnight"
    ]
    assert [e["message"] for e in lines(logs.api_log)] == ["after midnight"]
    kept = sorted(p.name for p in logs.log_dir.glob("api.log.*"))
    assert len(kept) == 30
    assert kept[-1] == rotated.name


def test_a_secret_stored_through_the_keyring_is_redacted(home: Path) -> None:
    from levqor_desktop.app import build_app
    from tests.helpers.memory_keyring import MemoryKeyring

    settings = make_settings(home)
    setup = configure_logging(settings)
    app = build_app(settings, secret_backend=MemoryKeyring())
    secret = "nOtAtOkEnShApE-7731"  # matches no token pattern: only registration hides it
    try:
        app.secrets.set("connector:slack:default", secret)
        logging.getLogger("levqor_desktop.core.jobs").warning("sent with %s", secret)
        text = setup.queue_log.read_text()
        assert secret not in text
        assert "sent with [redacted]" in text
    finally:
        forget_secret(secret)
        app.close()
        reset_logging()
