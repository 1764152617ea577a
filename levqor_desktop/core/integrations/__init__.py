"""The core's side of the connectors: accounts, credentials, checks, hooks, catalog.

``connectors/`` knows nothing of Levqor; this package hands each connector its
credentials (from the keyring), its HTTP transport and its usage hooks, and exposes the
connector actions to workflows.
"""

from levqor_desktop.core.integrations.catalog import ConnectorCatalog
from levqor_desktop.core.integrations.hooks import CallStatsHooks, CompositeHooks
from levqor_desktop.core.integrations.service import (
    AccountInfo,
    ConnectorInfo,
    ConnectorService,
)

__all__ = [
    "AccountInfo",
    "CallStatsHooks",
    "CompositeHooks",
    "ConnectorCatalog",
    "ConnectorInfo",
    "ConnectorService",
]
