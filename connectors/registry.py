"""Which connectors exist: an explicit built-in list plus ``levqor.connectors`` plugins.

The built-ins are named here, one line each, never found by listing a directory: a
frozen (PyInstaller) app has no directory to list, and ``build.spec`` builds its hidden
imports from :data:`BUILTIN_CONNECTOR_MODULES`. To add a connector, add one line to
:data:`BUILTIN_CONNECTORS`, keeping the alphabetical order.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from importlib.metadata import EntryPoint, entry_points

from connectors.base import Connector, ConnectorContext
from connectors.errors import ConnectorError

__all__ = [
    "BUILTIN_CONNECTORS",
    "BUILTIN_CONNECTOR_MODULES",
    "ENTRY_POINT_GROUP",
    "ConnectorRegistry",
    "UnknownConnector",
    "load_builtin_connectors",
    "load_plugin_connectors",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "levqor.connectors"

# (module, class) — one line per connector, alphabetical by module.
BUILTIN_CONNECTORS: tuple[tuple[str, str], ...] = (
    ("connectors.ai", "AIConnector"),
    ("connectors.airtable", "AirtableConnector"),
    ("connectors.asana", "AsanaConnector"),
    ("connectors.clickup", "ClickUpConnector"),
    ("connectors.discord", "DiscordConnector"),
    ("connectors.email", "EmailConnector"),
    ("connectors.github", "GitHubConnector"),
    ("connectors.google_sheets", "GoogleSheetsConnector"),
    ("connectors.hubspot", "HubSpotConnector"),
    ("connectors.intercom", "IntercomConnector"),
    ("connectors.jira", "JiraConnector"),
    ("connectors.linear", "LinearConnector"),
    ("connectors.monday", "MondayConnector"),
    ("connectors.notion", "NotionConnector"),
    ("connectors.salesforce", "SalesforceConnector"),
    ("connectors.slack", "SlackConnector"),
    ("connectors.stripe", "StripeConnector"),
    ("connectors.telegram", "TelegramConnector"),
    ("connectors.trello", "TrelloConnector"),
    ("connectors.twilio", "TwilioConnector"),
    ("connectors.zendesk", "ZendeskConnector"),
)

BUILTIN_CONNECTOR_MODULES: tuple[str, ...] = tuple(module for module, _ in BUILTIN_CONNECTORS)


class UnknownConnector(ConnectorError, LookupError):
    kind = "unknown_connector"


def load_builtin_connectors() -> list[type[Connector]]:
    """Import every built-in; a broken built-in is a bug and raises."""
    classes = []
    for module_name, class_name in BUILTIN_CONNECTORS:
        cls = getattr(importlib.import_module(module_name), class_name)
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise TypeError(f"{module_name}.{class_name} is not a Connector subclass")
        classes.append(cls)
    return classes


def load_plugin_connectors(
    eps: Iterable[EntryPoint] | None = None,
) -> list[type[Connector]]:
    """Load third-party connectors; a broken plugin is logged and skipped, never fatal."""
    found = entry_points(group=ENTRY_POINT_GROUP) if eps is None else eps
    classes = []
    for ep in found:
        try:
            cls = ep.load()
        except Exception as exc:  # any import-time failure of foreign code
            log.warning("connector plugin %r failed to load and was skipped: %s", ep.name, exc)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            log.warning("connector plugin %r is not a Connector subclass; skipped", ep.name)
            continue
        classes.append(cls)
    return classes


class ConnectorRegistry:
    """Connector classes by name. Build one per App (no module-level registry)."""

    def __init__(self, classes: Iterable[type[Connector]]) -> None:
        self._by_name: dict[str, type[Connector]] = {}
        for cls in classes:
            if cls.name in self._by_name:
                log.warning("connector %r is defined twice; keeping the first", cls.name)
                continue
            self._by_name[cls.name] = cls

    @classmethod
    def default(cls, *, plugins: Iterable[EntryPoint] | None = None) -> ConnectorRegistry:
        """Built-ins first (so a plugin cannot replace one), then entry-point plugins."""
        return cls([*load_builtin_connectors(), *load_plugin_connectors(plugins)])

    def get(self, name: str) -> type[Connector]:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(sorted(self._by_name)) or "none"
            raise UnknownConnector(
                f"no connector named {name!r}; known connectors: {known}"
            ) from None

    def create(self, name: str, ctx: ConnectorContext) -> Connector:
        return self.get(name)(ctx)

    def all(self) -> Sequence[type[Connector]]:
        return sorted(self._by_name.values(), key=lambda c: c.name)

    def visible(self, v2_enabled: bool) -> Sequence[type[Connector]]:
        """The connectors to offer: ``v2`` ones only when CONNECTORS_V2_ENABLED is on."""
        return [c for c in self.all() if v2_enabled or c.tier == "core"]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[type[Connector]]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._by_name)
