"""The strip above the pages for what an operator must see, with an optional action."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class Banner(QFrame):
    """A strip above the pages for errors an operator must see (with an optional action)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("Banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.action_button = QPushButton()
        self.action_button.hide()
        #: A second way out (e.g. "Back to staging" beside "Retry").
        self.second_button = QPushButton()
        self.second_button.hide()
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.second_button)
        layout.addWidget(close)
        self._action: Callable[[], None] | None = None
        self._second: Callable[[], None] | None = None
        self.action_button.clicked.connect(self._run_action)
        self.second_button.clicked.connect(self._run_second)
        self.hide()

    def show_text(
        self,
        text: str,
        *,
        severity: str = "error",
        action: tuple[str, Callable[[], None]] | None = None,
        second: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        from PySide6.QtCore import Qt  # here, not at import: Qt's enums cost start-up time

        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setProperty("severity", severity)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        if action:
            self.action_button.setText(action[0])
            self._action = action[1]
            self.action_button.show()
        else:
            self._action = None
            self.action_button.hide()
        if second:
            self.second_button.setText(second[0])
            self._second = second[1]
            self.second_button.show()
        else:
            self._second = None
            self.second_button.hide()
        self.show()

    def _run_action(self) -> None:
        action = self._action
        self.hide()
        if action:
            action()

    def _run_second(self) -> None:
        second = self._second
        self.hide()
        if second:
            second()
