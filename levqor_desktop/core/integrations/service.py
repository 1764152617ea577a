"""ConnectorService (``app.connectors``): accounts, credentials, checks and calls.

An *account* is a named set of credentials for one connector in one organization
("default", "marketing-workspace", ...). Its secret fields go to the OS keyring under
``connector:<org>:<connector>:<label>:<field>``; its label and non-secret fields go to
the ``connector_accounts`` table. Building a connector merges both and hands it the
transport and the call hooks (call counters, usage limits, metrics).
"""

from __future__ import annotations

import datetime as dt
import re
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from connectors.base import CallHooks, CheckResult, Connector, ConnectorContext, CredentialField
from connectors.registry import ConnectorRegistry, UnknownConnector
from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName, FlagStore
from levqor_desktop.core.integrations.hooks import CompositeHooks
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.connectors import ConnectorAccount, ConnectorCallDay
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.secrets import SecretStore
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage.hooks import AIStep
from levqor_desktop.errors import NotFoundError, ValidationError

DEFAULT_ACCOUNT = "default"
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.@-]{0,99}$")

#: Builds the call hooks for one call: (actor, job id, the AI step's worst case or None).
HooksFactory = Callable[[Actor, int | None, "AIStep | None"], Sequence[CallHooks]]


@dataclass(frozen=True)
class AccountInfo:
    id: int
    connector: str
    label: str
    settings: dict[str, Any]
    secret_fields: list[str]
    last_check_at: dt.datetime | None
    last_check_ok: bool | None
    last_check_detail: str | None
    last_check_latency_ms: float | None


@dataclass(frozen=True)
class ConnectorInfo:
    """One card of the Connectors board."""

    name: str
    title: str
    category: str
    description: str
    tier: str
    docs_url: str
    credentials_url: str
    auth_kind: str
    fields: list[CredentialField]
    actions: list[tuple[str, str]]
    accounts: list[AccountInfo] = field(default_factory=list)
    calls_today: int = 0
    errors_today: int = 0
    avg_latency_ms_today: float | None = None

    @property
    def failing(self) -> bool:
        """An account whose last check failed: the board makes it stand out."""
        return any(a.last_check_ok is False for a in self.accounts)


def secret_key(org_id: int, connector: str, label: str, field_name: str) -> str:
    return f"connector:{org_id}:{connector}:{label}:{field_name}"


