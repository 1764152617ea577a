"""The table of ``levqor`` subcommands: name, one-line help, and the module that builds it.

Kept apart from the command modules so that ``levqor --help`` and ``--version`` can list
every command without importing any of them (they pull in SQLAlchemy, httpx, RQ and the
rest). ``tests/unit/test_cli_startup.py`` checks this table against each module's real
``register(subparsers)``, so the two cannot drift.
"""

from __future__ import annotations

from typing import NamedTuple


class Command(NamedTuple):
    name: str
    help: str
    #: Module (under ``levqor_desktop.cli``) whose ``register(subparsers)`` adds it.
    module: str


#: In ``levqor --help`` order; a module that adds several commands lists them together.
COMMANDS: tuple[Command, ...] = (
    Command("info", "show paths, database, schema, queue backend and versions", "info"),
    Command("db", "database schema", "db"),
    Command("workflows", "validate, import, export and version workflows", "workflows"),
    Command("run", "run a workflow file or a stored workflow (as a job, or --test locally)", "run"),
    Command("jobs", "list, inspect and steer jobs", "jobs"),
    Command(
        "worker", "run jobs headless: an RQ worker (NEW_QUEUE_ENABLED) or the local pool", "worker"
    ),
    Command("flags", "feature flags", "flags"),
    Command("metrics", "print the metrics in the Prometheus text format", "metrics"),
    Command("logs", "search api.log and queue.log (level, logger, job, text)", "logs"),
    Command("usage", "usage against limits, per organization or user", "usage"),
    Command("limits", "usage limits and budgets", "limits"),
    Command("prices", "AI model prices", "limits"),
    Command("orgs", "organizations", "orgs"),
    Command("members", "members and roles", "orgs"),
    Command(
        "serve",
        "run headless: the ops HTTP API, /metrics, the local worker pool, the scheduler",
        "serve",
    ),
    Command("migrate", "back up, migrate to PostgreSQL, verify, switch, roll back", "migrate"),
    Command(
        "canary",
        "check health, queue, metrics, database, error rate, connectors, disk, keyring",
        "canary",
    ),
    Command("apikeys", "create, list and revoke API keys of the ops HTTP API", "apikeys"),
    Command("connectors", "connectors, their accounts and credentials", "connectors"),
    Command("incident", "the incident timeline of a time window (show, export)", "incident"),
    Command("profiles", "deployment profiles (local, staging, production)", "profiles"),
    Command("audit", "the audit trail of operator actions (who, when, what, how many)", "audit"),
    Command(
        "error-reporting", "opt-in error reports to Sentry (off by default)", "error_reporting"
    ),
)

#: Every command module, in table order, each once (full import path).
COMMAND_MODULES: tuple[str, ...] = tuple(
    dict.fromkeys(f"levqor_desktop.cli.{c.module}" for c in COMMANDS)
)
