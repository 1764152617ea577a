"""Incident windows from the command line's words, and the redaction of an event."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from connectors.redaction import hash_email, redact
from levqor_desktop.core.incidents import EventKind, IncidentEvent, Window, parse_duration
from levqor_desktop.core.incidents.redaction import Redactor
from levqor_desktop.core.incidents.window import parse_moment, window_from
from levqor_desktop.core.logging import forget_secret, redact_text, register_secret
from levqor_desktop.errors import ValidationError

NOW = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("90s", dt.timedelta(seconds=90)),
        ("30m", dt.timedelta(minutes=30)),
        ("2h", dt.timedelta(hours=2)),
        ("1.5d", dt.timedelta(hours=36)),
        ("1W", dt.timedelta(weeks=1)),
    ],
)
def test_durations(text: str, span: dt.timedelta) -> None:
    assert parse_duration(text) == span


@pytest.mark.parametrize("text", ["", "2", "h", "2 hours", "-1h", "0m"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_duration(text)


def test_moments_are_durations_ago_or_iso_times_in_utc() -> None:
    assert parse_moment("2h", NOW) == NOW - dt.timedelta(hours=2)
    assert parse_moment("2026-12-07T09:00", NOW) == dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
    assert parse_moment("2026-12-07T10:00+01:00", NOW) == dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
    assert parse_moment("2026-12-07T09:00Z", NOW).tzinfo is not None
    with pytest.raises(ValidationError, match="neither a duration nor a time"):
        parse_moment("yesterday", NOW)


def test_windows_are_labelled_and_must_not_run_backwards() -> None:
    assert Window.last(dt.timedelta(hours=1), NOW).label == "the last hour"
    assert Window.last(dt.timedelta(hours=6), NOW).label == "the last 6 hours"
    w = window_from("3h", "1h", NOW)
    assert (w.since, w.until, w.label) == (
        NOW - dt.timedelta(hours=3),
        NOW - dt.timedelta(hours=1),
        "since 3h until 1h",
    )
    with pytest.raises(ValidationError, match="before it starts"):
        window_from("1h", "3h", NOW)
    with pytest.raises(ValidationError, match="time zone"):
        Window(NOW.replace(tzinfo=None), NOW)


def test_an_event_loses_known_secrets_tokens_and_addresses() -> None:
    secret = "NeverRegisteredAnywhere42"  # known only from the keyring read at export
    event = IncidentEvent(
        EventKind.JOB_FAILED,
        NOW,
        f"call failed for Bob@Example.com: bad key {secret}",
        {
            "error": "GET /x?token=t0k3nValue Authorization: Bearer abcdefghijklmnopqrstuvwxyz",
            "url": f"https://h/?state={secret}",
            "nested": [{"password": "hunter2", "who": "bob@example.com"}],
            "bob@example.com": 1,
            "count": 3,
        },
    )
    clean = Redactor([secret]).event(event)
    text = repr(clean)
    for planted in (secret, "t0k3nValue", "abcdefghijklmnop", "hunter2"):
        assert planted not in text
    assert "example.com" not in text.lower()
    assert clean.summary == f"call failed for {hash_email('bob@example.com')}: bad key [redacted]"
    assert clean.details["nested"] == [
        {"password": "[redacted]", "who": hash_email("bob@example.com")}
    ]
    assert clean.details[hash_email("bob@example.com")] == 1 and clean.details["count"] == 3


def test_one_pass_removes_what_the_former_two_passes_removed() -> None:
    """The export redacts each text once (connector and registered secrets together);
    on planted texts it gives what ``redact_text(redact(text, known))`` gave."""
    connector = "Connector/Secret+Value9"
    registered = "RegisteredSecretValue77"
    register_secret(registered)
    try:
        redactor = Redactor([connector])
        texts = [
            f"slack said invalid_auth with {connector} and {quote(connector, safe='')}",
            f"X-API-Key: {registered}; api-key={connector}",
            f'{{"token": "{registered}", "who": "Ann@Example.org"}}',
            f"Authorization: Bearer {connector} sk-abcdefghijklmnop1234 ghp_{'a' * 24}",
            f"{registered}{connector} password=pw123456 -----BEGIN KEY----- x -----END KEY-----",
            "nothing secret here: job 42 failed at step 'post'",
        ]
        for text in texts:
            once = redactor.text(text)
            assert once == redact_text(redact(text, [connector])), text
            for planted in (connector, quote(connector, safe=""), registered, "Ann@"):
                assert planted not in once
    finally:
        forget_secret(registered)
