"""Which deployment this window runs on: the switcher, the colour band, a second window.

:class:`Deployments` is the window's part that knows profiles. It holds the toolbar's
"Deployment" combo, the band across the top of the window and the status bar's segment
(in the profile's colour, or its environment's), sets the window title, remembers the
last choice in QSettings, and opens another deployment in a second window.

A second window is a second process (the same program with ``--profile NAME``), not a
second App in this one: the App's logging handlers, Sentry client, ``gc.freeze`` and
``/metrics`` port are process-wide, and two deployments' workers and log lines would mix.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QProcess, QProcessEnvironment
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.ui.theme import band_style

if TYPE_CHECKING:
    from levqor_desktop.app import App
    from levqor_desktop.core.safety import Profile
    from levqor_desktop.ui.main_window import MainWindow

#: QSettings key of the profile chosen in the window (``--profile`` and
#: ``LEVQOR_PROFILE`` win over it).
LAST_PROFILE_KEY = "deployment/profile"

#: Starts a detached process: (program, arguments, extra environment) -> started?
Launcher = Callable[[str, list[str], dict[str, str]], bool]


def window_command(profile: str) -> tuple[str, list[str]]:
    """The program and arguments that open the window on ``profile``.

    Frozen (PyInstaller) the executable is the app itself; from source it is Python
    running this package.
    """
    if getattr(sys, "frozen", False):
        return sys.executable, ["--profile", profile]
    return sys.executable, ["-m", "levqor_desktop", "--profile", profile]


def start_detached(program: str, arguments: list[str], extra_env: dict[str, str]) -> bool:
    process = QProcess()
    process.setProgram(program)
    process.setArguments(arguments)
    env = QProcessEnvironment.systemEnvironment()
    for key, value in extra_env.items():
        env.insert(key, value)
    process.setProcessEnvironment(env)
    # PySide6 6.11's instance form returns a bool; its stubs say (bool, pid), as the
    # static form does.
    result: object = process.startDetached()
    return bool(result[0] if isinstance(result, tuple) else result)


def title_for(profile: Profile) -> str:
    return f"Levqor Desktop — {profile.name} ({profile.environment.value})"


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class Deployments:
    """The deployment controls of one window."""

    def __init__(
        self,
        window: MainWindow,
        requested: str | None,
        forced: bool,
        list_profiles: Callable[[], list[Profile]] | None = None,
    ) -> None:
        self.window = window
        #: Reads the profiles without an App (when none could start); None: no list then.
        self._list_profiles = list_profiles
        #: The profile to build the next App on (None: build_app's own default).
        self.requested = requested
        #: Chosen on the command line or by LEVQOR_PROFILE: not remembered.
        self._forced = forced
        #: The profile of the last App that started, for the failed switch's way back.
        self.previous: str | None = None
        self.profiles: list[Profile] = []
        #: Replaceable in tests: (title, items) -> chosen item, and the process launcher.
        self.ask_profile: Callable[[str, list[str]], str | None] = self._profile_dialog
        self.launch: Launcher = start_detached

        self.band = QLabel("")
        self.band.setObjectName("DeploymentBand")
        self.band.setFixedHeight(22)
        self.band.hide()
        self.combo = QComboBox()
        self.combo.setObjectName("DeploymentCombo")
        self.combo.setToolTip("The deployment this window runs on")
        self.combo.setMinimumContentsLength(24)
        self.combo.activated.connect(self._combo_activated)
        self.selector = QWidget()
        row = QHBoxLayout(self.selector)
        row.setContentsMargins(4, 0, 8, 0)
        row.addWidget(QLabel("Deployment"))
        row.addWidget(self.combo)

    def under_band(self, content: QWidget) -> QWidget:
        """``content`` with the band across its top (the window's central widget)."""
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.band)
        column.addWidget(content, 1)
        return page

    # -- the App's profile -----------------------------------------------------------

    def attached(self, app: App) -> None:
        """The App started: show its profile, remember it, reload the list."""
        profile = app.profile
        self.requested = self.previous = profile.name
        if not self._forced:
            self.window.qsettings.setValue(LAST_PROFILE_KEY, profile.name)
        self.window.setWindowTitle(title_for(profile))
        self._show_band(profile)
        self.window.status.set_deployment(
            profile.name, profile.environment.value, profile.band_colour
        )
        # The known list until the fresh one is read (a first start knows only this one).
        self._fill(self.profiles or [profile])
        self.window.bridge.submit(app.profiles.list, on_result=self._fill)

    def _show_band(self, profile: Profile | None, state: str = "") -> None:
        """The band for ``profile``, also while connecting or after a failed start, so
        the environment stays in sight before the App is there (hidden if unknown)."""
        if profile is None:
            self.band.hide()
            return
        suffix = f" · {state}" if state else ""
        self.band.setText(f"{profile.environment.value.upper()} · {profile.name}{suffix}")
        self.band.setStyleSheet(band_style(profile.band_colour) + " font-size: 12px;")
        self.band.setToolTip(f"This window acts on the {profile.environment.value} deployment")
        self.band.show()

    def _known(self, name: str | None) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)

    def _fill(self, profiles: list[Profile]) -> None:
        self.profiles = profiles
        current = self.window.app.profile.name if self.window.app else self.requested
        self.combo.blockSignals(True)
        self.combo.clear()
        for profile in self.profiles:
            label = f"{profile.name} ({profile.environment.value})"
            self.combo.addItem(_swatch(profile.band_colour), label, profile.name)
        if current and self.combo.findData(current) < 0:
            # A remembered or typed name that is not (or no longer) a profile.
            self.combo.addItem(f"{current} (unknown)" if self.profiles else current, current)
        self.combo.setCurrentIndex(max(self.combo.findData(current), 0))
        self.combo.blockSignals(False)
        if self.window.app is None:
            # No App yet: the band names where this window is going (or failed to go).
            state = "connecting…" if self.window.starting else "not connected"
            self._show_band(self._known(current), state)

    def names(self) -> list[str]:
        return [p.name for p in self.profiles]

    # -- switching ---------------------------------------------------------------------

    def _combo_activated(self, index: int) -> None:
        name = self.combo.itemData(index)
        if isinstance(name, str):
            self.switch(name)

    def switch(self, name: str) -> None:
        """Close this window's App and start one on ``name`` (off the UI thread)."""
        app = self.window.app
        if app is not None and app.profile.name == name:
            return
        if self.window.starting:
            # One App at a time: the choice waits until the current start ends.
            self.window.show_message(f"still connecting to {self.requested}…")
            self._fill(self.profiles)
            return
        self._forced = False
        self.requested = name
        self._show_band(self._known(name), "connecting…")
        self.window.status.deployment.hide()
        self.window.setWindowTitle(f"Levqor Desktop — connecting to {name}…")
        self.window.reload_app()

    def failure_actions(
        self,
    ) -> tuple[tuple[str, Callable[[], None]], tuple[str, Callable[[], None]] | None]:
        """The banner's buttons when the App did not start: Retry, and a way back."""
        retry = ("Retry", self.window.start)
        back = self.previous if self.previous != self.requested else None
        if back is None and self.requested not in (None, "local"):
            back = "local"
        if back is None:
            return retry, None
        return retry, (f"Back to {back}", lambda: self._go_back(back))

    def _go_back(self, name: str) -> None:
        self.requested = name
        self.window.start()

    def start_failed(self) -> None:
        name = self.requested or "the default deployment"
        self.window.setWindowTitle(f"Levqor Desktop — {name} (not connected)")
        self._show_band(self._known(self.requested), "not connected")
        self.window.status.deployment.hide()
        self._fill(self.profiles)
        if not self.profiles and self._list_profiles is not None:
            # No App has started yet: read the list directly, so the combo still offers
            # the other deployments.
            self.window.bridge.submit(self._list_profiles, on_result=self._fill)

    def ask_and_switch(self) -> None:
        choice = self._ask("Switch deployment", exclude_current=True)
        if choice:
            self.switch(choice)

    # -- side by side ------------------------------------------------------------------

    def ask_and_open_window(self) -> None:
        choice = self._ask("Open deployment in new window", exclude_current=True)
        if choice:
            self.open_window(choice)

    def open_window(self, name: str) -> bool:
        """Start a second window process on ``name``; say so in the status bar."""
        program, arguments = window_command(name)
        # The second process serves /metrics on a free port: this one holds the usual.
        ok = self.launch(program, arguments, {"LEVQOR_METRICS_PORT": "0"})
        if ok:
            self.window.show_message(f"opening {name} in a new window…")
        else:
            self.window.banner.show_text(f"Could not start a window on {name}: {program}")
        return ok

    def _ask(self, title: str, *, exclude_current: bool) -> str | None:
        current = self.window.app.profile.name if self.window.app else None
        names = [n for n in self.names() if not (exclude_current and n == current)]
        if not names:
            self.window.show_message(
                "no other deployment profile: add one with `levqor profiles add`"
            )
            return None
        labels = {self._label(n): n for n in names}
        chosen = self.ask_profile(title, list(labels))
        return labels.get(chosen or "")

    def _label(self, name: str) -> str:
        env = next((p.environment.value for p in self.profiles if p.name == name), "")
        return f"{name} ({env})" if env else name

    def _profile_dialog(self, title: str, items: Sequence[str]) -> str | None:
        item, ok = QInputDialog.getItem(self.window, title, "Deployment:", list(items), 0, False)
        return item if ok else None


def requested_profile(forced: str | None, remembered: object) -> tuple[str | None, bool]:
    """The profile to open and whether it was forced (``--profile``, ``LEVQOR_PROFILE``)."""
    if forced:
        return forced, True
    return (remembered if isinstance(remembered, str) and remembered else None), False
