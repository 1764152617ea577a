"""The seven feature flags, declared once: name, default, risk and what each gates."""

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
    #: Risky flags ask for confirmation and a reason, and trigger the canary.
    risky: bool = False


FLAGS: dict[FlagName, Flag] = {
    f.name: f
    for f in (
        Flag(
            FlagName.PG_ENABLED,
            "Use the PostgreSQL database named by DATABASE_URL instead of the embedded SQLite.",
            risky=True,
        ),
        Flag(
            FlagName.NEW_QUEUE_ENABLED,
            "Run jobs on Redis + RQ workers instead of the embedded local worker pool.",
            risky=True,
        ),
        Flag(FlagName.BUILDER_ENABLED, "Show the visual workflow builder."),
        Flag(
            FlagName.MULTI_TENANT_ENABLED,
            "Allow organizations beyond the default one, with members and roles.",
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
        ),
    )
}
