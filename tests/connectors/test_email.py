"""E-mail against a REAL aiosmtpd server on 127.0.0.1: plain, STARTTLS, implicit TLS, AUTH."""

from __future__ import annotations

import base64
import email
import socket
from email.message import EmailMessage
from email.policy import default as default_policy

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.email import EmailConnector
from connectors.errors import AuthError, ConfigurationError, InvalidInput, Timeout, Unavailable
from tests.connectors.conftest import SMTP_PASSWORD, SMTP_USER, StartSMTP, TLSPair, free_port
from tests.connectors.harness import RecordingHooks

FROM = "Levqor Ops <ops@example.com>"


def _connector(
    port: int,
    security: str,
    tls: TLSPair | None = None,
    *,
    password: str | None = None,
    hooks: RecordingHooks | None = None,
    timeout: float = 10.0,
) -> EmailConnector:
    creds = {"host": "127.0.0.1", "port": str(port), "security": security, "from_address": FROM}
    if password is not None:
        creds.update(username=SMTP_USER, password=password)
    return EmailConnector(
        ConnectorContext(
            credentials=creds,
            ssl_context=tls.client if tls else None,
            hooks=hooks or RecordingHooks(),
            timeout=httpx.Timeout(timeout),
        )
    )


def _parsed(content: bytes | str | None) -> EmailMessage:
    assert content is not None
    raw = content if isinstance(content, bytes) else content.encode()
    return email.message_from_bytes(raw, policy=default_policy)


def test_plain_send_with_cc_bcc_html_and_attachment(smtp_server: StartSMTP) -> None:
    server = smtp_server("none")
    hooks = RecordingHooks()
    pdf = b"%PDF-1.4 fake"
    result = _connector(server.port, "none", hooks=hooks).run(
        "send_email",
        {
            "to": ["Ada <ada@example.com>"],
            "cc": ["bob@example.com"],
            "bcc": ["audit@example.com"],
            "subject": "Nightly report",
            "text": "See attached.",
            "html": "<p>See <b>attached</b>.</p>",
            "attachments": [
                {
                    "filename": "report.pdf",
                    "mime_type": "application/pdf",
                    "content_base64": base64.b64encode(pdf).decode(),
                }
            ],
        },
    )
    (envelope,) = server.mailbox.envelopes
    assert envelope.mail_from == "ops@example.com"
    assert envelope.rcpt_tos == ["ada@example.com", "bob@example.com", "audit@example.com"]
    assert result["accepted"] == envelope.rcpt_tos and result["refused"] == []
    msg = _parsed(envelope.content)
    assert msg["Subject"] == "Nightly report" and msg["Cc"] == "bob@example.com"
    assert msg["Bcc"] is None, "Bcc must not appear in the message"
    assert msg["Message-ID"] == result["message_id"]
    body = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert body is not None and body.get_content().strip() == "See attached."
    assert html is not None and "<b>attached</b>" in html.get_content()
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "report.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf
    (record,) = hooks.after
    assert record.outcome == "ok" and record.connector == "email"


def test_starttls_with_auth(smtp_server: StartSMTP, tls_pair: TLSPair) -> None:
    server = smtp_server("starttls", auth=True)
    mailer = _connector(server.port, "starttls", tls_pair, password=SMTP_PASSWORD)
    check = mailer.check()
    assert check.ok, check.detail
    assert "starttls, logged in" in check.detail
    mailer.run("send_email", {"to": ["ada@example.com"], "subject": "s", "text": "t"})
    assert len(server.mailbox.envelopes) == 1


def test_wrong_password_is_an_auth_error(smtp_server: StartSMTP, tls_pair: TLSPair) -> None:
    server = smtp_server("starttls", auth=True)
    mailer = _connector(server.port, "starttls", tls_pair, password="wrong-password")
    with pytest.raises(AuthError) as info:
        mailer.run("send_email", {"to": ["ada@example.com"], "subject": "s", "text": "t"})
    assert "wrong-password" not in str(info.value)
    check = mailer.check()
    assert not check.ok and check.error_kind == "auth"
    assert server.mailbox.envelopes == []


# aiosmtpd cannot see implicit TLS, so it warns that AUTH runs without TLS: it does not.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls(smtp_server: StartSMTP, tls_pair: TLSPair) -> None:
    server = smtp_server("ssl", auth=True)
    mailer = _connector(server.port, "ssl", tls_pair, password=SMTP_PASSWORD)
    assert mailer.check().ok
    mailer.run("send_email", {"to": ["ada@example.com"], "subject": "s", "html": "<p>x</p>"})
    assert len(server.mailbox.envelopes) == 1


