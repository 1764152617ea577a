"""Connectors: the board, a credentials form generated from each connector's fields, and
"Test connection" — every call off the UI thread."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from connectors.base import CheckResult
from levqor_desktop.core.integrations import AccountInfo, ConnectorInfo
from levqor_desktop.core.permissions import Permission, allowed, minimum_role
from levqor_desktop.ui.bridge import Poller
from levqor_desktop.ui.models.connectors_model import ConnectorsModel
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.theme import FAIL, OK

REFRESH_MS = 10_000
NEW_ACCOUNT = "New account…"


class ConnectorsPanel(Panel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        title = QLabel("Connectors")
        title.setObjectName("PanelTitle")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter connectors…")
        self.filter.setClearButtonEnabled(True)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.filter)

        self.model = ConnectorsModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())

        self.detail = _Detail(self)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        self.hint = QLabel()
        self.hint.setObjectName("Muted")
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.hint)

        self.poller = Poller(self.bridge, REFRESH_MS, self._load, self._loaded, self)
        self.selected: str | None = None

    # -- data ---------------------------------------------------------------------------

    def _load(self) -> tuple[list[ConnectorInfo], bool]:
        assert self.app.actor is not None
        return self.app.connectors.board(self.app.actor), self.app.connectors.v2_enabled

    def _loaded(self, result: tuple[list[ConnectorInfo], bool]) -> None:
        cards, v2 = result
        self.model.set_cards(cards)
        self.hint.setText(
            ""
            if v2
            else "Showing the core connectors. Turn on CONNECTORS_V2_ENABLED (Flags) for all "
            "twenty."
        )
        self._reselect()

    def refresh(self) -> None:
        self.poller.poll()

    def on_shown(self) -> None:
        self.poller.start()

    def on_hidden(self) -> None:
        self.poller.stop()

    def select_connector(self, name: str) -> None:
        """Select connector ``name`` (now, or when the cards arrive)."""
        self.selected = name
        self._reselect()

    def _reselect(self) -> None:
        row = 0
        if self.selected is not None:
            for r, card in enumerate(self.model.cards):
                if card.name == self.selected:
                    row = r
        if self.model.cards:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            self.table.selectRow(index.row())
            self._show_selected()

    def _show_selected(self) -> None:
        index = self.table.currentIndex()
        card = self.model.card(self.proxy.mapToSource(index).row()) if index.isValid() else None
        if card is not None:
            self.selected = card.name
            self.detail.show_card(card)


class _Detail(QWidget):
    """One connector: its accounts, the credentials form and the actions."""

    def __init__(self, panel: ConnectorsPanel) -> None:
        super().__init__()
        self.panel = panel
        self.card: ConnectorInfo | None = None
        self.name = QLabel()
        self.name.setObjectName("PanelTitle")
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setOpenExternalLinks(True)
        self.about.setTextFormat(Qt.TextFormat.RichText)

        self.account = QComboBox()
        self.account.currentTextChanged.connect(self._account_changed)
        self.label = QLineEdit()
        self.label.setPlaceholderText("account label, e.g. default")
        self.form_box = QGroupBox("Credentials")
        self.form = QFormLayout(self.form_box)
        self.inputs: dict[str, QLineEdit] = {}
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.save = QPushButton("Save")
        self.test = QPushButton("Test connection")
        self.remove = QPushButton("Remove account")
        self.save.clicked.connect(self._save)
        self.test.clicked.connect(self._test)
        self.remove.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for b in (self.save, self.test, self.remove):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.action_list = QListWidget()
        self.action_list.setMaximumHeight(160)

        top = QFormLayout()
        top.addRow("Account", self.account)
        top.addRow("Label", self.label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addWidget(self.about)
        layout.addLayout(top)
        layout.addWidget(self.form_box)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(QLabel("Actions"))
        layout.addWidget(self.action_list)
        layout.addStretch(1)
        self._apply_permissions()

    def _apply_permissions(self) -> None:
        actor = self.panel.app.actor
        for button, perm in (
            (self.save, Permission.MANAGE_CREDENTIALS),
            (self.remove, Permission.MANAGE_CREDENTIALS),
            (self.test, Permission.TEST_CONNECTORS),
        ):
            ok = actor is not None and allowed(actor.role, perm)
            button.setEnabled(ok)
            button.setToolTip("" if ok else f"needs the {minimum_role(perm)} role")

    def show_card(self, card: ConnectorInfo) -> None:
        same = self.card is not None and self.card.name == card.name
        current = self.account.currentText()
        self.card = card
        self.name.setText(card.title)
        self.about.setText(
            f"{card.description}<br>{card.category} · {card.tier} · "
            f'<a href="{card.docs_url}">API docs</a> · '
            f'<a href="{card.credentials_url}">get credentials</a>'
        )
        self.account.blockSignals(True)
        self.account.clear()
        self.account.addItems([a.label for a in card.accounts] + [NEW_ACCOUNT])
        if same and current:
            self.account.setCurrentText(current)
        self.account.blockSignals(False)
        self.action_list.clear()
        for action, description in card.actions:
            QListWidgetItem(f"{card.name}.{action} — {description}", self.action_list)
        if not same:
            self._build_form()
        self._account_changed(self.account.currentText())

    def _build_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.inputs = {}
        assert self.card is not None
        for f in self.card.fields:
            edit = QLineEdit()
            if f.secret:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText(f.placeholder or (f.default or ""))
            edit.setToolTip(f.help)
            self.inputs[f.name] = edit
            self.form.addRow(f.label + ("" if f.required else " (optional)"), edit)

    def _selected_account(self) -> AccountInfo | None:
        if self.card is None:
            return None
        return next((a for a in self.card.accounts if a.label == self.account.currentText()), None)

    def _account_changed(self, text: str) -> None:
        account = self._selected_account()
        first = self.card is not None and not self.card.accounts
        # A connector's first account is called "default": steps use it unless told otherwise.
        self.label.setText(account.label if account else ("default" if first else ""))
        self.label.setReadOnly(account is not None)
        assert self.card is not None
        for f in self.card.fields:
            edit = self.inputs[f.name]
            edit.clear()
            if f.secret:
                stored = account is not None and f.name in account.secret_fields
                # A stored secret is never shown again: it can only be replaced.
                edit.setPlaceholderText(
                    "stored in the keyring — type to replace" if stored else f.placeholder
                )
            elif account is not None:
                edit.setText(str(account.settings.get(f.name, "")))
        self.remove.setVisible(account is not None)
        self.test.setVisible(account is not None)
        if account is None:
            self.status.setText("")
        elif account.last_check_ok is None:
            self.status.setText("Never tested.")
        else:
            colour = OK if account.last_check_ok else FAIL
            word = "passed" if account.last_check_ok else "FAILED"
            when = f"{account.last_check_at:%Y-%m-%d %H:%M}Z" if account.last_check_at else ""
            self.status.setText(
                f'<span style="color:{colour}">●</span> Last test {word} {when}: '
                f"{account.last_check_detail or ''}"
            )

    # -- actions ------------------------------------------------------------------------

    def _save(self) -> None:
        if self.card is None:
            return
        label = self.label.text().strip()
        values = {name: edit.text() for name, edit in self.inputs.items() if edit.text()}
        actor = self.panel.app.actor
        assert actor is not None
        connector = self.card.name

        def saved(info: AccountInfo) -> None:
            for edit in self.inputs.values():
                if edit.echoMode() == QLineEdit.EchoMode.Password:
                    edit.clear()
            self.panel.ctx.window.show_message(f"Saved {connector}/{info.label}")
            self.account.blockSignals(True)
            self.account.addItem(info.label)
            self.account.setCurrentText(info.label)
            self.account.blockSignals(False)
            self.panel.refresh()

        self.status.setText("Saving…")
        self.panel.bridge.submit(
            self.panel.app.connectors.save_account,
            actor,
            connector,
            label,
            values,
            on_result=saved,
            on_error=self._failed,
        )

    def _test(self) -> None:
        account = self._selected_account()
        if self.card is None or account is None:
            return
        actor = self.panel.app.actor
        assert actor is not None
        self.test.setEnabled(False)
        self.status.setText(f"Testing {self.card.title} / {account.label}…")

        def done(result: CheckResult) -> None:
            self.test.setEnabled(True)
            colour = OK if result.ok else FAIL
            word = "OK" if result.ok else "FAILED"
            self.status.setText(
                f'<span style="color:{colour}">●</span> {word} in {result.latency_ms:.0f} ms: '
                f"{result.detail}"
            )
            self.panel.refresh()

        def failed(exc: BaseException) -> None:
            self.test.setEnabled(True)
            self._failed(exc)

        self.panel.bridge.submit(
            self.panel.app.connectors.check,
            actor,
            self.card.name,
            account.label,
            on_result=done,
            on_error=failed,
        )

    def _remove(self) -> None:
        account = self._selected_account()
        if self.card is None or account is None:
            return
        answer = QMessageBox.question(
            self,
            "Remove account",
            f"Remove the {self.card.title} account “{account.label}” and delete its secrets "
            "from the keyring?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        actor = self.panel.app.actor
        assert actor is not None
        self.panel.bridge.submit(
            self.panel.app.connectors.remove_account,
            actor,
            self.card.name,
            account.label,
            on_result=lambda _r: self.panel.refresh(),
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f'<span style="color:{FAIL}">●</span> {exc}')
