"""The seven feature flags, declared once: name, default, risk and what each gates.

Risky flags (the database, the queue backend, multi-tenancy and the canary's own switch)
need a reason, and a second admin's approval where an organization has more than one
(:mod:`.approvals`). Only the infrastructure switches are checked by the automatic
canary. Rollout to some organizations or users is for the flags that gate behaviour per
subject, never for the risky infrastructure ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FlagName(enum.StrEnum):
    PG_ENABLED = "PG_ENABLED"
    NEW_QUEUE_ENABLED = "NEW_QUEUE_ENABLED"
    BUILDER_ENABLED = "BUILDER_ENABLED"
    MULTI_TENANT_ENABLED = "MULTI_TENANT_ENABLED"
    CONNECTORS_V2_ENABLED = "CONNECTORS_V2_ENABLED"
    ADVANCED_METRICS_ENABLED = "ADVANCED_METRICS_ENABLED"
    CANARY_MODE = "CANARY_MODE"


@dataclass(frozen=True)
class Flag:
    name: FlagName
    description: str
    default: bool = False
    #: Risky flags ask for confirmation and a reason, and for approval (see approvals).
    risky: bool = False
    #: The automatic canary runs after a change of this flag (CANARY_MODE on).
    canary_checked: bool = False

    @property
    def rollout_allowed(self) -> bool:
        """Per-organization and percentage rollout makes sense for this flag."""
        return not self.risky


FLAGS: dict[FlagName, Flag] = {
    f.name: f
    for f in (
        Flag(
            FlagName.PG_ENABLED,
            "Use the PostgreSQL database named by DATABASE_URL instead of the embedded SQLite.",
            risky=True,
            canary_checked=True,
        ),
        Flag(
            FlagName.NEW_QUEUE_ENABLED,
            "Run jobs on Redis + RQ workers instead of the embedded local worker pool.",
            risky=True,
            canary_checked=True,
        ),
        Flag(FlagName.BUILDER_ENABLED, "Show the visual workflow builder."),
        Flag(
            FlagName.MULTI_TENANT_ENABLED,
            "Allow organizations beyond the default one, with members and roles.",
            risky=True,
        ),
        Flag(
            FlagName.CONNECTORS_V2_ENABLED,
            "Offer all twenty connectors, not only Slack, Notion, Google Sheets, Telegram, "
            "E-mail and the AI connector.",
        ),
        Flag(
            FlagName.ADVANCED_METRICS_ENABLED,
            "Export per-connector and per-workflow metric series.",
        ),
        Flag(
            FlagName.CANARY_MODE,
            "Run the canary after each risky change and revert the change when it fails.",
            risky=True,
        ),
    )
}
