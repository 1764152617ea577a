"""Flags: each flag's state, source and last change; audited toggles; undo; broken file.

Risky flags ask for confirmation and a reason, and become a change request when a second
admin must approve them; a flag forced by the environment is locked and names its
variable; a broken ``flags.json`` shows as a banner with a Reset that moves the file
aside (after asking). Below the flags, tabs: the history (undo, restore), change
requests (approve, reject), scheduled flips (schedule, cancel) and the selected flag's
rollout (:mod:`.flags_tabs`). Every change goes through the production guard
(``run_action``), off the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.flags.approvals import ChangeRequest, Outcome
from levqor_desktop.core.flags.rollout import Rollout
from levqor_desktop.core.flags.schedules import ScheduledFlip
from levqor_desktop.core.flags.service import AuditEntry, FlagView, describe_value
from levqor_desktop.core.safety import GuardedAction
from levqor_desktop.ui.bridge import Poller
from levqor_desktop.ui.guarded import window_action
from levqor_desktop.ui.models.flags_model import FlagAuditModel, FlagsModel
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.panels.flags_tabs import RequestsTab, RolloutTab, ScheduledTab
from levqor_desktop.ui.theme import FAIL
from levqor_desktop.ui.widgets.tables import row_table

REFRESH_MS = 5000
HISTORY_ROWS = 500


@dataclass(frozen=True)
class FlagsSnapshot:
    views: list[FlagView]
    file_error: str | None
    file_path: str
    history: list[AuditEntry]
    requests: list[ChangeRequest]
    flips: list[ScheduledFlip]
    rollouts: dict[FlagName, Rollout]


class FlagsPanel(Panel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        #: Dialogs, replaceable in tests: (title, text) -> bool, and (title, label) -> reason.
        self.ask_confirm: Callable[[str, str], bool] = self._confirm_dialog
        self.ask_reason: Callable[[str, str], str | None] = self._reason_dialog

        title = QLabel("Feature flags")
        title.setObjectName("PanelTitle")
        self.toggle_button = QPushButton("Turn on")
        self.toggle_button.clicked.connect(self.toggle_selected)
        self.unset_button = QPushButton("Use default")
        self.unset_button.setToolTip("Remove the flag from flags.json; its default applies")
        self.unset_button.clicked.connect(self.unset_selected)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        for button in (self.toggle_button, self.unset_button, refresh):
            header.addWidget(button)

        self.file_banner = QFrame()
        self.file_banner.setObjectName("FlagsFileBanner")
        self.file_banner.setStyleSheet(
            f"#FlagsFileBanner {{ border: 1px solid {FAIL}; border-radius: 4px; }}"
        )
        self.file_error_label = QLabel()
        self.file_error_label.setWordWrap(True)
        self.reset_button = QPushButton("Reset…")
        self.reset_button.clicked.connect(self.reset_file)
        banner_row = QHBoxLayout(self.file_banner)
        banner_row.addWidget(self.file_error_label, 1)
        banner_row.addWidget(self.reset_button)
        self.file_banner.hide()

        self.flags_model = FlagsModel()
        self.flags_table = row_table(self.flags_model)
        self.flags_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.flags_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.flags_table.doubleClicked.connect(lambda _i: self.toggle_selected())

        self.audit_model = FlagAuditModel()
        self.audit_table = row_table(self.audit_model)
        self.audit_table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.audit_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.undo_button = QPushButton("Undo selected change")
        self.undo_button.clicked.connect(self.undo_selected)
        self.restore_button = QPushButton("Restore this value")
        self.restore_button.setToolTip(
            "Set the flag back to the value this change set (risky flags: a second admin "
            "approves it)"
        )
        self.restore_button.clicked.connect(self.restore_selected)
        audit_box = QWidget()
        audit_layout = QVBoxLayout(audit_box)
        audit_layout.setContentsMargins(0, 0, 0, 0)
        audit_header = QHBoxLayout()
        audit_header.addWidget(QLabel("Audit trail: changes, requests, flips, rollouts"))
        audit_header.addStretch(1)
        audit_header.addWidget(self.restore_button)
        audit_header.addWidget(self.undo_button)
        audit_layout.addLayout(audit_header)
        audit_layout.addWidget(self.audit_table)

        self.requests_tab = RequestsTab(self)
        self.scheduled_tab = ScheduledTab(self)
        self.rollout_tab = RolloutTab(self)
        self.tabs = QTabWidget()
        self.tabs.addTab(audit_box, "History")
        self.tabs.addTab(self.requests_tab, "Change requests")
        self.tabs.addTab(self.scheduled_tab, "Scheduled flips")
        self.tabs.addTab(self.rollout_tab, "Rollout")

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.flags_table)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.file_banner)
        layout.addWidget(split, 1)

        self.poller = Poller(self.bridge, REFRESH_MS, self.load, self.show_snapshot, self)
        self.snapshot: FlagsSnapshot | None = None
        self._update_buttons()

    # -- data -------------------------------------------------------------------------

    def load(self) -> FlagsSnapshot:
        """Runs off the UI thread."""
        service = self.app.flag_service
        views = service.views()
        return FlagsSnapshot(
            views,
            self.app.flags.file_error,
            str(self.app.flags.path),
            service.history(limit=HISTORY_ROWS),
            self.app.flag_requests.requests(limit=HISTORY_ROWS),
            self.app.flag_schedules.scheduled(include_done=True, limit=HISTORY_ROWS),
            self.app.flag_rollouts.rollouts(),
        )

    def on_shown(self) -> None:
        self.poller.start()

    def on_hidden(self) -> None:
        self.poller.stop()

    def refresh(self) -> None:
        self.poller.poll()

    def show_snapshot(self, snap: FlagsSnapshot) -> None:
        self.snapshot = snap
        self.flags_model.rollouts = snap.rollouts
        self.flags_model.set_views(snap.views)
        self.audit_model.set_entries(snap.history)
        self.requests_tab.show_requests(snap.requests)
        self.scheduled_tab.model.set_rows(snap.flips)
        pending = sum(r.status == "proposed" for r in snap.requests)
        self.tabs.setTabText(1, f"Change requests ({pending})" if pending else "Change requests")
        open_flips = sum(f.open for f in snap.flips)
        self.tabs.setTabText(
            2, f"Scheduled flips ({open_flips})" if open_flips else "Scheduled flips"
        )
        if snap.file_error:
            self.file_error_label.setText(
                f"<b>The flags file is broken.</b> {snap.file_error}. Fix it by hand, or reset "
                "it (the broken file is kept beside it)."
            )
            self.file_banner.show()
        else:
            self.file_banner.hide()
        self._update_buttons()

    # -- selection --------------------------------------------------------------------

    def selected_flag(self) -> FlagView | None:
        rows = self.flags_table.selectionModel().selectedRows()
        return self.flags_model.view_at(rows[0].row()) if rows else None

    def selected_entry(self) -> AuditEntry | None:
        rows = self.audit_table.selectionModel().selectedRows()
        return self.audit_model.entry_at(rows[0].row()) if rows else None

    def select_flag(self, name: str) -> None:
        for row, view in enumerate(self.flags_model.views):
            if view.definition.name == name:
                self.flags_table.selectRow(row)
                return

    def _update_buttons(self, *_args: object) -> None:
        view = self.selected_flag()
        broken = bool(self.snapshot and self.snapshot.file_error)
        can_change = view is not None and not view.state.locked and not broken
        self.toggle_button.setEnabled(can_change)
        self.unset_button.setEnabled(
            can_change and view is not None and view.state.file_value is not None
        )
        if view is not None:
            self.toggle_button.setText("Turn off" if view.state.value else "Turn on")
            if view.state.locked:
                self.toggle_button.setToolTip(
                    f"Locked: forced by the environment variable {view.env_var}"
                )
            elif broken:
                self.toggle_button.setToolTip("Fix or reset the flags file first")
            else:
                self.toggle_button.setToolTip("")
        entry = self.selected_entry()
        self.undo_button.setEnabled(entry is not None and entry.undone_by is None)
        self.restore_button.setEnabled(entry is not None and entry.old_value != entry.new_value)
        self.scheduled_tab.update_buttons()
        rollouts = self.snapshot.rollouts if self.snapshot else {}
        self.rollout_tab.show_rollout(
            view, rollouts.get(view.definition.name) if view is not None else None
        )

    # -- actions ----------------------------------------------------------------------

    def toggle_selected(self) -> None:
        view = self.selected_flag()
        if view is None or view.state.locked:
            return
        self._change(view, not view.state.value)

    def unset_selected(self) -> None:
        view = self.selected_flag()
        if view is not None and not view.state.locked:
            self._change(view, None)

    def _change(self, view: FlagView, value: bool | None) -> None:
        name = view.definition.name
        words = "use its default" if value is None else ("turn on" if value else "turn off")
        reason: str | None = None
        if view.definition.risky:
            # On production the guard's dialog asks instead of the yes/no question.
            if not self.guarded.production and not self.ask_confirm(
                f"Change {name}?",
                f"{name} is a risky flag: {view.definition.description}\n\nReally {words} {name}?",
            ):
                return
            reason = self.ask_reason(f"Why {words} {name}?", "Reason (recorded in the audit):")
            if not reason or not reason.strip():
                self.ctx.window.show_message(f"{name} unchanged: a reason is required")
                return
        actor = self.app.actor
        if actor is None:
            return
        change = f"{name}: {describe_value(view.state.value)} -> {describe_value(value)}"
        request = window_action(
            "flags.unset" if value is None else "flags.set",
            name if value is None else f"{name} -> {describe_value(value)}",
            preview=[change],
            details={"reason": reason},
        )
        requests = self.app.flag_requests
        self.run_action(
            request,
            lambda: requests.change(actor, name, value, reason, source="window"),
            on_result=self._changed,
        )

    def undo_selected(self) -> None:
        entry, actor = self.selected_entry(), self.app.actor
        if entry is None or actor is None:
            return
        now, back = describe_value(entry.new_value), describe_value(entry.old_value)
        line = f"{entry.flag}: {now} -> {back}"
        self.run_action(
            window_action("flags.undo", f"flag change #{entry.id}", preview=[line]),
            lambda: self.app.flag_service.undo(actor, entry.id, source="window"),
            on_result=self._changed,
            ask=lambda: self.ask_confirm(
                f"Undo change #{entry.id}?",
                f"Put {entry.flag} back as it was before change #{entry.id}?",
            ),
        )

    def restore_selected(self) -> None:
        entry, actor = self.selected_entry(), self.app.actor
        if entry is None or actor is None:
            return
        value = describe_value(entry.new_value)
        self.run_action(
            window_action(
                "flags.restore",
                f"the value of change #{entry.id}",
                preview=[f"{entry.flag} -> {value}"],
            ),
            lambda: self.app.flag_requests.restore(actor, entry.id, source="window"),
            on_result=self._changed,
            ask=lambda: self.ask_confirm(
                f"Restore {entry.flag}?",
                f"Set {entry.flag} back to {value}, the value change #{entry.id} set?",
            ),
        )

    def run_action(
        self,
        request: GuardedAction,
        do: Callable[[], Any],
        *,
        message: str = "",
        ask: Callable[[], bool] | None = None,
        on_result: Callable[[Any], None] | None = None,
    ) -> None:
        """Run one change through the guard, off the UI thread (asking ``ask`` first where
        the profile does not ask for its name); then ``on_result``, or say ``message``."""

        def done(result: object) -> None:
            if on_result is not None:
                on_result(result)
                return
            if isinstance(result, ChangeRequest) and result.status == "failed":
                self.show_message(f"Request #{result.id} failed: {result.error}")
            elif result is not False:
                self.show_message(message)
            self.refresh()

        self.guarded.run(
            request,
            do,
            on_result=done,
            on_error=self._failed,
            ask_locally=(lambda _a: ask()) if ask is not None else None,
        )

    def show_message(self, text: str) -> None:
        self.ctx.window.show_message(text)

    def reset_file(self) -> None:
        path = self.snapshot.file_path if self.snapshot else str(self.app.flags.path)
        self.run_action(
            window_action("flags.reset_file", path, preview=["every flag returns to its default"]),
            self.app.flags.reset_file,
            on_result=self._file_reset,
            ask=lambda: self.ask_confirm(
                "Reset the flags file?",
                "The broken flags file will be moved aside (kept as flags.json.broken-N) and "
                "every flag returns to its default. Continue?",
            ),
        )

    def _changed(self, change: Outcome) -> None:
        if isinstance(change, ChangeRequest):
            self.show_message(
                f"{change.flag}: change request #{change.id} is {change.status} — a second "
                "admin approves it in Change requests"
            )
            self.tabs.setCurrentWidget(self.requests_tab)
        elif isinstance(change, ScheduledFlip):
            self.show_message(f"{change.flag}: flip #{change.id} scheduled")
        elif change is not None:
            self.show_message(
                f"{change.flag} is now {'on' if change.new.value else 'off'} (#{change.entry.id})"
            )
        self.refresh()

    def _file_reset(self, moved: object) -> None:
        self.ctx.window.show_message(f"Flags file reset; the broken one is kept as {moved}")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.ctx.show_error(exc)
        self.refresh()

    # -- dialogs ----------------------------------------------------------------------

    def _confirm_dialog(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def _reason_dialog(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label)
        return text if ok else None
