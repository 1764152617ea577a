"""E-mail over SMTP (smtplib): STARTTLS, implicit TLS or plain, with optional AUTH.

No HTTP here: SMTP failures are mapped by :data:`SMTP_ERRORS`-style rules in
:func:`_map_smtp_error` to the shared error classes. The core may inject an
``ssl.SSLContext`` through the context (tests trust a self-signed certificate that
way); otherwise the system's trusted CAs are used and certificates are verified.
"""

from __future__ import annotations

import base64
import binascii
import html
import smtplib
import ssl
import string
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import (
    AuthError,
    ConfigurationError,
    ConnectorError,
    InvalidInput,
    Timeout,
    Unavailable,
)
from connectors.redaction import redact

__all__ = ["EmailConnector"]


def _address(value: str) -> str:
    _, addr = parseaddr(value)
    if "@" not in addr or " " in addr or addr.startswith("@") or addr.endswith("@"):
        raise ValueError("not an e-mail address")
    return value


Address = Annotated[str, AfterValidator(_address)]


class Attachment(BaseModel):
    filename: str = Field(min_length=1)
    content_base64: str
    mime_type: str = Field("application/octet-stream", pattern=r"^[\w.+-]+/[\w.+-]+$")

    def data(self) -> bytes:
        try:
            return base64.b64decode(self.content_base64, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"attachment {self.filename!r} is not valid base64") from exc

    @model_validator(mode="after")
    def _decodes(self) -> Attachment:
        self.data()
        return self


class SendEmailInput(BaseModel):
    to: list[Address] = Field(min_length=1)
    cc: list[Address] = []
    bcc: list[Address] = []
    subject: str
    text: str | None = Field(None, description="Plain-text body")
    html: str | None = Field(None, description="HTML body (sent as an alternative)")
    reply_to: Address | None = None
    attachments: list[Attachment] = []

    @model_validator(mode="after")
    def _has_body(self) -> SendEmailInput:
        if self.text is None and self.html is None:
            raise ValueError("give a text or an html body")
        return self


class SendBulkInput(BaseModel):
    messages: list[SendEmailInput] = Field(min_length=1, max_length=1000)
    stop_on_error: bool = False


class TemplateRecipient(BaseModel):
    to: Address
    variables: dict[str, str] = {}


class SendTemplatedInput(BaseModel):
    subject: str = Field(description="May use $name placeholders")
    text: str | None = Field(None, description="May use $name placeholders")
    html: str | None = Field(None, description="May use $name placeholders (values are escaped)")
    recipients: list[TemplateRecipient] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _has_body(self) -> SendTemplatedInput:
        if self.text is None and self.html is None:
            raise ValueError("give a text or an html body template")
        return self


def _map_smtp_error(exc: Exception, connector: str) -> ConnectorError:
    """ONE place that turns smtplib/socket failures into ConnectorErrors."""
    text = redact(str(exc))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return AuthError(f"the SMTP server rejected the login: {text}", connector=connector)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return InvalidInput(f"every recipient was refused: {text}", connector=connector)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return InvalidInput(f"the sender address was refused: {text}", connector=connector)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ConfigurationError(f"the server does not support this: {text}", connector=connector)
    if isinstance(exc, smtplib.SMTPResponseException):
        cls = InvalidInput if 500 <= exc.smtp_code < 600 else Unavailable
        return cls(f"the SMTP server refused the message: {text}", connector=connector)
    # smtplib turns a read timeout into SMTPServerDisconnected; the cause tells them apart.
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return Timeout("the SMTP server did not answer in time", connector=connector)
    if isinstance(exc, ssl.SSLError):
        return Unavailable(f"TLS with the SMTP server failed: {text}", connector=connector)
    return Unavailable(f"could not talk to the SMTP server: {text}", connector=connector)


