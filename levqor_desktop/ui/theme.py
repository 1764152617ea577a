"""Light and dark themes that follow the system (Fusion style + a palette)."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

#: Status colours shared by panels (pass / warn / fail / no data).
OK = "#2e9d57"
WARN = "#d08a00"
FAIL = "#d0453b"
MUTED = "#8a8f98"


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``).

    The environment bands keep their colour in both themes (production stays red); the
    text on them picks its colour by contrast (WCAG relative luminance), so white sits
    on red and near-black on amber.
    """
    colour = QColor(background)

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = (
        0.2126 * linear(colour.redF())
        + 0.7152 * linear(colour.greenF())
        + 0.0722 * linear(colour.blueF())
    )
    # Contrast with white (1.05 / (L + 0.05)) against contrast with black ((L + 0.05) / 0.05).
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#1a1a1a"


def band_style(background: str) -> str:
    """The style sheet of an environment band or segment in ``background``."""
    return (
        f"background: {background}; color: {text_colour_on(background)};"
        " font-weight: 600; padding: 1px 8px; border-radius: 0;"
    )


def system_prefers_dark() -> bool:
    override = os.environ.get("LEVQOR_THEME", "").lower()
    if override in ("dark", "light"):
        return override == "dark"
    hints = QGuiApplication.styleHints()
    return hints.colorScheme().name == "Dark"


def dark_palette() -> QPalette:
    p = QPalette()
    base, alt, text, mid = (
        QColor("#1f2227"),
        QColor("#272b31"),
        QColor("#e6e6e6"),
        QColor("#3a3f47"),
    )
    p.setColor(QPalette.ColorRole.Window, QColor("#24272d"))
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, alt)
    p.setColor(QPalette.ColorRole.ToolTipBase, alt)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#2d3138"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.Mid, mid)
    p.setColor(QPalette.ColorRole.Highlight, QColor("#3d7bd9"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, QColor("#6aa5ff"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a8f98"))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7078"))
    return p


STYLESHEET = """
#Sidebar { border: none; font-size: 13px; }
#Sidebar::item { padding: 8px 12px; }
#Banner { border-radius: 4px; padding: 6px; }
#Banner[severity="error"] { background: #d0453b; color: white; }
#Banner[severity="info"] { background: #3d7bd9; color: white; }
QLabel#PanelTitle { font-size: 18px; font-weight: 600; }
QLabel#Muted { color: palette(placeholder-text); }
"""


def apply_theme(app: QApplication, dark: bool) -> None:
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(STYLESHEET)


def follow_system_theme(app: QApplication, settings: QSettings) -> Callable[[], None]:
    """Theme the app without delaying the first paint; return the system check.

    Asking Qt for the colour scheme builds all of Qt's namespace enums (tens of ms), so
    the theme of the last run is applied before the window shows, and the returned
    function — to run after the first paint — checks the system's preference and
    follows its changes from then on.
    """
    remembered = settings.value("ui/dark", False, type=bool)
    apply_theme(app, bool(remembered))

    def check() -> None:
        dark = system_prefers_dark()
        if dark != bool(settings.value("ui/dark", False, type=bool)):
            apply_theme(app, dark)
            settings.setValue("ui/dark", dark)

    def start_following() -> None:
        check()
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: check())

    return start_following
