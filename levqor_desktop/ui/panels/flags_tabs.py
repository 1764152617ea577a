"""The Flags panel's safe-change tabs: change requests, scheduled flips, rollout.

Each tab shows a part of the panel's snapshot and makes each change through the panel's
``run_action``: the production guard (named as ``levqor flags ...`` names it), then one
core service call on the bridge (never on the UI thread); the panel refreshes after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.flags.approvals import ChangeRequest
from levqor_desktop.core.flags.rollout import Rollout
from levqor_desktop.core.flags.schedules import parse_when
from levqor_desktop.core.flags.service import FlagView, describe_value
from levqor_desktop.core.safety import GuardedAction
from levqor_desktop.errors import LevqorError
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.guarded import window_action
from levqor_desktop.ui.models.flag_safety_model import ChangeRequestsModel, ScheduledFlipsModel
from levqor_desktop.ui.widgets.tables import row_table

if TYPE_CHECKING:
    from levqor_desktop.app import App


class FlagsHost(Protocol):
    """What the tabs need from the Flags panel."""

    @property
    def app(self) -> App: ...

    @property
    def bridge(self) -> Bridge: ...

    ask_confirm: Callable[[str, str], bool]
    ask_reason: Callable[[str, str], str | None]

    def selected_flag(self) -> FlagView | None: ...

    def run_action(
        self,
        request: GuardedAction,
        do: Callable[[], Any],
        *,
        message: str = "",
        ask: Callable[[], bool] | None = None,
    ) -> None: ...

    def show_message(self, text: str) -> None: ...


def _about(action: str, request: ChangeRequest, note: str | None = None) -> GuardedAction:
    details = {"note": note} if note else None
    line = f"{request.flag} -> {describe_value(request.value)}: {request.reason}"
    return window_action(action, f"change request #{request.id}", preview=[line], details=details)


def _buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for b in buttons:
        row.addWidget(b)
    return row


class RequestsTab(QWidget):
    """Pending (and recent) change requests, with Approve, Reject and Withdraw."""

    def __init__(self, host: FlagsHost) -> None:
        super().__init__()
        self.host = host
        self.model = ChangeRequestsModel()
        self.table = row_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(8, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self.update_buttons)
        self.approve_button = QPushButton("Approve")
        self.approve_button.clicked.connect(self.approve)
        self.reject_button = QPushButton("Reject…")
        self.reject_button.clicked.connect(self.reject)
        self.withdraw_button = QPushButton("Withdraw")
        self.withdraw_button.clicked.connect(self.withdraw)
        self.hint = QLabel()
        self.hint.setObjectName("Muted")
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.table)
        layout.addLayout(_buttons(self.withdraw_button, self.reject_button, self.approve_button))
        self.update_buttons()

    def show_requests(self, requests: list[ChangeRequest]) -> None:
        self.model.set_rows(requests)
        pending = sum(r.status == "proposed" for r in requests)
        self.hint.setText(
            f"{pending} waiting for a second admin. Risky flags (⚠) need one when the "
            "organization has more than one admin; the proposer cannot approve their own."
        )
        self.update_buttons()

    def selected(self) -> ChangeRequest | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.request_at(rows[0].row()) if rows else None

    def update_buttons(self, *_args: object) -> None:
        request = self.selected()
        actor = self.host.app.actor
        open_ = request is not None and request.status == "proposed"
        own = (
            open_
            and actor is not None
            and request is not None
            and (request.proposed_by == actor.user_id)
        )
        for button in (self.approve_button, self.reject_button):
            button.setEnabled(open_ and not own)
            button.setToolTip("You proposed it: a second admin decides" if own else "")
        self.withdraw_button.setEnabled(own)

    def approve(self) -> None:
        request, actor = self.selected(), self.host.app.actor
        if request is None or actor is None:
            return
        requests = self.host.app.flag_requests
        self.host.run_action(
            _about("flags.approve", request),
            lambda: requests.approve(actor, request.id, source="window"),
            message=f"Request #{request.id} approved",
            ask=lambda: self.host.ask_confirm(
                f"Approve {request.summary}?",
                f"{request.proposer_name} asks to set {request.flag} to the value shown: "
                f"{request.reason}\n\nApprove and apply it now (or at its time)?",
            ),
        )

    def reject(self) -> None:
        request, actor = self.selected(), self.host.app.actor
        if request is None or actor is None:
            return
        note = self.host.ask_reason(f"Reject {request.summary}?", "Why (kept with the decision):")
        if note is None:
            return
        requests = self.host.app.flag_requests
        self.host.run_action(
            _about("flags.reject", request, note),
            lambda: requests.reject(actor, request.id, note, source="window"),
            message=f"Request #{request.id} rejected",
        )

    def withdraw(self) -> None:
        request, actor = self.selected(), self.host.app.actor
        if request is None or actor is None:
            return
        requests = self.host.app.flag_requests
        self.host.run_action(
            _about("flags.withdraw", request),
            lambda: requests.withdraw(actor, request.id, source="window"),
            message=f"Request #{request.id} withdrawn",
        )


class ScheduledTab(QWidget):
    """Scheduled flips with Cancel, and "Schedule…" for the selected flag."""

    def __init__(self, host: FlagsHost) -> None:
        super().__init__()
        self.host = host
        #: Asks when to flip: (title, label) -> text such as "+2h"; replaceable in tests.
        self.ask_when: Callable[[str, str], str | None] = host.ask_reason
        self.model = ScheduledFlipsModel()
        self.table = row_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self.update_buttons)
        self.schedule_button = QPushButton("Schedule flip of the selected flag…")
        self.schedule_button.clicked.connect(self.schedule)
        self.cancel_button = QPushButton("Cancel flip")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(_buttons(self.schedule_button, self.cancel_button))
        self.update_buttons()

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.flip_at(rows[0].row()) if rows else None

    def update_buttons(self, *_args: object) -> None:
        flip = self.selected()
        self.cancel_button.setEnabled(flip is not None and flip.status == "pending")
        view = self.host.selected_flag()
        self.schedule_button.setEnabled(view is not None and not view.state.locked)

    def schedule(self) -> None:
        view, actor = self.host.selected_flag(), self.host.app.actor
        if view is None or actor is None:
            return
        name = view.definition.name
        target = not view.state.value
        words = "on" if target else "off"
        text = self.ask_when(
            f"Turn {name} {words} when?", "When (+30m, 2h, 1d or 2026-12-24T18:00Z, UTC):"
        )
        if not text:
            return
        reason = None
        if view.definition.risky:
            reason = self.host.ask_reason(f"Why turn {name} {words}?", "Reason (audited):")
            if not reason:
                self.host.show_message(f"{name}: a reason is required")
                return
        try:
            at = parse_when(text, self.host.app.flag_schedules.clock())
        except LevqorError as exc:
            self.host.show_message(str(exc))
            return
        when = f"{at:%Y-%m-%d %H:%M} UTC"
        requests = self.host.app.flag_requests
        self.host.run_action(
            window_action(
                "flags.schedule", f"{name} -> {words} at {when}", details={"reason": reason}
            ),
            lambda: requests.change(actor, name, target, reason, at=at, source="window"),
            message=f"{name} → {words} at {when}",
        )

    def cancel(self) -> None:
        flip, actor = self.selected(), self.host.app.actor
        if flip is None or actor is None:
            return
        schedules = self.host.app.flag_schedules
        due = f"{flip.flag} -> {describe_value(flip.value)} due {flip.due_at:%Y-%m-%d %H:%M} UTC"
        self.host.run_action(
            window_action("flags.cancel_flip", f"scheduled flip #{flip.id}", preview=[due]),
            lambda: schedules.cancel(actor, flip.id, source="window"),
            message=f"Flip #{flip.id} canceled",
            ask=lambda: self.host.ask_confirm(
                f"Cancel flip #{flip.id}?", f"Cancel the flip of {flip.flag} due {flip.due_at:%c}?"
            ),
        )


class RolloutTab(QWidget):
    """The selected flag's rollout: organizations, share and what it is drawn over."""

    def __init__(self, host: FlagsHost) -> None:
        super().__init__()
        self.host = host
        self.title = QLabel("Select a flag above")
        self.title.setObjectName("SectionTitle")
        self.share_label = QLabel()
        self.share_label.setWordWrap(True)
        self.orgs_edit = QLineEdit()
        self.orgs_edit.setPlaceholderText("organization slugs or ids, comma-separated")
        self.percent = QDoubleSpinBox()
        self.percent.setRange(0.0, 100.0)
        self.percent.setDecimals(2)
        self.percent.setSuffix(" %")
        self.by = QComboBox()
        self.by.addItems(["org", "user"])
        self.apply_button = QPushButton("Apply rollout")
        self.apply_button.clicked.connect(self.apply)
        self.clear_button = QPushButton("Remove rollout")
        self.clear_button.clicked.connect(self.clear)
        form = QFormLayout()
        form.addRow("Organizations", self.orgs_edit)
        form.addRow("Share", self.percent)
        form.addRow("Drawn by", self.by)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.share_label)
        layout.addLayout(form)
        layout.addLayout(_buttons(self.clear_button, self.apply_button))
        layout.addStretch(1)
        self._shown_for: str | None = None

    def show_rollout(self, view: FlagView | None, rollout: Rollout | None) -> None:
        allowed = view is not None and view.definition.rollout_allowed
        for w in (self.orgs_edit, self.percent, self.by, self.apply_button):
            w.setEnabled(allowed)
        self.clear_button.setEnabled(allowed and rollout is not None)
        if view is None:
            self.title.setText("Select a flag above")
            self.share_label.setText("")
            return
        name = str(view.definition.name)
        self.title.setText(f"Rollout of {name}")
        if not allowed:
            self.share_label.setText(
                f"{name} is a risky infrastructure flag: it is on or off for the whole "
                "installation, never rolled out."
            )
        elif view.state.value:
            self.share_label.setText(f"{name} is on for everyone (100%): a rollout adds nothing.")
        elif rollout is None:
            self.share_label.setText(f"{name} is off for everyone (0%): no rollout.")
        else:
            self.share_label.setText(
                f"<b>On for {rollout.describe()}</b> while the flag is off. Who is in the "
                f"share is drawn by a stable hash of each {rollout.bucket_by}'s id, so it "
                f"stays the same. Set by {rollout.updater_name}, "
                f"{rollout.updated_at:%Y-%m-%d %H:%M} UTC."
            )
        if self._shown_for != name:  # keep what the operator is typing
            self._shown_for = name
            self.orgs_edit.setText(", ".join(map(str, rollout.org_ids)) if rollout else "")
            self.percent.setValue(rollout.share_percent if rollout else 0.0)
            self.by.setCurrentText(rollout.bucket_by if rollout else "org")

    def apply(self) -> None:
        view, actor = self.host.selected_flag(), self.host.app.actor
        if view is None or actor is None:
            return
        orgs = [o.strip() for o in self.orgs_edit.text().split(",") if o.strip()]
        name, share, by = view.definition.name, self.percent.value(), self.by.currentText()
        rollouts, shown = self.host.app.flag_rollouts, ",".join(orgs) or "-"
        self.host.run_action(
            window_action("flags.rollout", f"{name}: orgs {shown}, {share}% by {by}"),
            lambda: rollouts.set(
                actor, name, orgs=orgs, share_percent=share, bucket_by=by, source="window"
            ),
            message=f"Rollout of {name} saved",
        )

    def clear(self) -> None:
        view, actor = self.host.selected_flag(), self.host.app.actor
        if view is None or actor is None:
            return
        self._shown_for = None
        name, rollouts = view.definition.name, self.host.app.flag_rollouts
        self.host.run_action(
            window_action("flags.rollout_clear", name),
            lambda: rollouts.clear(actor, name, source="window"),
            message=f"Rollout of {name} removed",
        )
