"""The production guard's dialog: type the deployment's name to make a change.

Shown by :mod:`levqor_desktop.ui.guarded` before any mutating window action on a
production profile. It names the deployment and its environment on a band in the
profile's colour, says what will change (the action, its target, how many, a preview of
the affected items) and keeps its confirm button disabled until the operator has typed
the profile's name exactly. Escape or Cancel changes nothing. The dialog only asks:
``app.guard.run`` still decides and audits.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.safety import GuardedAction, Profile
from levqor_desktop.ui.theme import FAIL

#: Preview lines shown; the rest are summed up as "and K more".
PREVIEW_SHOWN = 8


def preview_lines(preview: Sequence[str], count: int, shown: int = PREVIEW_SHOWN) -> list[str]:
    """The first ``shown`` items and, when the count is larger, "and K more"."""
    lines = list(preview[:shown])
    more = max(count, len(preview)) - len(lines)
    if more > 0:
        lines.append(f"and {more:,} more")
    return lines


class GuardDialog(QDialog):
    """Asks for the deployment's name before a production change."""

    def __init__(
        self,
        action: GuardedAction,
        profile: Profile,
        actor_name: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.action = action
        self.profile = profile
        self.setWindowTitle(f"Confirm on {profile.name}")
        self.setMinimumWidth(520)

        band = QFrame()
        band.setObjectName("GuardBand")
        band.setStyleSheet(
            f"#GuardBand {{ background: {profile.band_colour}; border-radius: 4px; }}"
            "#GuardBand QLabel { color: white; }"
        )
        self.band_label = QLabel(f"{profile.environment.value.upper()} · {profile.name}")
        font = QFont(self.band_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.band_label.setFont(font)
        band_note = QLabel("You are changing a production deployment.")
        band_layout = QVBoxLayout(band)
        band_layout.addWidget(self.band_label)
        band_layout.addWidget(band_note)

        what = f"<b>{action.action}</b>" + (f" — {_escape(action.target)}" if action.target else "")
        self.what_label = QLabel(what)
        self.what_label.setWordWrap(True)
        who = f" (as {_escape(actor_name)})" if actor_name else ""
        self.count_label = QLabel(
            f"<span style='color:{FAIL}; font-weight:600'>{action.count:,} will change</span>{who}"
        )
        reason = action.details.get("reason")
        self.reason_label = QLabel(f"Reason: {reason}" if reason else "")
        self.reason_label.setObjectName("Muted")
        self.reason_label.setWordWrap(True)
        self.reason_label.setVisible(bool(reason))
        self.preview = QListWidget()
        self.preview.setObjectName("GuardPreview")
        lines = preview_lines(action.preview, action.count)
        self.preview.addItems(lines)
        if len(lines) > len(action.preview[:PREVIEW_SHOWN]):  # the "and K more" line
            more = self.preview.item(len(lines) - 1)
            italic = QFont(more.font())
            italic.setItalic(True)
            more.setFont(italic)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.preview.setVisible(bool(lines))
        rows = self.preview.sizeHintForRow(0) * len(lines) if lines else 0
        self.preview.setFixedHeight(rows + 2 * self.preview.frameWidth() + 4)

        self.prompt = QLabel(f"Type <b>{_escape(profile.name)}</b> to confirm:")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(profile.name)
        self.prompt.setBuddy(self.name_edit)
        self.hint = QLabel()
        self.hint.setObjectName("Muted")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.addButton(
            f"Change {profile.name}", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setObjectName("GuardConfirm")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)  # Enter never means Cancel; Esc does
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._typed)

        layout = QVBoxLayout(self)
        layout.addWidget(band)
        layout.addWidget(self.what_label)
        layout.addWidget(self.count_label)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.preview)
        layout.addSpacing(6)
        layout.addWidget(self.prompt)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        # Default once it is in the dialog: Enter confirms, and only when it is enabled.
        self.ok_button.setDefault(True)
        self.name_edit.setFocus()
        self._typed("")

    def typed(self) -> str:
        return self.name_edit.text()

    def matches(self) -> bool:
        # Exactly the name: no trimming, no case folding (the guard compares the same way).
        return self.typed() == self.profile.name

    def _typed(self, _text: str) -> None:
        ok = self.matches()
        self.ok_button.setEnabled(ok)
        typed = self.typed()
        # Say so only once the text can no longer become the name.
        wrong = bool(typed) and not self.profile.name.startswith(typed)
        self.hint.setText(f"that is not {self.profile.name!r}" if wrong else "")

    def accept(self) -> None:
        # Enter in the line edit reaches here even while the button is disabled.
        if self.matches():
            super().accept()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
