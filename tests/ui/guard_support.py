"""The production guard in window tests: an App on a production profile, and a stand-in
for the operator at the GuardDialog."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from levqor_desktop.app import App, build_app
from levqor_desktop.core.safety import PROFILES_FILE_NAME, AuditRow, Environment, ProfileStore
from levqor_desktop.core.secrets import SecretStore
from levqor_desktop.settings import Settings
from levqor_desktop.ui.guard_dialog import GuardDialog
from levqor_desktop.ui.guarded import GuardedActions
from tests.helpers.memory_keyring import MemoryKeyring

PROD = "acme-prod"


@pytest.fixture
def prod_app(settings: Settings, keyring_backend: MemoryKeyring, home: Path) -> Iterator[App]:
    """A started App on the production profile ``acme-prod`` (its own SQLite file)."""
    settings.ensure_dirs()
    store = ProfileStore(
        settings.config_dir / PROFILES_FILE_NAME, SecretStore(lambda: keyring_backend), settings
    )
    prod_db = f"sqlite:///{home / 'prod.db'}"
    store.add(PROD, database_url=prod_db, environment=Environment.PRODUCTION)
    app = build_app(settings, profile=PROD, secret_backend=keyring_backend).start()
    assert app.guard.needs_confirmation()
    try:
        yield app
    finally:
        app.close()


@dataclass
class Seen:
    """What one dialog showed."""

    action: str
    target: str
    count: int
    band: str
    preview: list[str]


@dataclass
class Operator:
    """Answers every GuardDialog: types ``typed`` (None: presses Cancel) and clicks the
    confirm button when the dialog enables it. Records what each dialog showed."""

    typed: str | None = PROD
    seen: list[Seen] = field(default_factory=list)

    def __call__(self, dialog: GuardDialog) -> str | None:
        items = [dialog.preview.item(i).text() for i in range(dialog.preview.count())]
        action = dialog.action
        band = dialog.band_label.text()
        self.seen.append(Seen(action.action, action.target, action.count, band, items))
        if self.typed is None:
            dialog.reject()
            return None
        dialog.name_edit.setText(self.typed)
        if dialog.ok_button.isEnabled():
            dialog.ok_button.click()
        accepted = dialog.result() == GuardDialog.DialogCode.Accepted
        return dialog.typed() if accepted else None


def operator_at(guarded: GuardedActions, typed: str | None = PROD) -> Operator:
    operator = Operator(typed)
    guarded.ask_name = operator
    return operator


def never_asked(dialog: GuardDialog) -> str | None:
    raise AssertionError(f"the name was asked for {dialog.action.action} off production")


def audited(app: App, action: str) -> list[AuditRow]:
    """The window's audit rows of ``action``, newest first."""
    return [r for r in app.guard.history(action=action) if r.source == "window"]
