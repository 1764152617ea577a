"""Fixtures every test may use: an App on a temporary home, real PostgreSQL and Redis.

Service tests read ``LEVQOR_TEST_DATABASE_URL`` / ``LEVQOR_TEST_REDIS_URL``. Without
them they skip and say why; with ``LEVQOR_REQUIRE_SERVICES=1`` (CI) a missing service
fails the run instead. Each test session gets its own PostgreSQL database and its own
Redis database index, and removes them afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt tests always run offscreen; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from levqor_desktop.app import App, build_app
from levqor_desktop.settings import Settings
from tests.helpers.memory_keyring import MemoryKeyring

REQUIRE_SERVICES = os.environ.get("LEVQOR_REQUIRE_SERVICES") == "1"


def _missing(service: str, variable: str) -> None:
    message = f"{service} tests need {variable} (e.g. see .ci/run); it is not set"
    if REQUIRE_SERVICES:
        pytest.fail(f"LEVQOR_REQUIRE_SERVICES=1 but {message}", pytrace=False)
    pytest.skip(message)


# -- the App on a temporary home ----------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "levqor-home"


def make_settings(home: Path, **environ: str) -> Settings:
    """Settings under ``home`` that ignore the developer's own environment."""
    return Settings.from_env(environ, home=home)


@pytest.fixture
def settings(home: Path) -> Settings:
    return make_settings(home)


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    """An in-memory keyring backend, handed to the App instead of the OS keyring."""
    return MemoryKeyring()


@pytest.fixture
def app(settings: Settings, keyring_backend: MemoryKeyring) -> Iterator[App]:
    """A started App on SQLite in a temporary LEVQOR_HOME (secrets in memory)."""
    app = build_app(settings, secret_backend=keyring_backend).start()
    try:
        yield app
    finally:
        app.close()


# -- PostgreSQL ---------------------------------------------------------------------------


def _admin_url() -> str:
    url = os.environ.get("LEVQOR_TEST_DATABASE_URL")
    if not url:
        _missing("PostgreSQL", "LEVQOR_TEST_DATABASE_URL")
    assert url is not None
    return url


def create_pg_database(admin_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``admin_url``; return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    conninfo = url.set(drivername="postgresql", database=url.database or "postgres")
    try:
        with psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL at {url.host}:{url.port} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {url.host}:{url.port} is not reachable: {exc}")
    return url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return _admin_url()


@pytest.fixture(scope="session")
def pg_session_url(pg_admin_url: str) -> Iterator[str]:
    """One database for the whole test session, dropped afterwards."""
    name = f"levqor_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = create_pg_database(pg_admin_url, name)
    try:
        yield url
    finally:
        drop_pg_database(pg_admin_url, name)


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"levqor_t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    url = create_pg_database(pg_admin_url, name)
    try:
        yield url
    finally:
        drop_pg_database(pg_admin_url, name)


@pytest.fixture
def pg_app(home: Path, pg_url: str, keyring_backend: MemoryKeyring) -> Iterator[App]:
    """A started App on a fresh PostgreSQL database (PG_ENABLED on)."""
    settings = make_settings(home, DATABASE_URL=pg_url, PG_ENABLED="true")
    app = build_app(settings, secret_backend=keyring_backend).start()
    try:
        yield app
    finally:
        app.close()


# -- Redis --------------------------------------------------------------------------------

REDIS_LOCK_PREFIX = "levqor-test-db-lock:"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_app(request: pytest.FixtureRequest) -> App:
    """The same test on the embedded SQLite app and on a PostgreSQL one."""
    app: App = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    return app


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database index of our own for this session (claimed, flushed, released)."""
    import redis

    base = os.environ.get("LEVQOR_TEST_REDIS_URL")
    if not base:
        _missing("Redis", "LEVQOR_TEST_REDIS_URL")
    assert base is not None
    client = redis.Redis.from_url(base)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis at {base} is not reachable: {exc}")
        pytest.skip(f"Redis at {base} is not reachable: {exc}")
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    for index in range(1, 16):
        if client.set(f"{REDIS_LOCK_PREFIX}{index}", token, nx=True, ex=3600):
            break
    else:
        pytest.fail("no free Redis database index (1-15) for this test session")
    url = base.rsplit("/", 1)[0] + f"/{index}" if base.count("/") > 2 else f"{base}/{index}"
    own = redis.Redis.from_url(url)
    own.flushdb()
    try:
        yield url
    finally:
        own.flushdb()
        own.close()
        client.delete(f"{REDIS_LOCK_PREFIX}{index}")
        client.close()
