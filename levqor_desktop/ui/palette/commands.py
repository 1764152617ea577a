"""Commands: what the palette lists and the menus hold, in one registry.

A :class:`Command` is a title, a group (the menu it lives in), an optional shortcut and
a callable. The :class:`CommandRegistry` gathers the window's own commands, the current
panel's actions and the jump targets loaded from the App; the palette ranks them and the
menu bar lays them out, so both always show the same list. No Qt here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from levqor_desktop.ui.palette.ranking import rank

#: Menu groups, in menu-bar order.
FILE, GO, ACTIONS, VIEW, HELP = "File", "Go", "Actions", "View", "Help"
GROUPS = (FILE, GO, ACTIONS, VIEW, HELP)


@dataclass(frozen=True)
class Command:
    """One thing to do. ``id`` is stable (tests and menus find commands by it)."""

    id: str
    title: str
    run: Callable[[], object]
    group: str = GO
    shortcut: str = ""
    #: False when a widget already binds ``shortcut`` (the menu only shows it).
    bind_shortcut: bool = True
    #: Shown greyed after the title: what the command is about (a job's state, ...).
    detail: str = ""
    #: False: only in the palette (jump targets), not in the menus.
    in_menu: bool = True
    checkable: bool = False
    checked: bool = False

    @property
    def label(self) -> str:
        """The text the palette matches: "Go: Queue", "Actions: Refresh", ..."""
        return f"{self.group}: {self.title}"


CommandSource = Callable[[], Iterable[Command]]


class CommandRegistry:
    """Named sources of commands, read fresh each time (panels change, data loads)."""

    def __init__(self) -> None:
        self._sources: dict[str, CommandSource] = {}

    def add_source(self, name: str, source: CommandSource) -> None:
        self._sources[name] = source

    def commands(self) -> list[Command]:
        seen: set[str] = set()
        out: list[Command] = []
        for source in self._sources.values():
            for command in source():
                if command.id not in seen:
                    seen.add(command.id)
                    out.append(command)
        return out

    def find(self, command_id: str) -> Command | None:
        return next((c for c in self.commands() if c.id == command_id), None)

    def in_group(self, group: str) -> list[Command]:
        return [c for c in self.commands() if c.group == group and c.in_menu]

    def search(self, query: str, extra: Iterable[Command] = ()) -> list[Command]:
        """Every command matching ``query``, best first; ``extra`` are query-made ones
        (the "open job #N" entry) and come first when they match."""
        made = list(extra)
        return made + rank(query, self.commands(), lambda c: c.label)