class ConnectorService:
    def __init__(
        self,
        db: Database,
        secrets: SecretStore,
        flags: FlagStore,
        *,
        registry: ConnectorRegistry | None = None,
        transport: httpx.BaseTransport | None = None,
        ssl_context: ssl.SSLContext | None = None,
        hooks_factory: HooksFactory | None = None,
    ) -> None:
        self.db = db
        self.secrets = secrets
        self.flags = flags
        self._registry = registry
        #: The HTTP transport handed to every connector (tests inject a mock).
        self.transport = transport
        self.ssl_context = ssl_context
        self.hooks_factory = hooks_factory

    # -- which connectors ---------------------------------------------------------------

    @property
    def registry(self) -> ConnectorRegistry:
        if self._registry is None:
            self._registry = ConnectorRegistry.default()
        return self._registry

    @property
    def v2_enabled(self) -> bool:
        return self.flags.enabled(FlagName.CONNECTORS_V2_ENABLED)

    def visible(self) -> list[type[Connector]]:
        return list(self.registry.visible(self.v2_enabled))

    def connector_class(self, name: str) -> type[Connector]:
        """The class of a connector the operator may use now (flag-gated)."""
        try:
            cls = self.registry.get(name)
        except UnknownConnector as exc:
            raise NotFoundError(str(exc)) from None
        if cls.tier != "core" and not self.v2_enabled:
            raise ValidationError(
                f"the {cls.title} connector is one of the extra connectors: turn on "
                f"{FlagName.CONNECTORS_V2_ENABLED} to use it"
            )
        return cls

    # -- the board ----------------------------------------------------------------------

    def board(self, actor: Actor) -> list[ConnectorInfo]:
        require(actor, Permission.READ)
        accounts: dict[str, list[AccountInfo]] = {}
        for acc in self.accounts(actor):
            accounts.setdefault(acc.connector, []).append(acc)
        today = dt.datetime.now(dt.UTC).date()
        with self.db.session() as session:
            stats = {
                row.connector: row
                for row in session.scalars(
                    select(ConnectorCallDay).where(
                        ConnectorCallDay.org_id == actor.org_id, ConnectorCallDay.day == today
                    )
                )
            }
        cards = []
        for cls in self.visible():
            stat = stats.get(cls.name)
            cards.append(
                ConnectorInfo(
                    name=cls.name,
                    title=cls.title,
                    category=cls.category,
                    description=cls.description,
                    tier=cls.tier,
                    docs_url=cls.docs_url,
                    credentials_url=cls.credentials_url,
                    auth_kind=str(cls.auth_kind),
                    fields=list(cls.credential_fields),
                    actions=[(a.name, a.description) for a in cls.actions().values()],
                    accounts=accounts.get(cls.name, []),
                    calls_today=stat.calls if stat else 0,
                    errors_today=stat.errors if stat else 0,
                    avg_latency_ms_today=(stat.latency_ms_total / stat.calls)
                    if stat and stat.calls
                    else None,
                )
            )
        return cards

    # -- accounts -----------------------------------------------------------------------

    def accounts(self, actor: Actor, connector: str | None = None) -> list[AccountInfo]:
        require(actor, Permission.READ)
        query = select(ConnectorAccount).where(ConnectorAccount.org_id == actor.org_id)
        if connector is not None:
            query = query.where(ConnectorAccount.connector == connector)
        with self.db.session() as session:
            rows = session.scalars(
                query.order_by(ConnectorAccount.connector, ConnectorAccount.label)
            ).all()
            return [_account_info(r) for r in rows]

    def save_account(
        self, actor: Actor, connector: str, label: str, values: Mapping[str, str]
    ) -> AccountInfo:
        """Create or update an account. Secret fields left out keep their stored value."""
        require(actor, Permission.MANAGE_CREDENTIALS)
        cls = self.connector_class(connector)
        if not _LABEL.match(label):
            raise ValidationError(
                f"account label {label!r} must start with a letter or digit and use only "
                "letters, digits, spaces and _ . @ - (at most 100 characters)"
            )
        fields = {f.name: f for f in cls.credential_fields}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ValidationError(
                f"{cls.title} has no credential field(s) {', '.join(unknown)}; "
                f"its fields are {', '.join(fields) or 'none'}"
            )
        existing = self._account_row(actor.org_id, connector, label)
        stored_secrets = set(existing.secret_fields) if existing else set()
        settings = dict(existing.settings) if existing else {}
        missing = []
        for f in cls.credential_fields:
            given = (values.get(f.name) or "").strip()
            if given or not f.required:
                continue
            if f.secret and f.name in stored_secrets:
                continue
            if not f.secret and (settings.get(f.name) or f.default):
                continue
            missing.append(f"{f.label} ({f.name})")
        if missing:
            raise ValidationError(f"{cls.title}: required field(s) missing: {', '.join(missing)}")
        # Secrets first: if the keyring refuses, the database is left as it was.
        for name, value in values.items():
            if fields[name].secret and value:
                self.secrets.set(secret_key(actor.org_id, connector, label, name), value)
                stored_secrets.add(name)
            elif not fields[name].secret:
                if value:
                    settings[name] = value
                else:
                    settings.pop(name, None)
        with self.db.write_session() as session:
            row = session.scalar(
                select(ConnectorAccount).where(
                    ConnectorAccount.org_id == actor.org_id,
                    ConnectorAccount.connector == connector,
                    ConnectorAccount.label == label,
                )
            )
            if row is None:
                row = ConnectorAccount(org_id=actor.org_id, connector=connector, label=label)
                session.add(row)
            row.settings = settings
            row.secret_fields = sorted(stored_secrets)
            row.updated_at = utcnow()
            session.flush()
            return _account_info(row)

    def remove_account(self, actor: Actor, connector: str, label: str) -> None:
        require(actor, Permission.MANAGE_CREDENTIALS)
        row = self._account_row(actor.org_id, connector, label)
        if row is None:
            raise NotFoundError(f"no {connector} account named {label!r}")
        for name in row.secret_fields:
            self.secrets.delete(secret_key(actor.org_id, connector, label, name))
        with self.db.session() as session:
            session.delete(session.get(ConnectorAccount, row.id))

    # -- using a connector --------------------------------------------------------------

    def build(
        self,
        actor: Actor,
        connector: str,
        label: str = DEFAULT_ACCOUNT,
        *,
        job_id: int | None = None,
        ai_step: AIStep | None = None,
    ) -> Connector:
        """A connector with this account's credentials and the call hooks attached.

        ``ai_step`` is the worst case of an AI call (model, max tokens, prompt size): the
        usage hooks check it against the spend budget before the call is made.
        """
        cls = self.connector_class(connector)
        row = self._account_row(actor.org_id, connector, label)
        if row is None:
            raise NotFoundError(
                f"no {cls.title} account named {label!r}",
                hint="add it in the Connectors panel or with: "
                f"levqor connectors set {connector} {label}",
            )
        credentials: dict[str, str] = {k: str(v) for k, v in row.settings.items()}
        for name in row.secret_fields:
            value = self.secrets.get(secret_key(actor.org_id, connector, label, name))
            if value is not None:
                credentials[name] = value
        if ai_step is not None and not ai_step.model:
            # The step named no model: the account's default model is what will be used.
            default = next(
                (f.default for f in cls.credential_fields if f.name == "default_model"), None
            )
            model = credentials.get("default_model") or default or ""
            ai_step = AIStep(model, ai_step.max_tokens, ai_step.prompt_tokens)
        hooks = CompositeHooks(
            self.hooks_factory(actor, job_id, ai_step) if self.hooks_factory else ()
        )
        secret_names = {f.name for f in cls.credential_fields if f.secret}

        def store_refreshed(tokens: dict[str, str]) -> None:
            for name, value in tokens.items():
                if name in secret_names and value:
                    self.secrets.set(secret_key(actor.org_id, connector, label, name), value)

        ctx = ConnectorContext(
            credentials=credentials,
            transport=self.transport,
            hooks=hooks,
            on_token_refresh=store_refreshed,
            ssl_context=self.ssl_context,
        )
        return self.registry.create(connector, ctx)

    def check(self, actor: Actor, connector: str, label: str = DEFAULT_ACCOUNT) -> CheckResult:
        """Run the connector's ``check()`` and remember the outcome on the account."""
        require(actor, Permission.TEST_CONNECTORS)
        with self.build(actor, connector, label) as conn:
            result = conn.check()
        with self.db.session() as session:
            row = session.scalar(
                select(ConnectorAccount).where(
                    ConnectorAccount.org_id == actor.org_id,
                    ConnectorAccount.connector == connector,
                    ConnectorAccount.label == label,
                )
            )
            if row is not None:
                row.last_check_at = utcnow()
                row.last_check_ok = result.ok
                row.last_check_detail = result.detail[:2000]
                row.last_check_latency_ms = result.latency_ms
        return result

    def run_action(
        self,
        actor: Actor,
        connector: str,
        action: str,
        inputs: Mapping[str, Any],
        label: str = DEFAULT_ACCOUNT,
        *,
        job_id: int | None = None,
        ai_step: AIStep | None = None,
    ) -> dict[str, Any]:
        require(actor, Permission.RUN_JOBS)
        with self.build(actor, connector, label, job_id=job_id, ai_step=ai_step) as conn:
            return conn.run(action, inputs)

    def _account_row(self, org_id: int, connector: str, label: str) -> ConnectorAccount | None:
        with self.db.session() as session:
            return session.scalar(
                select(ConnectorAccount).where(
                    ConnectorAccount.org_id == org_id,
                    ConnectorAccount.connector == connector,
                    ConnectorAccount.label == label,
                )
            )


def _account_info(row: ConnectorAccount) -> AccountInfo:
    return AccountInfo(
        id=row.id,
        connector=row.connector,
        label=row.label,
        settings=dict(row.settings or {}),
        secret_fields=list(row.secret_fields or []),
        last_check_at=row.last_check_at,
        last_check_ok=row.last_check_ok,
        last_check_detail=row.last_check_detail,
        last_check_latency_ms=row.last_check_latency_ms,
    )
