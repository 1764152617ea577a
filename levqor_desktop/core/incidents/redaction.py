"""Everything an incident export says passes here: no secret and no e-mail address leaves.

Three layers: the values of the connector accounts' credentials, read from the keyring
at export time (a vendor's error text may quote a token no pattern knows); the log
redaction of :mod:`levqor_desktop.core.logging` (secrets seen by this process,
Authorization and API-key headers, token shapes, ``password=``/``"token":`` forms);
and e-mail addresses replaced by their SHA-256 (``email:<12 hex>``, as everywhere).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import select

from connectors.redaction import REDACTED
from levqor_desktop.core.db import Database
from levqor_desktop.core.incidents.events import IncidentEvent
from levqor_desktop.core.integrations.service import secret_key
from levqor_desktop.core.logging import SECRET_KEYS, text_redactor
from levqor_desktop.core.models.connectors import ConnectorAccount
from levqor_desktop.core.secrets import SecretStore


def connector_secrets(db: Database, secrets: SecretStore) -> list[str]:
    """The credential values of every connector account of the installation.

    Raises :class:`~levqor_desktop.errors.SecretStoreError` when the keyring cannot be
    read: an export that cannot know the secrets it must hide is not written.
    """
    with db.session() as session:
        accounts = session.execute(
            select(
                ConnectorAccount.org_id,
                ConnectorAccount.connector,
                ConnectorAccount.label,
                ConnectorAccount.secret_fields,
            )
        ).all()
    values = []
    for org_id, connector, label, fields in accounts:
        for field_name in fields or ():
            value = secrets.get(secret_key(org_id, connector, label, field_name))
            if value:
                values.append(value)
    return values


#: Distinct texts remembered per export: keys, workflow names, states and errors repeat
#: across thousands of events, and redacting one is a dozen regular expressions.
CACHED_TEXTS = 8192


class Redactor:
    """One export's redaction: the connector credentials ``known`` plus the secrets the
    log redaction knows when it is built, each text passed once through the patterns."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self.text: Callable[[str], str] = functools.lru_cache(maxsize=CACHED_TEXTS)(
            text_redactor(known)
        )

    def value(self, value: Any, key: str | None = None) -> Any:
        """A JSON-safe, redacted copy (values under secret-looking keys are dropped whole)."""
        if key is not None and key.lower() in SECRET_KEYS and value not in (None, ""):
            return REDACTED
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v) for v in value]
        return self.text(str(value))

    def event(self, event: IncidentEvent) -> IncidentEvent:
        return dataclasses.replace(
            event, summary=self.text(event.summary), details=self.value(event.details)
        )
