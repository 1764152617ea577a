"""The SecretStore against a real Secret Service (gnome-keyring in a private D-Bus session).

`scripts/test` runs the suite inside `dbus-run-session` with an unlocked gnome-keyring
when gnome-keyring is installed (.ci/run installs it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from levqor_desktop.core.secrets import SecretStore
from levqor_desktop.errors import SecretStoreError
from tests.helpers.secret_service import secret_service_backend

pytestmark = pytest.mark.keyring


@pytest.fixture
def store(tmp_path: Path) -> SecretStore:
    backend = secret_service_backend(tmp_path)
    assert "SecretService" in type(backend).__module__ or "libsecret" in type(backend).__module__
    return SecretStore(lambda: backend, service=f"levqor-desktop-test-{os.getpid()}")


def test_store_read_replace_remove_several_accounts(store: SecretStore) -> None:
    store.set("connector:github:work:token", "ghp_work")
    store.set("connector:github:home:token", "ghp_home")
    assert store.get("connector:github:work:token") == "ghp_work"
    store.set("connector:github:work:token", "ghp_work2")
    assert store.get("connector:github:work:token") == "ghp_work2"
    assert store.get("connector:github:home:token") == "ghp_home"
    assert store.delete("connector:github:work:token")
    assert store.get("connector:github:work:token") is None
    assert store.delete("connector:github:home:token")
    assert not store.delete("connector:github:home:token")


def test_probe_round_trip(store: SecretStore) -> None:
    assert store.check() > 0


def test_locked_keyring_is_reported(store: SecretStore) -> None:
    import secretstorage

    conn = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(conn)
    collection.lock()
    try:
        with pytest.raises(SecretStoreError, match="locked"):
            store.set("connector:github:x:token", "ghp_locked")
    finally:
        # Unlock again with the password the test session unlocked it with.
        password = os.environ.get("LEVQOR_TEST_KEYRING_PASSWORD", "")
        _unlock(collection, password)


def _unlock(collection: object, password: str) -> None:
    """Unlock with the master password through gnome-keyring's own D-Bus interface."""
    import secretstorage
    from jeepney import DBusAddress, new_method_call
    from secretstorage.util import format_secret, open_session

    conn = secretstorage.dbus_init()
    session = open_session(conn)
    secret = format_secret(session, password.encode(), "text/plain")
    address = DBusAddress(
        "/org/freedesktop/secrets",
        bus_name="org.gnome.keyring",
        interface="org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
    )
    path = collection.collection_path  # type: ignore[attr-defined]
    conn.send_and_get_reply(
        new_method_call(address, "UnlockWithMasterPassword", "o(oayays)", (path, secret))
    )
    conn.close()


def test_zz_keyring_is_unlocked_again_after_the_lock_test(store: SecretStore) -> None:
    assert store.check() > 0
