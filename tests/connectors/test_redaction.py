"""redact(): known secrets, token shapes, auth headers, PEM blocks, hashed e-mails."""

from __future__ import annotations

import hashlib

import pytest

from connectors.redaction import REDACTED, hash_email, redact


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxp-12345678-abcdefgh",
        "ghp_" + "a1B2" * 9,
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "rk_live_" + "abcdefghij123456",
        "sk-proj-abcdefghijklmnopqrstuvwx",
        "AKIAIOSFODNN7EXAMPLE",
        "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
    ],
)
def test_token_shapes(secret: str) -> None:
    out = redact(f"failed with {secret} here")
    assert secret not in out and out == f"failed with {REDACTED} here"


def test_telegram_token_inside_a_url_path() -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
    assert redact(f"POST /bot{token}/sendMessage") == f"POST /bot{REDACTED}/sendMessage"


def test_known_secrets_also_url_encoded() -> None:
    out = redact("pw=p@ss/word! and p%40ss%2Fword%21", ["p@ss/word!"])
    assert "p@ss" not in out and "p%40ss" not in out


def test_short_secrets_are_ignored_to_keep_text_readable() -> None:
    assert redact("a b c", ["a", ""]) == "a b c"


def test_headers_and_key_values() -> None:
    out = redact(
        "Authorization: Bearer abc.def.ghi Proxy-Authorization: Basic dXNlcjpwYXNz "
        'url?access_token=tok123&x=1 {"password": "hunter2", "client_secret": "s"}'
    )
    for leaked in ("abc.def.ghi", "dXNlcjpwYXNz", "tok123", "hunter2"):
        assert leaked not in out
    assert "Authorization: Bearer [redacted]" in out and "x=1" in out


def test_ordinary_words_after_basic_and_bearer_survive() -> None:
    text = "Basic authentication failed; Bearer token required"
    assert redact(text) == text


def test_pem_blocks() -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----"
    assert redact(f"key: {pem} done") == f"key: {REDACTED} done"


def test_emails_become_stable_hashes() -> None:
    digest = hashlib.sha256(b"ada@example.com").hexdigest()[:12]
    assert redact("to Ada@Example.com.") == f"to email:{digest}."
    assert hash_email(" ADA@example.com ") == f"email:{digest}"
    assert redact("") == ""
