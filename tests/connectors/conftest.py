"""Fixtures for connector tests: a self-signed TLS pair and real aiosmtpd servers."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer  # noqa: N811 - the class is named SMTP
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER, SMTP_PASSWORD = "mailer", "correct-horse-battery"


@dataclass(frozen=True)
class TLSPair:
    server: ssl.SSLContext
    client: ssl.SSLContext  # trusts only the self-signed certificate


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> TLSPair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return TLSPair(server, client)


@dataclass
class Mailbox:
    """What the fake server received; ``refuse`` lists recipients it rejects with 550."""

    envelopes: list[Envelope] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _authenticator(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (SMTP_USER, SMTP_PASSWORD)
    # handled=False: aiosmtpd then answers 535 itself (handled=True would send nothing).
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class SMTPServerInfo:
    port: int
    mailbox: Mailbox


StartSMTP = Callable[..., SMTPServerInfo]


@pytest.fixture
def smtp_server(tls_pair: TLSPair) -> Iterator[StartSMTP]:
    """``smtp_server(security="starttls"|"ssl"|"none", auth=bool)`` starts a real server."""
    controllers: list[Controller] = []

    def start(security: str = "none", auth: bool = False) -> SMTPServerInfo:
        mailbox = Mailbox()
        kwargs: dict[str, Any] = {}
        if security == "starttls":
            kwargs.update(tls_context=tls_pair.server, require_starttls=True)
        elif security == "ssl":
            kwargs.update(ssl_context=tls_pair.server, server_hostname="localhost")
        if auth:
            kwargs.update(
                authenticator=_authenticator,
                auth_required=True,
                # Implicit TLS is invisible to aiosmtpd's STARTTLS bookkeeping.
                auth_require_tls=security == "starttls",
            )
        controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        controllers.append(controller)
        return SMTPServerInfo(controller.port, mailbox)

    yield start
    for controller in controllers:
        controller.stop()
