"""Organizations: the organizations the acting user belongs to, their members and roles.

Owners create and rename organizations and manage members; other roles see the same
tables with those buttons disabled, the tooltip naming the role needed. With
MULTI_TENANT_ENABLED off there is only the default organization and nothing to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.models import Role
from levqor_desktop.core.orgs import MemberView, OrgView
from levqor_desktop.core.permissions import Permission
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.ui.actor_selector import gate
from levqor_desktop.ui.models.organizations_model import members_model, orgs_model
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.theme import MUTED
from levqor_desktop.ui.widgets.tables import row_table

FLAG_OFF = "MULTI_TENANT_ENABLED is off: there is only the default organization"


@dataclass(frozen=True)
class OrgsSnapshot:
    actor: Actor
    multi_tenant: bool
    orgs: list[OrgView]
    members: dict[int, list[MemberView]]


@dataclass(frozen=True)
class NewMember:
    email: str
    name: str
    role: Role


class OrganizationsPanel(Panel):
    #: Organizations or members changed (the actor selector reloads its lists).
    changed = Signal()

    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        #: Dialog hooks, replaceable in tests.
        self.ask_text: Callable[[str, str, str], str | None] = self._text_dialog
        self.ask_member: Callable[[], NewMember | None] = self._member_dialog
        self.ask_role: Callable[[Role], Role | None] = self._role_dialog
        self.ask_confirm: Callable[[str], bool] = self._confirm_dialog
        self.snapshot: OrgsSnapshot | None = None

        title = QLabel("Organizations")
        title.setObjectName("PanelTitle")
        self.flag_note = QLabel(FLAG_OFF)
        self.flag_note.setStyleSheet(f"color: {MUTED};")
        self.create_button = QPushButton("New organization…")
        self.create_button.clicked.connect(self.create_org)
        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(self.rename_org)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addWidget(self.flag_note)
        header.addStretch(1)
        for button in (self.create_button, self.rename_button, refresh):
            header.addWidget(button)

        self.orgs_model = orgs_model()
        self.orgs_table = row_table(self.orgs_model, stretch=0)
        self.orgs_table.selectionModel().selectionChanged.connect(lambda *_: self._show_members())

        self.members_model = members_model()
        self.members_table = row_table(self.members_model, stretch=0)
        self.members_table.selectionModel().selectionChanged.connect(lambda *_: self._gate())
        self.add_button = QPushButton("Add member…")
        self.add_button.clicked.connect(self.add_member)
        self.role_button = QPushButton("Change role…")
        self.role_button.clicked.connect(self.change_role)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_member)
        self.members_box = QGroupBox("Members")
        members_layout = QVBoxLayout(self.members_box)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.add_button, self.role_button, self.remove_button):
            buttons.addWidget(button)
        members_layout.addLayout(buttons)
        members_layout.addWidget(self.members_table)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.orgs_table)
        split.addWidget(self.members_box)
        split.setSizes([450, 650])
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(split, 1)
        self._gate()

    # -- data -------------------------------------------------------------------------

    def _load(self) -> OrgsSnapshot | None:
        actor = self.app.actor
        if actor is None:
            return None
        orgs = self.app.orgs.organizations(actor)
        members = {
            o.id: self.app.orgs.members(self.app.orgs.actor_for(actor.user_id, o.id)) for o in orgs
        }
        return OrgsSnapshot(actor, self.app.orgs.multi_tenant, orgs, members)

    def refresh(self) -> None:
        self.bridge.submit(self._load, on_result=self.show_snapshot, on_error=self.ctx.show_error)

    def on_shown(self) -> None:
        self.refresh()

    def show_snapshot(self, snapshot: OrgsSnapshot | None) -> None:
        if snapshot is None:
            return
        selected = self.selected_org()
        self.snapshot = snapshot
        self.flag_note.setVisible(not snapshot.multi_tenant)
        self.orgs_model.set_rows(snapshot.orgs)
        keep = selected.id if selected else snapshot.actor.org_id
        row = next((n for n, o in enumerate(snapshot.orgs) if o.id == keep), 0)
        if snapshot.orgs:
            self.orgs_table.selectRow(row)
        self._show_members()

    def selected_org(self) -> OrgView | None:
        rows = self.orgs_table.selectionModel().selectedRows()
        item: OrgView | None = self.orgs_model.row_at(rows[0].row()) if rows else None
        return item

    def selected_member(self) -> MemberView | None:
        rows = self.members_table.selectionModel().selectedRows()
        item: MemberView | None = self.members_model.row_at(rows[0].row()) if rows else None
        return item

    def _show_members(self) -> None:
        org = self.selected_org()
        members = self.snapshot.members.get(org.id, []) if (self.snapshot and org) else []
        self.members_model.set_rows(members)
        self.members_box.setTitle(f"Members of {org.name}" if org else "Members")
        self._gate()

    def _actor_in(self, org: OrgView | None) -> Actor | None:
        """The acting user with their role in ``org`` (roles differ between orgs)."""
        actor = self.app.actor
        if actor is None or org is None or org.role is None:
            return None
        return replace(actor, org_id=org.id, role=org.role)

    def _gate(self) -> None:
        org = self.selected_org()
        in_org = self._actor_in(org)
        multi = self.snapshot.multi_tenant if self.snapshot else False
        member = self.selected_member()
        gate(self.create_button, self.app.actor, Permission.MANAGE_ORGS)
        gate(self.rename_button, in_org, Permission.MANAGE_ORGS)
        for button in (self.add_button, self.role_button, self.remove_button):
            gate(button, in_org, Permission.MANAGE_MEMBERS)
        for button in (self.role_button, self.remove_button):
            if button.isEnabled() and member is None:
                button.setEnabled(False)
                button.setToolTip("Select a member first")
        if not multi:
            for button in (
                self.create_button,
                self.rename_button,
                self.add_button,
                self.role_button,
                self.remove_button,
            ):
                button.setEnabled(False)
                button.setToolTip(FLAG_OFF)

    # -- actions ----------------------------------------------------------------------

    def _run(self, fn: Callable[..., object], *args: object, message: str) -> None:
        def done(_result: object) -> None:
            self.ctx.window.show_message(message)
            self.changed.emit()
            self.refresh()

        self.bridge.submit(fn, *args, on_result=done, on_error=self.ctx.show_error)

    def create_org(self) -> None:
        actor = self.app.actor
        slug = self.ask_text("New organization", "Slug (lower-case, digits, dashes):", "")
        if not slug or actor is None:
            return
        name = self.ask_text("New organization", "Display name:", slug)
        if name:
            self._run(self.app.orgs.create, actor, slug, name, message=f"Created {name}")

    def rename_org(self) -> None:
        org = self.selected_org()
        actor = self._actor_in(org)
        if org is None or actor is None:
            return
        name = self.ask_text("Rename organization", "New name:", org.name)
        if name:
            self._run(self.app.orgs.rename, actor, name, message=f"Renamed to {name}")

    def add_member(self) -> None:
        actor = self._actor_in(self.selected_org())
        new = self.ask_member() if actor else None
        if new is not None and actor is not None:
            self._run(
                self.app.orgs.add_member, actor, new.email, new.name, new.role,
                message=f"Added {new.name} as {new.role}",
            )  # fmt: skip

    def change_role(self) -> None:
        actor = self._actor_in(self.selected_org())
        member = self.selected_member()
        if actor is None or member is None:
            return
        role = self.ask_role(member.role)
        if role is not None and role is not member.role:
            self._run(
                self.app.orgs.set_role, actor, member.user_id, role,
                message=f"{member.display_name} is now {role}",
            )  # fmt: skip

    def remove_member(self) -> None:
        actor = self._actor_in(self.selected_org())
        member = self.selected_member()
        if actor is None or member is None:
            return
        if self.ask_confirm(f"Remove {member.display_name} from this organization?"):
            self._run(
                self.app.orgs.remove_member, actor, member.user_id,
                message=f"Removed {member.display_name}",
            )  # fmt: skip

    # -- dialogs ----------------------------------------------------------------------

    def _text_dialog(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def _member_dialog(self) -> NewMember | None:
        dialog = MemberDialog(self)
        return dialog.result_member if dialog.exec() else None

    def _role_dialog(self, current: Role) -> Role | None:
        roles = [r.value for r in Role]
        choice, ok = QInputDialog.getItem(
            self, "Change role", "Role:", roles, roles.index(current.value), False
        )
        return Role(choice) if ok else None

    def _confirm_dialog(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Remove member", text)
        return answer == QMessageBox.StandardButton.Yes


class MemberDialog(QDialog):
    """E-mail, display name and role of a new member (only the e-mail's hash is kept)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add member")
        self.result_member: NewMember | None = None
        self.email = QLineEdit()
        self.email.setPlaceholderText("name@example.com (stored only as a SHA-256 hash)")
        self.name = QLineEdit()
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role.value, role)
        self.role.setCurrentIndex(self.role.findData(Role.OPERATOR))
        form = QFormLayout(self)
        form.addRow("E-mail", self.email)
        form.addRow("Display name", self.name)
        form.addRow("Role", self.role)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        self.result_member = NewMember(
            self.email.text().strip(), self.name.text().strip(), self.role.currentData()
        )
        super().accept()