class EmailConnector(Connector):
    name = "email"
    title = "E-mail (SMTP)"
    category = "Messaging"
    description = "Send e-mail through any SMTP server, with attachments and mail merge."
    docs_url = "https://www.rfc-editor.org/rfc/rfc5321"
    credentials_url = "https://support.google.com/accounts/answer/185833"
    auth_kind = AuthKind.SMTP
    tier = "core"
    credential_fields = (
        CredentialField("host", "SMTP host", secret=False, placeholder="smtp.example.com"),
        CredentialField("port", "Port", secret=False, default="587"),
        CredentialField(
            "security",
            "Security",
            secret=False,
            default="starttls",
            help="starttls (port 587), ssl (port 465) or none (local relays only)",
        ),
        CredentialField("username", "Username", secret=False, required=False),
        CredentialField(
            "password",
            "Password",
            secret=True,
            required=False,
            help="An app password where the provider offers one",
        ),
        CredentialField(
            "from_address", "From address", secret=False, placeholder="Ops <ops@example.com>"
        ),
    )

    def validate_credentials(self) -> None:
        if self.credential("security") not in ("starttls", "ssl", "none"):
            raise ConfigurationError(
                "security must be one of starttls, ssl, none", connector=self.name
            )
        if not self.credential("port").isdigit():
            raise ConfigurationError("port must be a number", connector=self.name)
        if bool(self.credential("username")) != bool(self.credential("password")):
            raise ConfigurationError(
                "give both username and password, or neither", connector=self.name
            )
        try:
            _address(self.credential("from_address"))
        except ValueError:
            raise ConfigurationError(
                "the from address is not an e-mail address", connector=self.name
            ) from None

    @property
    def _security(self) -> Literal["starttls", "ssl", "none"]:
        value = self.credential("security")
        return "ssl" if value == "ssl" else "none" if value == "none" else "starttls"

    def _tls(self) -> ssl.SSLContext:
        return self.ctx.ssl_context or ssl.create_default_context()

    @contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        host, port = self.credential("host"), int(self.credential("port"))
        timeout = self.ctx.timeout.read or 30.0
        try:
            smtp: smtplib.SMTP
            if self._security == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=self._tls())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            with smtp:
                smtp.ehlo()
                if self._security == "starttls":
                    smtp.starttls(context=self._tls())
                    smtp.ehlo()
                if self.credential("username"):
                    smtp.login(self.credential("username"), self.credential("password"))
                yield smtp
        except (smtplib.SMTPException, OSError) as exc:
            raise _map_smtp_error(exc, self.name) from exc

    def _build(self, inp: SendEmailInput) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.credential("from_address")
        msg["To"] = ", ".join(inp.to)
        if inp.cc:
            msg["Cc"] = ", ".join(inp.cc)
        if inp.reply_to:
            msg["Reply-To"] = inp.reply_to
        msg["Subject"] = inp.subject
        msg["Message-ID"] = make_msgid(domain=parseaddr(msg["From"])[1].split("@")[-1])
        msg.set_content(inp.text if inp.text is not None else "")
        if inp.html is not None:
            if inp.text is None:
                msg.set_content(inp.html, subtype="html")
            else:
                msg.add_alternative(inp.html, subtype="html")
        for att in inp.attachments:
            maintype, subtype = att.mime_type.split("/", 1)
            msg.add_attachment(
                att.data(), maintype=maintype, subtype=subtype, filename=att.filename
            )
        return msg

    def _send(self, smtp: smtplib.SMTP, inp: SendEmailInput) -> dict[str, Any]:
        msg = self._build(inp)
        recipients = [parseaddr(a)[1] for a in (*inp.to, *inp.cc, *inp.bcc)]
        try:
            refused = smtp.send_message(msg, to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise _map_smtp_error(exc, self.name) from exc
        return {
            "message_id": msg["Message-ID"],
            "accepted": [r for r in recipients if r not in refused],
            "refused": sorted(refused),
        }

    def check_credentials(self) -> str:
        with self._session() as smtp:
            code, _ = smtp.noop()
            if code != 250:
                raise Unavailable(f"NOOP answered {code}", connector=self.name)
        login = "logged in" if self.credential("username") else "no login"
        return f"connected to {self.credential('host')} ({self._security}, {login})"

    @action(
        "send_email",
        input=SendEmailInput,
        description="Send one e-mail with optional HTML body, cc, bcc and attachments",
        output_keys=("message_id", "accepted", "refused"),
    )
    def send_email(self, inp: SendEmailInput) -> dict[str, Any]:
        with self._session() as smtp:
            return self._send(smtp, inp)

    @action(
        "send_bulk",
        input=SendBulkInput,
        description="Send many individual e-mails over one connection",
        output_keys=("sent", "failed"),
    )
    def send_bulk(self, inp: SendBulkInput) -> dict[str, Any]:
        sent: list[str] = []
        failed: list[dict[str, Any]] = []
        with self._session() as smtp:
            for index, message in enumerate(inp.messages):
                try:
                    sent.append(self._send(smtp, message)["message_id"])
                except (InvalidInput, Unavailable) as exc:
                    if inp.stop_on_error:
                        raise
                    failed.append({"index": index, "error": str(exc)})
        return {"sent": sent, "failed": failed}

    @action(
        "send_templated",
        input=SendTemplatedInput,
        description="Mail merge: one e-mail per recipient, $placeholders filled in",
        output_keys=("sent", "failed"),
    )
    def send_templated(self, inp: SendTemplatedInput) -> dict[str, Any]:
        messages = []
        for rcpt in inp.recipients:
            values = {"email": parseaddr(rcpt.to)[1], **rcpt.variables}
            html_values = {k: html.escape(v) for k, v in values.items()}
            messages.append(
                SendEmailInput(
                    to=[rcpt.to],
                    subject=string.Template(inp.subject).safe_substitute(values),
                    text=_fill(inp.text, values),
                    html=_fill(inp.html, html_values),
                )
            )
        return self.send_bulk(SendBulkInput(messages=messages))


def _fill(template: str | None, values: dict[str, str]) -> str | None:
    return None if template is None else string.Template(template).safe_substitute(values)
