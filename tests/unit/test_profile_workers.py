"""The profile's ``workers`` setting: stored, defaulted per environment, read from old files."""

from __future__ import annotations

import json

import pytest

from levqor_desktop.core.safety import Environment, Profile, ProfileStore
from levqor_desktop.core.safety.profiles import local_profile
from levqor_desktop.core.secrets import SecretStore
from levqor_desktop.errors import ConfigError
from levqor_desktop.settings import Settings
from tests.helpers.memory_keyring import MemoryKeyring


def _store(settings: Settings) -> ProfileStore:
    settings.ensure_dirs()
    keyring = MemoryKeyring()
    return ProfileStore(
        settings.config_dir / "profiles.json", SecretStore(lambda: keyring), settings
    )


@pytest.mark.parametrize(
    ("environment", "runs"),
    [(Environment.LOCAL, True), (Environment.STAGING, False), (Environment.PRODUCTION, False)],
)
def test_unset_the_environment_decides(environment: Environment, runs: bool) -> None:
    profile = Profile("acme", environment=environment)
    assert profile.workers is None
    assert profile.runs_workers is runs
    assert profile.describe()["workers"] == ("run here" if runs else "not run here") + " (default)"


def test_the_builtin_local_profile_runs_them(settings: Settings) -> None:
    assert local_profile(settings).runs_workers is True
    assert _store(settings).get("local").runs_workers is True


def test_the_setting_overrides_the_environment() -> None:
    assert Profile("p", environment=Environment.PRODUCTION, workers=True).runs_workers is True
    assert Profile("l", environment=Environment.LOCAL, workers=False).runs_workers is False
    assert Profile("p", workers=False).describe()["workers"] == "not run here"


def test_round_trip_with_and_without_the_setting(settings: Settings) -> None:
    store = _store(settings)
    store.add("prod-here", database_url=None, environment="production", workers=True)
    store.add("lab", database_url=None, environment="local", workers=False)
    store.add("stage", database_url=None, environment="staging")
    entries = json.loads(store.path.read_text(encoding="utf-8"))["profiles"]
    assert entries["prod-here"]["workers"] is True
    assert entries["lab"]["workers"] is False
    assert "workers" not in entries["stage"]  # unset: written as older versions wrote it
    assert store.get("prod-here").workers is True and store.get("prod-here").runs_workers
    assert store.get("lab").workers is False and not store.get("lab").runs_workers
    assert store.get("stage").workers is None and not store.get("stage").runs_workers
    # --replace without the setting goes back to the default.
    store.add("prod-here", database_url=None, environment="production", replace_existing=True)
    assert store.get("prod-here").workers is None


def test_a_file_from_before_the_setting_loads_with_the_defaults(settings: Settings) -> None:
    store = _store(settings)
    old = {
        "profiles": {
            "prod": {
                "colour": "",
                "database_password": False,
                "database_url": "postgresql://ops@db.example/levqor",
                "environment": "production",
                "redis_password": False,
                "redis_url": "redis://cache.example:6379/0",
            },
            "dev": {"environment": "local"},
        }
    }
    store.path.write_text(json.dumps(old), encoding="utf-8")
    prod, dev = store.get("prod"), store.get("dev")
    assert prod.workers is None and prod.runs_workers is False
    assert dev.workers is None and dev.runs_workers is True


def test_a_workers_value_that_is_not_a_boolean_is_named(settings: Settings) -> None:
    store = _store(settings)
    entry = {"environment": "production", "workers": "yes"}
    text = json.dumps({"profiles": {"prod": entry}})
    store.path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="workers must be true, false or absent, not 'yes'"):
        store.get("prod")
    with pytest.raises(ConfigError):
        store.add("other", database_url=None)
    assert store.path.read_text(encoding="utf-8") == text
