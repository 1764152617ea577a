"""``python -m levqor_desktop`` / ``levqor-desktop``: the window.

Only Qt is imported before the window shows; the App (settings, database, services) is
built off the UI thread right after, so the window appears at once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from levqor_desktop.app import App
    from levqor_desktop.core.safety import Profile
    from levqor_desktop.ui.main_window import MainWindow


@dataclass(frozen=True)
class WindowArgs:
    screenshots: Path | None = None
    version: bool = False
    #: The deployment profile to open (wins over LEVQOR_PROFILE and the remembered one).
    profile: str | None = None


def parse_args(argv: Sequence[str] | None) -> WindowArgs:
    if not argv:
        # The common case, without importing argparse on the way to the first paint.
        return WindowArgs()
    import argparse

    parser = argparse.ArgumentParser(prog="levqor-desktop", description="Levqor Desktop window")
    parser.add_argument(
        "--screenshots",
        metavar="DIR",
        type=Path,
        help="save a PNG of every panel into DIR and exit",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="open this deployment profile (see `levqor profiles list`)",
    )
    ns = parser.parse_args(argv)
    return WindowArgs(screenshots=ns.screenshots, version=ns.version, profile=ns.profile)


def _build_app(profile: str | None = None) -> App:
    # Imported here, on the start-up thread, to keep the window's first paint fast.
    from levqor_desktop.app import build_app
    from levqor_desktop.core.logging import configure_logging
    from levqor_desktop.settings import Settings

    settings = Settings.from_env()
    settings.ensure_dirs()
    configure_logging(settings)
    app = build_app(settings, profile=profile)
    if settings.ops_api_enabled:
        from levqor_desktop.core.opsapi.server import build_ops_server

        app.background.append(build_ops_server(app, port=settings.ops_api_port))
    return app


def _list_profiles() -> list[Profile]:
    """The deployment profiles, read without an App (the window's combo when none started)."""
    from levqor_desktop.core.safety import PROFILES_FILE_NAME, ProfileStore
    from levqor_desktop.core.secrets import SecretStore, select_backend
    from levqor_desktop.settings import Settings

    settings = Settings.from_env()
    # Listing reads only profiles.json: the keyring is never asked.
    secrets = SecretStore(lambda: select_backend(settings.environ, settings.data_dir, None))
    return ProfileStore(settings.config_dir / PROFILES_FILE_NAME, secrets, settings).list()


def _qt_message_to_log(mode: object, _context: object, message: str) -> None:
    """Qt's own messages go to the log (api.log) instead of the terminal."""
    import logging

    name = getattr(mode, "name", "")
    level = {
        "QtDebugMsg": logging.DEBUG,
        "QtInfoMsg": logging.INFO,
        "QtWarningMsg": logging.WARNING,
    }
    logging.getLogger("levqor.qt").log(level.get(name, logging.ERROR), "%s", message)


def launch(args: WindowArgs) -> tuple[QApplication, MainWindow]:
    """Create the QApplication and the window, show it, and start the App off-thread."""
    from PySide6.QtCore import QCoreApplication, QSettings, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from levqor_desktop.ui.main_window import MainWindow
    from levqor_desktop.ui.theme import follow_system_theme

    qInstallMessageHandler(_qt_message_to_log)
    QCoreApplication.setOrganizationName("Levqor")
    QCoreApplication.setApplicationName("Levqor Desktop")
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    check_theme = follow_system_theme(qapp, QSettings())
    import os

    window = MainWindow(
        _build_app,
        profile=args.profile or os.environ.get("LEVQOR_PROFILE"),
        list_profiles=_list_profiles,
    )
    window.after_first_paint(check_theme)
    installed: list[bool] = []

    def add_actor_selector(_app: object) -> None:
        # Once the App is ready: the selector's module imports the core (SQLAlchemy),
        # which by then the start-up thread has loaded; before the first paint it would
        # cost half a second.
        if not installed:
            from levqor_desktop.ui.actor_selector import install_actor_selector

            install_actor_selector(window)
            installed.append(True)

    window.app_ready.connect(add_actor_selector)
    window.show()
    window.start()
    return qapp, window


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.version:
        from levqor_desktop import __version__

        print(f"levqor-desktop {__version__}")
        return 0
    qapp, window = launch(args)
    exit_code = [0]
    if args.screenshots is not None:
        from levqor_desktop.ui.screenshots import ScreenshotTour

        def finish(code: int) -> None:
            exit_code[0] = code
            window.close()
            qapp.quit()

        ScreenshotTour(window, args.screenshots, finish)
    qapp.exec()
    return exit_code[0]


if __name__ == "__main__":
    sys.exit(main())
