"""Dialogs of the Canary panel: the ops API's keys (created and revoked through the
production guard), and a deployment to save."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.apikeys import ApiKeyInfo, CreatedKey
from levqor_desktop.core.models import Role
from levqor_desktop.ui.guarded import GuardedActions, window_action
from levqor_desktop.ui.panels.base import PanelContext


class ApiKeysDialog(QDialog):
    """List, create (shown once) and revoke the organization's API keys."""

    HEADERS = ("Prefix", "Name", "User", "Role", "Created", "Last used")

    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        #: Creating and revoking keys go through the production guard.
        self.guarded = GuardedActions(self, ctx)
        self.setWindowTitle("API keys of the ops API")
        self.resize(760, 420)
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.name = QLineEdit()
        self.name.setPlaceholderText("what the key is for, e.g. prometheus on ops-1")
        self.role = QComboBox()
        self.role.addItems([r.value for r in Role])
        self.role.setCurrentText(Role.VIEWER.value)
        self.create_button = QPushButton("Create key")
        self.create_button.clicked.connect(self.create_key)
        self.revoke_button = QPushButton("Revoke selected")
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.shown_key = QLineEdit()
        self.shown_key.setReadOnly(True)
        self.shown_key.setPlaceholderText("a new key appears here once; copy it now")
        self.message = QLabel()
        self.message.setWordWrap(True)

        form = QHBoxLayout()
        form.addWidget(QLabel("Name"))
        form.addWidget(self.name, 1)
        form.addWidget(QLabel("Role"))
        form.addWidget(self.role)
        form.addWidget(self.create_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.revoke_button)
        layout.addLayout(form)
        layout.addWidget(self.shown_key)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.keys: list[ApiKeyInfo] = []
        self.refresh()

    def refresh(self) -> None:
        app = self.ctx.app
        if app.actor is None:
            return
        self.ctx.bridge.submit(
            app.api_keys.list, app.actor, on_result=self.show_keys, on_error=self.show_error
        )

    def show_keys(self, keys: list[ApiKeyInfo]) -> None:
        self.keys = keys
        self.table.setRowCount(len(keys))
        for row, k in enumerate(keys):
            used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
            cells = (k.prefix, k.name, k.user, k.role.value, f"{k.created_at:%Y-%m-%d %H:%M}", used)
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def create_key(self) -> None:
        app, actor = self.ctx.app, self.ctx.app.actor
        if actor is None:
            return
        role, name = Role(self.role.currentText()), self.name.text()
        self.guarded.run(
            window_action("apikeys.create", f"key {name!r} ({role.value})"),
            lambda: app.api_keys.create(actor, name=name, role=role),
            on_result=self.key_created,
            on_error=self.show_error,
        )

    def key_created(self, created: CreatedKey) -> None:
        self.shown_key.setText(created.key)
        self.shown_key.selectAll()
        self.message.setText(
            f"Key {created.info.prefix} ({created.info.role.value}) created. It is shown only "
            "now: copy it; Levqor keeps only its hash."
        )
        self.name.clear()
        self.refresh()

    def revoke_selected(self) -> None:
        app = self.ctx.app
        rows = {i.row() for i in self.table.selectedIndexes()}
        if app.actor is None or not rows:
            self.message.setText("Select a key to revoke.")
            return
        actor, key = app.actor, self.keys[min(rows)]

        def revoked(info: ApiKeyInfo) -> None:
            self.message.setText(f"Revoked {info.prefix}.")
            self.refresh()

        self.guarded.run(
            window_action(
                "apikeys.revoke",
                f"key {key.prefix}",
                preview=[f"{key.prefix} {key.name} ({key.role.value}, {key.user})"],
            ),
            lambda: app.api_keys.revoke(actor, key.prefix),
            on_result=revoked,
            on_error=self.show_error,
        )

    def show_error(self, exc: BaseException) -> None:
        self.message.setText(f"⚠ {exc}")


class DeploymentDialog(QDialog):
    """Name, URL and API key of a deployment to check; the key goes to the keyring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a deployment")
        self.name = QLineEdit()
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://ops-1.example.org:8765")
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("lvq_… (kept in the OS keyring)")
        self.key_env = QLineEdit()
        self.key_env.setPlaceholderText("or: the environment variable holding it")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("URL", self.url)
        form.addRow("API key", self.key)
        form.addRow("Key variable", self.key_env)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> tuple[str, str, str | None, str | None]:
        key = self.key.text().strip() or None
        env = self.key_env.text().strip() or None
        return self.name.text().strip(), self.url.text().strip(), key, env
