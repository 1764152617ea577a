"""What every subcommand gets: settings, the App (built on first use) and output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any, TextIO

from levqor_desktop.errors import LevqorError

if TYPE_CHECKING:
    # Imported where first used: the App and Settings pull in SQLAlchemy, pydantic and
    # the rest, which `levqor --help` and the command modules' own `--help` never need.
    from levqor_desktop.app import App
    from levqor_desktop.core.tenancy import Actor
    from levqor_desktop.settings import Settings


class CliContext:
    def __init__(self, args: argparse.Namespace, out: TextIO | None = None) -> None:
        self.args = args
        self.out = out or sys.stdout
        self.json: bool = bool(getattr(args, "json", False))
        self._settings: Settings | None = None
        self._app: App | None = None
        self._actor: Actor | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from levqor_desktop.settings import Settings

            self._settings = Settings.from_env()
        return self._settings

    def app(self, *, start: bool = True, upgrade: bool = True) -> App:
        """The App, built once; started (schema upgraded) unless told otherwise."""
        if self._app is None:
            from levqor_desktop.core.logging import configure_logging

            self.settings.ensure_dirs()
            configure_logging(self.settings)
            # Looked up on the module each time, so a test can replace ``build_app``.
            builder = globals().get("build_app") or __getattr__("build_app")
            self._app = builder(
                self.settings,
                profile=getattr(self.args, "profile", None),
                password_prompt=_terminal_prompt,
            )
        if start:
            self._app.start(upgrade=upgrade)
        return self._app

    @property
    def actor(self) -> Actor:
        """Who acts: ``--as USER`` (e-mail or id) in their first organization, else the
        default operator."""
        if self._actor is None:
            app = self.app()
            who = getattr(self.args, "as_user", None)
            self._actor = app.orgs.actor_for(who) if who else app.actor
            if self._actor is None:
                raise LevqorError("the database has no default operator (run: levqor db upgrade)")
        return self._actor

    def close(self) -> None:
        if self._app is not None:
            self._app.close()

    # -- output -----------------------------------------------------------------------

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def emit_json(self, data: Any) -> None:
        print(json.dumps(_jsonable(data), indent=2, sort_keys=True, default=str), file=self.out)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """A plain aligned text table."""
        cells = [[str(h) for h in headers]] + [
            ["" if c is None else str(c) for c in r] for r in rows
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
        for n, row in enumerate(cells):
            self.print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                self.print("  ".join("-" * w for w in widths))


def _jsonable(data: Any) -> Any:
    if is_dataclass(data) and not isinstance(data, type):
        to_dict: Callable[[], Any] | None = getattr(data, "to_dict", None)
        return to_dict() if to_dict else asdict(data)
    if isinstance(data, list | tuple):
        return [_jsonable(d) for d in data]
    if isinstance(data, dict):
        return {str(k): _jsonable(v) for k, v in data.items()}
    return data


Handler = Callable[[CliContext], int]


def __getattr__(name: str) -> Any:
    # ``build_app`` is imported on first use: it pulls in the whole App, which
    # ``levqor --help`` never needs. It stays reachable (and replaceable) as an attribute.
    if name == "build_app":
        from levqor_desktop.app import build_app

        return build_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _terminal_prompt(text: str) -> str:
    """Ask for the file keyring's password at the terminal (never echoed)."""
    import getpass

    if not sys.stdin.isatty():
        raise LevqorError(
            "the file keyring needs its password and this is not a terminal",
            hint="set LEVQOR_KEYRING_PASSWORD for this process",
        )
    return getpass.getpass(f"{text}: ")
