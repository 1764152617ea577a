"""Secrets live in the OS keyring only: the SecretStore over ``keyring``.

The backend is chosen explicitly, never by keyring's own fallback chain: on a headless
Linux without a Secret Service, keyring would otherwise pick a file backend silently.

- ``LEVQOR_KEYRING`` unset or ``system``: the OS keyring (Secret Service, macOS Keychain,
  Windows Credential Locker). None usable → :class:`SecretStoreError` saying how to fix it.
- ``LEVQOR_KEYRING=file``: the opt-in fallback, an encrypted file keyring from
  ``keyrings.alt`` in the data folder. Its password is asked for (a prompt callback: the
  terminal or a dialog) and kept only in memory.

Keys are ``<namespace>:<name>`` strings (for example ``connector:slack:default:bot_token``,
``database:postgresql://bob@db:5432/levqor``). Values never appear in an error message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from levqor_desktop.errors import SecretStoreError

SERVICE_NAME = "levqor-desktop"
#: Backends that are OS keyrings (module prefixes). keyring's chainer, fail and null
#: backends and every keyrings.alt backend are excluded unless opted into.
OS_BACKEND_MODULES = (
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
    "keyring.backends.kwallet",
)
FIX_NO_KEYRING = (
    "start and unlock a Secret Service (gnome-keyring or KWallet) in this session, or opt in "
    "to the encrypted file keyring with LEVQOR_KEYRING=file"
)

log = logging.getLogger(__name__)

PasswordPrompt = Callable[[str], str]


def select_backend(
    environ: Mapping[str, str], data_dir: Path, prompt: PasswordPrompt | None = None
) -> Any:
    """The keyring backend to use, chosen explicitly (see the module docstring)."""
    choice = environ.get("LEVQOR_KEYRING", "system").strip().lower() or "system"
    if choice == "system":
        return _os_backend()
    if choice == "file":
        return _file_backend(data_dir / "keyring.cfg", environ, prompt)
    raise SecretStoreError(f"LEVQOR_KEYRING={choice!r} is not one of: system, file")


def _os_backend() -> Any:
    import keyring.backend

    viable = [
        b
        for b in keyring.backend.get_all_keyring()
        if type(b).__module__.startswith(OS_BACKEND_MODULES)
    ]
    if not viable:
        raise SecretStoreError("no usable OS keyring was found", hint=FIX_NO_KEYRING)
    return max(viable, key=lambda b: b.priority)


def _file_backend(path: Path, environ: Mapping[str, str], prompt: PasswordPrompt | None) -> Any:
    try:
        from keyrings.alt.file import EncryptedKeyring
    except ImportError:
        raise SecretStoreError(
            "the encrypted file keyring needs the optional packages keyrings.alt and pycryptodome",
            hint="pip install 'levqor-desktop[file-keyring]'",
        ) from None
    password = environ.get("LEVQOR_KEYRING_PASSWORD")
    if not password:
        if prompt is None:
            raise SecretStoreError(
                "the encrypted file keyring needs its password",
                hint="run interactively, or set LEVQOR_KEYRING_PASSWORD for this process",
            )
        password = prompt(f"Password for the Levqor file keyring ({path})")
    if not password:
        raise SecretStoreError("the file keyring password must not be empty")
    backend = EncryptedKeyring()
    # keyrings.alt would otherwise prompt on the terminal and pick its own path.
    backend.file_path = str(path)
    backend.keyring_key = password
    return backend


class SecretStore:
    """get/set/delete secrets in the chosen keyring backend, under one service name."""

    def __init__(
        self,
        backend_factory: Callable[[], Any],
        *,
        service: str = SERVICE_NAME,
        on_value: Callable[[str], None] | None = None,
    ) -> None:
        self._factory = backend_factory
        self._backend: Any = None
        self._lock = threading.Lock()
        self.service = service
        #: Called with every secret value read or written (the log redaction filter
        #: registers them so they can never be logged).
        self.on_value = on_value

    @property
    def backend(self) -> Any:
        with self._lock:
            if self._backend is None:
                self._backend = self._factory()
            return self._backend

    def available(self) -> bool:
        """Whether a keyring backend could be chosen at all (not whether it is unlocked)."""
        try:
            return self.backend is not None
        except SecretStoreError:
            return False

    @property
    def backend_name(self) -> str:
        try:
            backend = self.backend
        except SecretStoreError as exc:
            return f"unavailable ({exc.message})"
        return f"{type(backend).__module__}.{type(backend).__name__}"

    def get(self, key: str) -> str | None:
        value: str | None = self._call("read", key, lambda b: b.get_password(self.service, key))
        if value is not None:
            self._seen(value)
        return value

    def set(self, key: str, value: str) -> None:
        if not value:
            raise SecretStoreError(f"refusing to store an empty secret for {key}")
        self._seen(value)
        self._call("store", key, lambda b: b.set_password(self.service, key, value))

    def delete(self, key: str) -> bool:
        """Remove a secret; False when there was none."""
        from keyring.errors import PasswordDeleteError

        try:
            self._call("delete", key, lambda b: b.delete_password(self.service, key))
        except SecretStoreError as exc:
            if isinstance(exc.__cause__, PasswordDeleteError):
                return False
            raise
        return True

    def check(self) -> float:
        """Write, read back and delete a probe secret; return the round trip in ms."""
        import time

        start = time.perf_counter()
        key = "levqor:probe"
        self.set(key, "probe-value")
        if self.get(key) != "probe-value":
            raise SecretStoreError("the keyring did not return the probe secret it stored")
        self.delete(key)
        return (time.perf_counter() - start) * 1000

    def _seen(self, value: str) -> None:
        if self.on_value is not None:
            self.on_value(value)

    def _call(self, verb: str, key: str, fn: Callable[[Any], Any]) -> Any:
        from keyring.errors import KeyringError, KeyringLocked, PasswordDeleteError

        backend = self.backend
        try:
            return fn(backend)
        except KeyringLocked:
            raise SecretStoreError(
                f"cannot {verb} {key}: the keyring is locked", hint="unlock it and try again"
            ) from None
        except PasswordDeleteError as exc:
            raise SecretStoreError(f"no secret stored for {key}") from exc
        except (KeyringError, RuntimeError, OSError, ValueError) as exc:
            # Messages from backends never include the value; keep only the class and text.
            raise SecretStoreError(
                f"cannot {verb} {key} in the keyring: {type(exc).__name__}: {exc}"
            ) from None