def test_untrusted_certificate_is_refused(smtp_server: StartSMTP) -> None:
    server = smtp_server("starttls")
    check = _connector(server.port, "starttls").check()  # system CAs: self-signed refused
    assert not check.ok and check.error_kind == "unavailable" and "TLS" in check.detail


def test_starttls_configured_but_not_offered(smtp_server: StartSMTP) -> None:
    server = smtp_server("none")
    with pytest.raises(ConfigurationError, match="does not support"):
        _connector(server.port, "starttls").run(
            "send_email", {"to": ["a@example.com"], "subject": "s", "text": "t"}
        )


def test_refused_recipient(smtp_server: StartSMTP) -> None:
    server = smtp_server("none")
    server.mailbox.refuse.add("ghost@example.com")
    mailer = _connector(server.port, "none")
    with pytest.raises(InvalidInput, match="refused"):
        mailer.run("send_email", {"to": ["ghost@example.com"], "subject": "s", "text": "t"})
    partial = mailer.run(
        "send_email", {"to": ["ghost@example.com", "ada@example.com"], "subject": "s", "text": "t"}
    )
    assert partial["refused"] == ["ghost@example.com"]
    assert partial["accepted"] == ["ada@example.com"]


def test_bulk_reports_failures_and_continues(smtp_server: StartSMTP) -> None:
    server = smtp_server("none")
    server.mailbox.refuse.add("ghost@example.com")
    result = _connector(server.port, "none").run(
        "send_bulk",
        {
            "messages": [
                {"to": ["ada@example.com"], "subject": "1", "text": "a"},
                {"to": ["ghost@example.com"], "subject": "2", "text": "b"},
                {"to": ["bob@example.com"], "subject": "3", "text": "c"},
            ]
        },
    )
    assert len(result["sent"]) == 2
    assert [f["index"] for f in result["failed"]] == [1]
    assert "ghost@example.com" not in result["failed"][0]["error"]  # hashed by redaction
    assert [e.rcpt_tos for e in server.mailbox.envelopes] == [
        ["ada@example.com"],
        ["bob@example.com"],
    ]


def test_templated_fills_placeholders_and_escapes_html(smtp_server: StartSMTP) -> None:
    server = smtp_server("none")
    _connector(server.port, "none").run(
        "send_templated",
        {
            "subject": "Hello $name",
            "text": "Hi $name, your plan is $plan. ($missing stays)",
            "html": "<p>Hi $name</p>",
            "recipients": [
                {"to": "ada@example.com", "variables": {"name": "Ada", "plan": "pro"}},
                {"to": "bob@example.com", "variables": {"name": "<Bob>", "plan": "free"}},
            ],
        },
    )
    first, second = (_parsed(e.content) for e in server.mailbox.envelopes)
    assert first["Subject"] == "Hello Ada"
    text = first.get_body(("plain",))
    assert text is not None and "your plan is pro. ($missing stays)" in text.get_content()
    html = second.get_body(("html",))
    assert html is not None and "Hi &lt;Bob&gt;" in html.get_content()


def test_connection_refused_is_unavailable() -> None:
    hooks = RecordingHooks()
    with pytest.raises(Unavailable, match="could not talk"):
        _connector(free_port(), "none", hooks=hooks).run(
            "send_email", {"to": ["a@example.com"], "subject": "s", "text": "t"}
        )
    assert hooks.after[0].error_kind == "unavailable"


def test_silent_server_is_a_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        check = _connector(silent.getsockname()[1], "none", timeout=0.2).check()
    assert not check.ok and check.error_kind == Timeout.kind


@pytest.mark.parametrize(
    ("creds", "field"),
    [
        ({"security": "tls1"}, "security"),
        ({"port": "smtp"}, "port"),
        ({"username": "u"}, "username and password"),
        ({"from_address": "not an address"}, "from address"),
    ],
)
def test_bad_configuration(creds: dict[str, str], field: str) -> None:
    base = {"host": "h", "from_address": FROM, **creds}
    with pytest.raises(ConfigurationError, match=field):
        EmailConnector(ConnectorContext(credentials=base))


def test_invalid_inputs_name_the_field_path() -> None:
    mailer = EmailConnector(ConnectorContext(credentials={"host": "h", "from_address": FROM}))
    with pytest.raises(InvalidInput) as info:
        mailer.run(
            "send_email",
            {
                "to": ["nope"],
                "subject": "s",
                "text": "t",
                "attachments": [{"filename": "a", "content_base64": "%%"}],
            },
        )
    assert set(info.value.fields) == {"to.0", "attachments.0"}
