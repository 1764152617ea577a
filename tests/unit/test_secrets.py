from __future__ import annotations

from pathlib import Path

import pytest
from keyring.errors import KeyringLocked

from levqor_desktop.core.secrets import SecretStore, select_backend
from levqor_desktop.errors import SecretStoreError
from tests.helpers.memory_keyring import MemoryKeyring


def test_set_get_replace_delete() -> None:
    backend = MemoryKeyring()
    store = SecretStore(lambda: backend)
    store.set("connector:slack:default:bot_token", "xoxb-1")
    store.set("connector:slack:other:bot_token", "xoxb-2")
    assert store.get("connector:slack:default:bot_token") == "xoxb-1"
    store.set("connector:slack:default:bot_token", "xoxb-3")
    assert store.get("connector:slack:default:bot_token") == "xoxb-3"
    assert store.get("connector:slack:other:bot_token") == "xoxb-2"
    assert store.delete("connector:slack:default:bot_token") is True
    assert store.delete("connector:slack:default:bot_token") is False
    assert store.get("connector:slack:default:bot_token") is None
    assert backend.store == {("levqor-desktop", "connector:slack:other:bot_token"): "xoxb-2"}


def test_every_value_seen_is_reported_for_redaction() -> None:
    seen: list[str] = []
    store = SecretStore(MemoryKeyring, on_value=seen.append)
    store.set("k", "s3cret")
    store.get("k")
    assert seen == ["s3cret", "s3cret"]


def test_locked_keyring_is_a_clear_error_without_the_value() -> None:
    class Locked(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise KeyringLocked("Failed to unlock the collection!")

    store = SecretStore(Locked)
    with pytest.raises(SecretStoreError, match="keyring is locked") as err:
        store.set("database:pg", "hunter2")
    assert "hunter2" not in str(err.value)


def test_empty_secret_is_refused() -> None:
    with pytest.raises(SecretStoreError, match="empty"):
        SecretStore(MemoryKeyring).set("k", "")


def test_no_os_keyring_never_falls_back_silently(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import keyring.backend

    # Only the file backends and keyring's fail backend exist, as on a bare headless Linux.
    from keyring.backends import fail
    from keyrings.alt.file import EncryptedKeyring, PlaintextKeyring

    monkeypatch.setattr(
        keyring.backend,
        "get_all_keyring",
        lambda: [EncryptedKeyring(), PlaintextKeyring(), fail.Keyring()],
    )
    with pytest.raises(SecretStoreError, match="no usable OS keyring") as err:
        select_backend({}, tmp_path)
    assert "LEVQOR_KEYRING=file" in str(err.value)


def test_file_keyring_is_opt_in_and_encrypted(tmp_path: Path) -> None:
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return "file-keyring-password"

    backend = select_backend({"LEVQOR_KEYRING": "file"}, tmp_path, prompt)
    store = SecretStore(lambda: backend)
    store.set("connector:stripe:default:api_key", "sk_test_abcdef123456")
    assert store.get("connector:stripe:default:api_key") == "sk_test_abcdef123456"
    assert len(prompts) == 1
    raw = (tmp_path / "keyring.cfg").read_bytes()
    assert b"sk_test_abcdef123456" not in raw
    assert b"file-keyring-password" not in raw


def test_file_keyring_without_a_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretStoreError, match="needs its password"):
        select_backend({"LEVQOR_KEYRING": "file"}, tmp_path)


def test_unknown_keyring_choice(tmp_path: Path) -> None:
    with pytest.raises(SecretStoreError, match="not one of"):
        select_backend({"LEVQOR_KEYRING": "plaintext"}, tmp_path)
