"""Opt-in error reporting: the real envelopes sentry-sdk sends, caught by a local server.

A threaded ``http.server`` stands in for Sentry. The reports come from real raised
exceptions (logged with ``log.exception`` and captured, and one uncaught in a worker
thread of a fresh process) that carry a keyring secret, a
Slack token, a bearer token, an e-mail and a job's inputs in their message, their local
variables, the scope (user, tags, extra, context) and the breadcrumbs. None of them may
appear anywhere in what arrives; with reporting off nothing arrives at all.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sentry_sdk

from levqor_desktop.app import App
from levqor_desktop.cli.main import main
from levqor_desktop.core.errorreports import DSN_KEY, scrub_text
from levqor_desktop.core.logging import reset_logging
from levqor_desktop.errors import ConfigError
from tests.helpers.sentry_server import SentryStandIn, running_sentry

SECRET = "Zq7-keyring-Secret-4411"
SLACK_TOKEN = "xoxb-20240611-PlantedSlackToken99"
BEARER = "eyJplantedBearerToken.Q29kZXg.sig42"
EMAIL = "night.operator@example.org"
JOB_INPUTS = {"customer": "Acme Hidden Merger Plan", "region": "Zeta-North-7"}
PLANTED = (SECRET, SLACK_TOKEN, BEARER, EMAIL, *JOB_INPUTS.values())

log = logging.getLogger("levqor_desktop.tests.reporting")


@pytest.fixture
def sentry() -> Iterator[SentryStandIn]:
    with running_sentry() as server:
        yield server
    # The scope is process-wide: leave no planted user, tags or context to later tests.
    sentry_sdk.get_isolation_scope().clear()
    sentry_sdk.get_current_scope().clear()


def _charge_customer(inputs: dict[str, str], token: str) -> None:
    headers = {"Authorization": f"Bearer {BEARER}", "X-Customer": inputs["customer"]}
    log.info("calling the billing API for %s with %r (%s)", EMAIL, inputs, headers)
    raise RuntimeError(
        f"billing refused {EMAIL}: Authorization: Bearer {BEARER} token={token} "
        f"inputs={json.dumps(inputs)} key {SECRET} customer {inputs['customer']!r}"
    )


def _plant_scope() -> None:
    sentry_sdk.set_user({"email": EMAIL, "username": JOB_INPUTS["customer"]})
    sentry_sdk.set_tag("customer", JOB_INPUTS["customer"])
    sentry_sdk.set_extra("inputs", JOB_INPUTS)
    sentry_sdk.set_context("job", {"inputs": JOB_INPUTS, "output": {"paid_by": EMAIL}})


def _fail_a_job(marker: str) -> None:
    """Raise a real exception with planted values everywhere and log it as the app does."""
    _plant_scope()
    inputs = dict(JOB_INPUTS)
    try:
        _charge_customer(inputs, SLACK_TOKEN)
    except RuntimeError:
        log.exception("job %s failed for %s with inputs %r", marker, EMAIL, inputs)


def _assert_clean(event: dict[str, Any]) -> None:
    raw: bytes = event["_raw"]
    for value in PLANTED:
        for form in {value, quote(value, safe=""), json.dumps(value)[1:-1]}:
            assert form.encode() not in raw, f"{value!r} left the machine"
    assert EMAIL.split("@")[0].encode() not in raw


def test_off_by_default_nothing_is_sent(app: App, sentry: SentryStandIn) -> None:
    reporting = app.error_reporting
    assert not reporting.enabled
    assert not reporting.status().enabled
    assert reporting.start() is False
    assert not sentry_sdk.get_client().is_active()
    _fail_a_job("while-off")

    # On: the test report arrives (and nothing from before it).
    reporting.enable(sentry.dsn)
    reporting.send_test()
    first = sentry.next_event()
    # Off again: the DSN leaves the keyring and the client stops.
    reporting.disable()
    assert not reporting.status().enabled
    assert app.secrets.get(DSN_KEY) is None
    assert not sentry_sdk.get_client().is_active()
    _fail_a_job("after-disable")

    reporting.enable(sentry.dsn)
    reporting.send_test()
    second = sentry.next_event()
    reporting.stop()
    bodies = first["_raw"] + second["_raw"] + b"".join(r.body for r in sentry.drain())
    assert b"while-off" not in bodies
    assert b"after-disable" not in bodies
    for event in (first, second):
        assert event["exception"]["values"][-1]["type"] == "ReportCheck"


def test_envelopes_carry_no_secret_token_email_or_inputs(
    app: App, sentry: SentryStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    # An earlier CLI test in this process may have left its file logging installed.
    reset_logging()
    caplog.set_level(logging.INFO, logger=log.name)  # as configure_logging does: crumbs
    # A connector secret read from the keyring is registered for redaction, as in use.
    app.secrets.set("connector:billing:default:api_key", SECRET)
    status = app.error_reporting.enable(sentry.dsn)
    assert status.enabled
    assert status.active
    assert status.destination == sentry.dsn.replace("publickey4242@", "")

    _fail_a_job("planted")
    app.error_reporting.flush()
    # Other error logs of the app (a background service's) may arrive as message events
    # too: each must be as clean, but the raised exception is what we look at.
    received: list[dict[str, Any]] = []
    while not any("exception" in e for e in received) and len(received) < 10:
        received.append(sentry.next_event())
    app.error_reporting.stop()
    for other in received:
        _assert_clean(other)
    logged = next(e for e in received if "exception" in e)
    exc = logged["exception"]["values"][-1]
    assert exc["mechanism"]["type"] == "logging"
    assert exc["type"] == "RuntimeError"
    frames = exc["stacktrace"]["frames"]
    assert frames[-1]["function"] == "_charge_customer"
    assert all("vars" not in f for f in frames)
    for dropped in ("user", "tags", "extra", "request", "server_name"):
        assert dropped not in logged
    assert set(logged.get("contexts", {})) <= {"os", "runtime"}
    assert "billing refused" in exc["value"]
    assert "job planted failed" in logged["logentry"]["message"]
    crumbs = logged["breadcrumbs"]["values"]
    assert any("calling the billing API" in c.get("message", "") for c in crumbs)


def test_a_thread_crash_is_reported_without_a_secret_token_email_or_inputs(
    sentry: SentryStandIn, tmp_path: Path
) -> None:
    """An exception nobody catches, in a worker thread of a fresh process (see the
    helper): the threading integration reports it, and none of the planted values
    leaves, in the message, the frames or anywhere else in the envelope."""
    planted = {
        "dsn": sentry.dsn,
        "home": str(tmp_path / "home"),
        "secret": SECRET,
        "token": SLACK_TOKEN,
        "bearer": BEARER,
        "email": EMAIL,
        "inputs": JOB_INPUTS,
    }
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    for name in ("LEVQOR_HOME", "LEVQOR_KEYRING", "DATABASE_URL", "LEVQOR_PROFILE"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.helpers.sentry_thread_crash"],
        input=json.dumps(planted),
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "crashed", done.stderr
    # The uncaught exception went to the process's own stderr too (it never leaves).
    assert "RuntimeError: billing refused" in done.stderr

    received: list[dict[str, Any]] = []
    while not any("exception" in e for e in received) and len(received) < 10:
        received.append(sentry.next_event())
    for event in received:
        _assert_clean(event)
    crashed = next(e for e in received if "exception" in e)
    exc = crashed["exception"]["values"][-1]
    assert exc["mechanism"]["type"] == "threading"
    assert exc["mechanism"]["handled"] is False
    assert exc["type"] == "RuntimeError"
    assert "billing refused" in exc["value"]
    frames = exc["stacktrace"]["frames"]
    assert frames[-1]["function"] == "_charge_customer"
    assert all("vars" not in f for f in frames)
    for dropped in ("user", "tags", "extra", "request", "server_name"):
        assert dropped not in crashed
    assert set(crashed.get("contexts", {})) <= {"os", "runtime"}


def test_a_bad_dsn_is_refused_and_nothing_is_stored(app: App) -> None:
    with pytest.raises(ConfigError, match="not a Sentry DSN"):
        app.error_reporting.enable("https://no-project-here")
    assert app.secrets.get(DSN_KEY) is None
    assert not app.error_reporting.enabled


def test_scrub_text_drops_quoted_values_and_keeps_words() -> None:
    text = scrub_text('can\'t parse \'Acme Plan\' for ops@example.org: {"region": "north"}')
    assert text.startswith("can't parse [redacted] for email:")
    assert "Acme" not in text
    assert "north" not in text


def test_cli_enable_status_send_test_disable(
    sentry: SentryStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    # The opt-in encrypted file keyring: a real keyring backend with no D-Bus needed.
    home = tmp_path / "home"
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    monkeypatch.setenv("LEVQOR_KEYRING", "file")
    monkeypatch.setenv("LEVQOR_KEYRING_PASSWORD", "test-keyring-password")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    destination = sentry.dsn.replace("publickey4242@", "")

    assert main(["error-reporting", "status"]) == 0
    assert capsys.readouterr().out == "error reporting: off\n"
    assert main(["error-reporting", "send-test"]) == 1
    assert "error reporting is off" in capsys.readouterr().err

    # The DSN from stdin (kept out of the shell history).
    monkeypatch.setattr("sys.stdin", io.StringIO(sentry.dsn + "\n"))
    assert main(["error-reporting", "enable"]) == 0
    assert capsys.readouterr().out == f"error reporting: on, reports go to {destination}\n"
    assert main(["error-reporting", "send-test"]) == 0
    assert capsys.readouterr().out == "test report sent\n"
    assert sentry.next_event()["exception"]["values"][-1]["type"] == "ReportCheck"
    assert main(["error-reporting", "status", "--json"]) == 0
    shown = capsys.readouterr().out
    assert json.loads(shown) == {"enabled": True, "destination": destination, "active": False}
    assert "publickey4242" not in shown

    assert main(["error-reporting", "disable"]) == 0
    assert capsys.readouterr().out == "error reporting: off\n"
    assert json.loads((home / "config" / "error-reporting.json").read_text()) == {"enabled": False}
    assert main(["error-reporting", "enable", "not a dsn"]) == 1
    assert capsys.readouterr().err.startswith("levqor: error: not a Sentry DSN")
