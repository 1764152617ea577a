"""Deployment profiles: the file, the keyring, and which database ``--profile`` picks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from levqor_desktop.app import build_app
from levqor_desktop.core.safety import Environment, ProfileStore
from levqor_desktop.core.secrets import SecretStore
from levqor_desktop.errors import ConfigError, NotFoundError, ValidationError
from levqor_desktop.settings import Settings
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.secret_service import secret_service_backend


def _store(settings: Settings, backend: object) -> ProfileStore:
    settings.ensure_dirs()
    return ProfileStore(
        settings.config_dir / "profiles.json", SecretStore(lambda: backend), settings
    )


def test_local_is_builtin_and_follows_the_settings(home: Path) -> None:
    settings = make_settings(home, DATABASE_URL="sqlite:////tmp/elsewhere.db")
    store = _store(settings, MemoryKeyring())
    (local,) = store.list()
    assert local.name == "local"
    assert local.environment is Environment.LOCAL
    assert local.database_url == "sqlite:////tmp/elsewhere.db"
    with pytest.raises(ValidationError, match="built-in"):
        store.remove("local")


def test_passwords_go_to_the_keyring_never_to_the_file(settings: Settings) -> None:
    keyring = MemoryKeyring()
    store = _store(settings, keyring)
    store.add(
        "prod",
        database_url="postgresql://ops:db-s3cret@db.example:5432/levqor",
        redis_url="redis://:redis-s3cret@cache.example:6380/2",
        environment="production",
    )
    text = store.path.read_text(encoding="utf-8")
    assert "s3cret" not in text
    assert json.loads(text)["profiles"]["prod"]["database_url"] == (
        "postgresql://ops@db.example:5432/levqor"
    )
    assert set(keyring.store.values()) == {"db-s3cret", "redis-s3cret"}
    prod = store.get("prod")
    assert prod.is_production and prod.band_colour == "#c62828"
    assert "s3cret" not in json.dumps(prod.describe())
    db_url, redis_url = store.connection(prod)
    assert db_url == "postgresql://ops:db-s3cret@db.example:5432/levqor"
    assert redis_url == "redis://:redis-s3cret@cache.example:6380/2"
    store.remove("prod")
    assert keyring.store == {}
    assert [p.name for p in store.list()] == ["local"]


def test_a_corrupt_file_is_named_with_its_line_and_never_overwritten(settings: Settings) -> None:
    store = _store(settings, MemoryKeyring())
    broken = '{"profiles": {\n  "prod": {"environment": "production",}\n}}\n'
    store.path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        store.list()
    with pytest.raises(ConfigError, match="line 2"):
        store.add("staging", database_url=None)
    assert store.path.read_text(encoding="utf-8") == broken


def test_a_password_written_into_the_file_by_hand_is_refused(settings: Settings) -> None:
    store = _store(settings, MemoryKeyring())
    entry = {"database_url": "postgresql://ops:oops@db/levqor", "environment": "staging"}
    store.path.write_text(json.dumps({"profiles": {"stage": entry}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="keyring"):
        store.get("stage")


@pytest.mark.parametrize(
    ("name", "kwargs", "fault"),
    [
        ("Prod!", {}, "lower-case"),
        ("local", {}, "built-in"),
        ("prod", {"environment": "live"}, "not one of"),
        ("prod", {"colour": "red"}, "#c62828"),
        ("prod", {"redis_url": "http://cache"}, "redis://"),
        ("prod", {"database_url": "mysql://db/x"}, "sqlite or postgresql"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(
    settings: Settings, name: str, kwargs: dict[str, str], fault: str
) -> None:
    store = _store(settings, MemoryKeyring())
    values: dict[str, str | None] = {"database_url": None, **kwargs}
    with pytest.raises(ValidationError, match=fault):
        store.add(name, **values)  # type: ignore[arg-type]
    assert not store.path.exists()


def test_unknown_profile_names_the_known_ones(settings: Settings) -> None:
    with pytest.raises(NotFoundError, match="known: local"):
        _store(settings, MemoryKeyring()).get("nope")


def test_profile_picks_the_database(home: Path) -> None:
    keyring = MemoryKeyring()
    settings = make_settings(home)
    staging_db = home / "staging.db"
    _store(settings, keyring).add(
        "staging", database_url=f"sqlite:///{staging_db}", environment="staging"
    )
    with build_app(settings, profile="staging", secret_backend=keyring) as app:
        assert app.profile.name == "staging"
        assert app.db.location == str(staging_db)
        assert not app.guard.needs_confirmation()
    env = make_settings(home, LEVQOR_PROFILE="staging")
    with build_app(env, secret_backend=keyring) as app:
        assert app.db.location == str(staging_db)
    with build_app(settings, secret_backend=keyring) as app:
        assert app.profile.name == "local"
        assert app.db.location == str(settings.sqlite_path)


@pytest.mark.keyring
def test_round_trip_with_the_real_secret_service(settings: Settings, tmp_path: Path) -> None:
    backend = secret_service_backend(tmp_path)
    settings.ensure_dirs()
    secrets = SecretStore(lambda: backend, service=f"levqor-desktop-test-{os.getpid()}")
    store = ProfileStore(settings.config_dir / "profiles.json", secrets, settings)
    store.add(
        "prod", database_url="postgresql://ops:real-s3cret@db/levqor", environment="production"
    )
    try:
        assert "real-s3cret" not in store.path.read_text(encoding="utf-8")
        assert secrets.get("profile:prod:database") == "real-s3cret"
        again = ProfileStore(store.path, secrets, settings)
        assert again.connection(again.get("prod"))[0] == "postgresql://ops:real-s3cret@db/levqor"
    finally:
        store.remove("prod")
    assert secrets.get("profile:prod:database") is None
