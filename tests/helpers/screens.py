"""Pictures of a window with its popups (a dialog, an open menu) drawn where they are.

``QWidget.grab()`` renders one widget; popups are windows of their own, so they are
painted onto the window's picture at their place on screen.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QWidget

#: Set to a folder to keep the pictures (docs/screenshots/palette.png was made so).
SCREENSHOTS_ENV = "LEVQOR_SCREENSHOTS"


def save_with_popups(
    window: QWidget, name: str, fallback: Path, *popups: QWidget | tuple[QWidget, QPoint]
) -> Path:
    """Save ``window`` with ``popups`` drawn over it: shown ones where they are, others
    (a menu, which the offscreen platform cannot pop up) at the window point given."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    picture: QPixmap = window.grab()
    painter = QPainter(picture)
    origin = window.mapToGlobal(window.rect().topLeft())
    for entry in popups:
        if isinstance(entry, tuple):
            popup, top_left = entry
            popup.adjustSize()
        else:
            popup, top_left = entry, entry.mapToGlobal(entry.rect().topLeft()) - origin
        painter.drawPixmap(top_left, popup.grab())
    painter.end()
    path = folder / name
    assert picture.save(str(path))
    return path
