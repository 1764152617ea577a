"""Feature flags are per deployment profile: a change on one never reaches another."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from levqor_desktop.app import App, build_app
from levqor_desktop.cli.main import main
from levqor_desktop.core.flags import FlagName, Source
from levqor_desktop.core.safety import ProfileStore
from levqor_desktop.core.secrets import SecretStore
from levqor_desktop.errors import ValidationError
from levqor_desktop.settings import Settings
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring

BUILDER = FlagName.BUILDER_ENABLED


def _profiles(settings: Settings, keyring: MemoryKeyring, *names: str) -> ProfileStore:
    settings.ensure_dirs()
    store = ProfileStore(
        settings.config_dir / "profiles.json", SecretStore(lambda: keyring), settings
    )
    for name in names:
        db = settings.data_dir / f"{name}.db"
        store.add(name, database_url=f"sqlite:///{db}", environment="staging")
    return store


def _value(app: App) -> tuple[bool, Source]:
    state = app.flags.state(BUILDER)
    return state.value, state.source


def test_each_profile_has_its_own_file_and_local_keeps_the_old_one(settings: Settings) -> None:
    store = _profiles(settings, MemoryKeyring(), "acme.prod")
    assert store.flags_path("local") == settings.config_dir / "flags.json"
    assert store.flags_path(store.get("acme.prod")) == (
        settings.config_dir / "profiles" / "acme.prod" / "flags.json"
    )
    with pytest.raises(ValidationError, match="not a valid profile name"):
        store.flags_path("../elsewhere")


def test_a_change_under_one_profile_leaves_the_others_alone(settings: Settings) -> None:
    keyring = MemoryKeyring()
    _profiles(settings, keyring, "alpha", "beta")
    with build_app(settings, profile="alpha", secret_backend=keyring).start() as alpha:
        change = alpha.flag_service.set(alpha.actor, BUILDER, True, source="cli")
        assert change is not None and _value(alpha) == (True, Source.FILE)
        assert alpha.flags.path == settings.config_dir / "profiles" / "alpha" / "flags.json"
    assert not (settings.config_dir / "flags.json").exists()
    with build_app(settings, profile="beta", secret_backend=keyring).start() as beta:
        assert _value(beta) == (False, Source.DEFAULT)
        # The audit trail is the deployment's own too: beta's database saw no change.
        assert beta.flag_service.last_change(BUILDER) is None
        beta.flag_service.set(beta.actor, BUILDER, False, source="cli")
    with build_app(settings, secret_backend=keyring).start() as local:
        assert local.profile.name == "local"
        assert _value(local) == (False, Source.DEFAULT)
    with build_app(settings, profile="alpha", secret_backend=keyring) as alpha_again:
        assert _value(alpha_again) == (True, Source.FILE)


def test_an_existing_local_flags_file_still_applies_to_local_only(settings: Settings) -> None:
    keyring = MemoryKeyring()
    _profiles(settings, keyring, "alpha")
    (settings.config_dir / "flags.json").write_text('{"BUILDER_ENABLED": true}\n')
    with build_app(settings, secret_backend=keyring) as local:
        assert _value(local) == (True, Source.FILE)
    with build_app(settings, profile="alpha", secret_backend=keyring) as alpha:
        assert _value(alpha) == (False, Source.DEFAULT)


def test_removing_a_profile_keeps_the_local_file_and_its_own(settings: Settings) -> None:
    keyring = MemoryKeyring()
    store = _profiles(settings, keyring, "alpha")
    local_file = settings.config_dir / "flags.json"
    local_file.write_text('{"CANARY_MODE": true}\n')
    with build_app(settings, profile="alpha", secret_backend=keyring).start() as alpha:
        alpha.flag_service.set(alpha.actor, BUILDER, True, source="cli")
    own_file = store.flags_path("alpha")
    store.remove("alpha")
    assert json.loads(local_file.read_text()) == {"CANARY_MODE": True}
    assert json.loads(own_file.read_text()) == {"BUILDER_ENABLED": True}


def test_the_cli_changes_the_flags_of_the_profile_it_runs_on(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in FlagName:
        monkeypatch.delenv(str(name), raising=False)
    monkeypatch.delenv("LEVQOR_PROFILE", raising=False)
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    settings = make_settings(home)
    staging_db = settings.data_dir / "staging.db"
    assert (
        main(
            [
                "profiles",
                "add",
                "stage",
                "--env",
                "staging",
                "--database-url",
                f"sqlite:///{staging_db}",
            ]
        )
        == 0
    )
    assert main(["--profile", "stage", "flags", "set", "BUILDER_ENABLED", "on"]) == 0
    capsys.readouterr()
    assert main(["flags", "list", "--json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert local["profile"] == "local" and local["file"] == str(settings.config_dir / "flags.json")
    assert {f["name"]: f["enabled"] for f in local["flags"]}["BUILDER_ENABLED"] is False
    assert main(["--profile", "stage", "flags", "list"]) == 0
    out = capsys.readouterr().out
    stage_file = settings.config_dir / "profiles" / "stage" / "flags.json"
    assert f"flags of profile stage: {stage_file}" in out
    assert json.loads(stage_file.read_text()) == {"BUILDER_ENABLED": True}
