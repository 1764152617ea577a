"""The base of every panel, and what a panel is given."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import QWidget

from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.guarded import GuardedActions
from levqor_desktop.ui.palette.commands import ACTIONS, Command
from levqor_desktop.ui.panels.offers import OFFERS, PanelOffer

if TYPE_CHECKING:
    from levqor_desktop.app import App


class WindowServices(Protocol):
    """What the main window offers panels."""

    def show_error(self, exc: BaseException) -> None: ...

    def show_message(self, text: str, timeout_ms: int = 5000) -> None: ...

    def notify(self, title: str, text: str) -> None: ...

    def reload_app(self) -> None: ...


@dataclass
class PanelContext:
    app: App
    bridge: Bridge
    window: WindowServices

    def show_error(self, exc: BaseException) -> None:
        self.window.show_error(exc)


class Panel(QWidget):
    """A page of the main window. Subclasses build their widgets in ``__init__``.

    ``on_shown``/``on_hidden`` are called when the panel becomes the visible page or stops
    being it: start polling in one, stop it in the other.

    What a panel offers the palette, the Actions menu and saved views is declared in
    :mod:`levqor_desktop.ui.panels.offers`; :meth:`commands` reads it.

    Every change a panel makes goes through ``self.guarded.run(...)``
    (:mod:`levqor_desktop.ui.guarded`): on a production profile it asks for the
    deployment's name, and on every profile the change is audited by ``app.guard``.
    """

    def __init__(self, ctx: PanelContext) -> None:
        super().__init__()
        self.ctx = ctx
        #: The production guard's gate for this panel's changes.
        self.guarded = GuardedActions(self, ctx)

    @property
    def app(self) -> App:
        return self.ctx.app

    @property
    def bridge(self) -> Bridge:
        return self.ctx.bridge

    def on_shown(self) -> None:
        """The panel became visible."""

    def on_hidden(self) -> None:
        """The panel is no longer visible."""

    def shutdown(self) -> None:
        """The window closes: stop timers and background work."""
        self.on_hidden()

    def offer(self) -> PanelOffer:
        """This panel's declared actions and saved-view widgets."""
        return OFFERS.get(type(self).__name__, PanelOffer())

    def commands(self) -> list[Command]:
        """The panel's actions as commands (the palette's "Actions", the Actions menu)."""
        name = type(self).__name__
        return [
            Command(
                f"{name}.{action.method}{''.join(f':{a}' for a in action.args)}",
                action.title,
                partial(getattr(self, action.method), *action.args),
                group=ACTIONS,
                shortcut=action.shortcut,
                bind_shortcut=not action.panel_binds_shortcut,
            )
            for action in self.offer().actions
        ]
