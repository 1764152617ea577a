"""Who acts in this window: an organization and a user, chosen in the title area.

Switching changes ``app.actor`` for the window session; panels read ``app.actor`` on
each refresh and listen to :attr:`ActorSelector.actor_changed`. :func:`gate` disables a
button the acting role may not use, with a tooltip naming the role it needs (the core
services refuse such calls anyway: this only keeps the window honest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from levqor_desktop.core.orgs import MemberView, OrgView
from levqor_desktop.core.permissions import Permission, allowed, minimum_role
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.panels.base import Panel

if TYPE_CHECKING:
    from levqor_desktop.app import App
    from levqor_desktop.ui.main_window import MainWindow

Directory = list[tuple[OrgView, list[MemberView]]]


def gate(widget: QWidget, actor: Actor | None, permission: Permission, tooltip: str = "") -> bool:
    """Enable ``widget`` only if ``actor`` holds ``permission``; say why when it does not.

    Returns whether it is allowed, so callers can combine it with their own conditions.
    """
    ok = actor is not None and allowed(actor.role, permission)
    widget.setEnabled(ok)
    if ok:
        widget.setToolTip(tooltip)
    else:
        acting = f" (you act as {actor.role})" if actor is not None else ""
        widget.setToolTip(f"Needs the {minimum_role(permission)} role{acting}")
    return ok


class ActorSelector(QWidget):
    """Two combo boxes: organization, then one of its members."""

    #: The new Actor, after ``app.actor`` was set.
    actor_changed = Signal(object)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ActorSelector")
        self.bridge = bridge
        self.app: App | None = None
        self.directory: Directory = []
        self._filling = False
        self.org_box = QComboBox()
        self.org_box.setToolTip("The organization this window acts in")
        self.org_box.setMinimumContentsLength(22)
        self.user_box = QComboBox()
        self.user_box.setToolTip("The user this window acts as")
        self.user_box.setMinimumContentsLength(16)
        self.role_label = QLabel()
        self.role_label.setObjectName("ActorRole")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(QLabel("Acting in"))
        layout.addWidget(self.org_box)
        layout.addWidget(QLabel("as"))
        layout.addWidget(self.user_box)
        layout.addWidget(self.role_label)
        self.org_box.currentIndexChanged.connect(self._org_chosen)
        self.user_box.currentIndexChanged.connect(self._user_chosen)
        self.setEnabled(False)

    def attach(self, app: App) -> None:
        self.app = app
        self.refresh()

    def refresh(self) -> None:
        """Reload organizations and members (after changes in the Organizations panel)."""
        if self.app is not None:
            self.bridge.submit(self.app.orgs.directory, on_result=self._fill)

    @property
    def actor(self) -> Actor | None:
        return self.app.actor if self.app is not None else None

    def _fill(self, directory: Directory) -> None:
        self.directory = directory
        current = self.actor
        self._filling = True
        try:
            self.org_box.clear()
            for org, _members in directory:
                self.org_box.addItem(org.name, org.id)
            index = next(
                (n for n, (o, _) in enumerate(directory) if current and o.id == current.org_id), 0
            )
            self.org_box.setCurrentIndex(index)
            self._fill_users(current.user_id if current else None)
        finally:
            self._filling = False
        self.setEnabled(bool(directory))
        self._show_role()

    def _members(self) -> list[MemberView]:
        row = self.org_box.currentIndex()
        return self.directory[row][1] if 0 <= row < len(self.directory) else []

    def _fill_users(self, prefer: int | None) -> None:
        members = self._members()
        self.user_box.clear()
        for member in members:
            self.user_box.addItem(f"{member.display_name} ({member.role})", member.user_id)
        index = next((n for n, m in enumerate(members) if m.user_id == prefer), 0)
        self.user_box.setCurrentIndex(index)

    def _org_chosen(self, _row: int) -> None:
        if self._filling:
            return
        self._filling = True
        try:
            self._fill_users(self.actor.user_id if self.actor else None)
        finally:
            self._filling = False
        self._switch()

    def _user_chosen(self, _row: int) -> None:
        if not self._filling:
            self._switch()

    def choose(self, org_id: int, user_id: int) -> None:
        """Select an organization and user (as the operator would), then switch."""
        self._filling = True
        try:
            self.org_box.setCurrentIndex(max(self.org_box.findData(org_id), 0))
            self._fill_users(user_id)
        finally:
            self._filling = False
        self._switch()

    def _switch(self) -> None:
        app = self.app
        org_id, user_id = self.org_box.currentData(), self.user_box.currentData()
        if app is None or org_id is None or user_id is None:
            return
        current = app.actor
        if current is not None and (current.org_id, current.user_id) == (org_id, user_id):
            return
        self.bridge.submit(app.orgs.actor_for, user_id, org_id, on_result=self._switched)

    def _switched(self, actor: Actor) -> None:
        if self.app is None:
            return
        self.app.actor = actor
        self._show_role()
        self.actor_changed.emit(actor)

    def _show_role(self) -> None:
        actor = self.actor
        self.role_label.setText(f"· {actor.role}" if actor else "")


def install_actor_selector(window: MainWindow) -> ActorSelector:
    """Put the selector in the window's toolbar; it fills once the App is ready.

    Switching actor reloads the visible panel; changes made in the Organizations panel
    reload the selector's lists.
    """
    selector = ActorSelector(window.bridge)
    window.add_toolbar_widget(selector)
    window.app_ready.connect(selector.attach)
    if window.app is not None:
        selector.attach(window.app)

    def panel_created(key: str) -> None:
        panel = window.panel(key)
        changed = getattr(panel, "changed", None)
        if key == "orgs" and changed is not None:
            changed.connect(selector.refresh)

    def reload_visible(_actor: Actor) -> None:
        panel = window.pages.currentWidget()
        if isinstance(panel, Panel):
            panel.on_hidden()
            panel.on_shown()

    window.panel_created.connect(panel_created)
    selector.actor_changed.connect(reload_visible)
    return selector
