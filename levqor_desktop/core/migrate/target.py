"""The PostgreSQL target: its URL, its password, connections and readable failures.

The password never appears in a message, a log line or the config file: URLs are shown
masked, and the password lives in the OS keyring (``app.secrets``) under a key derived
from the rest of the URL.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psycopg
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from levqor_desktop.errors import LevqorError, MigrationError, SecretStoreError

#: Oldest PostgreSQL the schema and the copy were checked on.
MIN_SERVER_VERSION = 13
CONNECT_TIMEOUT_S = 5


class SecretStore(Protocol):
    """The shape of ``app.secrets`` (the OS keyring) that the migration uses."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> object: ...

    def available(self) -> bool: ...


@dataclass(frozen=True)
class Target:
    """A PostgreSQL database to migrate to (the password kept apart from the URL)."""

    url: URL
    password: str | None = None

    @classmethod
    def parse(cls, text: str, password: str | None = None) -> Target:
        try:
            url = make_url(text.strip())
        except ArgumentError:
            raise MigrationError(
                "the target is not a valid URL",
                hint="write it as postgresql://USER@HOST:PORT/DATABASE",
            ) from None
        if url.get_backend_name() != "postgresql":
            raise MigrationError(
                f"the target must be a PostgreSQL URL, not {url.get_backend_name()!r}",
                hint="write it as postgresql://USER@HOST:PORT/DATABASE",
            )
        if not url.database:
            raise MigrationError("the target URL names no database", hint="add /DATABASE")
        url = url.set(drivername="postgresql")
        if url.password is not None:
            password = password or str(url.password)
            url = url.set(password=None)
        return cls(url, password or None)

    @property
    def display(self) -> str:
        """``postgresql://user@host:port/db``: never includes the password."""
        return self.url.render_as_string(hide_password=True)

    @property
    def location(self) -> str:
        return f"{self.url.host or 'localhost'}:{self.url.port or 5432}/{self.url.database}"

    @property
    def secret_key(self) -> str:
        """The keyring entry of this target's password."""
        return password_key(self.url)

    def with_secrets(self, secrets: SecretStore | None) -> Target:
        """This target, with its password from the keyring if none was given."""
        if self.password is not None or secrets is None:
            return self
        try:
            stored = secrets.get(self.secret_key)
        except SecretStoreError:
            return self
        return Target(self.url, stored) if stored else self

    @property
    def full_url(self) -> str:
        """The URL with the password, for drivers only. Never show or log it."""
        url = self.url.set(password=self.password) if self.password else self.url
        return url.render_as_string(hide_password=False)

    @property
    def sqlalchemy_url(self) -> str:
        return self.full_url

    @property
    def url_without_password(self) -> str:
        """What goes into ``config.json``: the URL with no password at all."""
        return self.url.render_as_string(hide_password=False)

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection[tuple[object, ...]]:
        """A psycopg connection in UTC, or a :class:`MigrationError` that says why not."""
        url = self.url
        kwargs: dict[str, object] = {
            "host": url.host or "localhost",
            "port": url.port or 5432,
            "dbname": url.database,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": "-c TimeZone=UTC",
            "autocommit": autocommit,
        }
        if url.username:
            kwargs["user"] = url.username
        if self.password:
            kwargs["password"] = self.password
        kwargs.update({k: v for k, v in url.query.items() if isinstance(v, str)})
        try:
            return psycopg.connect(**kwargs)  # type: ignore[arg-type]
        except psycopg.OperationalError as exc:
            raise describe_connect_error(exc, self) from None


def password_key(url: URL) -> str:
    """``database:postgresql://user@host:port/db``: one keyring entry per target."""
    user = f"{url.username}@" if url.username else ""
    return (
        f"database:postgresql://{user}{url.host or 'localhost'}:{url.port or 5432}/"
        f"{url.database or ''}"
    )


def describe_connect_error(exc: BaseException, target: Target) -> MigrationError:
    """Turn a driver failure into a sentence an operator can act on (no password)."""
    text = str(exc).strip()
    lower = text.lower()
    where = f"PostgreSQL at {target.location}"
    user = target.url.username or "(default user)"
    if "password authentication failed" in lower or "no password supplied" in lower:
        return MigrationError(
            f"{where} refused the password for user {user}",
            hint="check the password (it is kept in the keyring, not in the URL)",
        )
    if "does not exist" in lower and "database" in lower:
        return MigrationError(
            f"{where}: database {target.url.database!r} does not exist",
            hint=f"create it first (createdb {target.url.database})",
        )
    if "role" in lower and "does not exist" in lower:
        return MigrationError(f"{where}: role {user} does not exist")
    if any(s in lower for s in ("could not translate host name", "name or service not known")):
        return MigrationError(
            f"cannot reach {where}: unknown host {target.url.host!r}", hint="check the host name"
        )
    if any(s in lower for s in ("connection refused", "timeout", "timed out", "no route")):
        return MigrationError(
            f"cannot reach {where}: the server does not answer",
            hint="check that PostgreSQL runs there and accepts TCP connections",
        )
    first = text.splitlines()[0] if text else type(exc).__name__
    return MigrationError(f"cannot connect to {where}: {first}")


def sqlite_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to the source: the migration cannot change it."""
    if not path.exists():
        raise MigrationError(f"the SQLite database {path} does not exist")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def sqlite_writable(path: Path) -> sqlite3.Connection:
    """A connection for rollback, managing its own transaction (isolation_level None)."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def with_stored_password(url: str, secrets: SecretStore | None, notes: list[str]) -> str:
    """A PostgreSQL URL with the password the switch put in the keyring, if it has none."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.get_backend_name() != "postgresql" or parsed.password is not None or secrets is None:
        return url
    try:
        password = secrets.get(password_key(parsed))
    except LevqorError as exc:  # no keyring, locked, or none configured
        # Without any keyring there is no stored password to miss (a server that wants
        # one says so when we connect); a locked or refusing keyring is worth a note.
        if secrets.available():
            notes.append(f"the database password could not be read from the keyring: {exc}")
        return url
    if not password:
        return url
    return parsed.set(password=password).render_as_string(hide_password=False)
