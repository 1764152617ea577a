"""How the composition root builds safe flag changes around ``app.flag_service``.

The approval rule is handed to the flag service, the rollouts to the flag store (so
``app.flags.enabled(name, org_id=..., user_id=...)`` answers per subject), and the flip
scheduler joins the background services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from levqor_desktop.core.flags.approvals import ChangeRequestService, approval_needed
from levqor_desktop.core.flags.rollout import RolloutService
from levqor_desktop.core.flags.schedules import FlagFlipScheduler, FlagScheduleService

if TYPE_CHECKING:
    from levqor_desktop.app import App


@dataclass(frozen=True)
class FlagSafety:
    requests: ChangeRequestService
    schedules: FlagScheduleService
    rollouts: RolloutService
    scheduler: FlagFlipScheduler


def build_flag_safety(app: App) -> FlagSafety:
    service = app.flag_service
    service.needs_approval = approval_needed(app.db)
    schedules = FlagScheduleService(app.db, service)
    rollouts = RolloutService(app.db, service)
    app.flags.rollouts = rollouts
    return FlagSafety(
        requests=ChangeRequestService(app.db, service, schedules),
        schedules=schedules,
        rollouts=rollouts,
        scheduler=FlagFlipScheduler(schedules, paused=lambda: app.maintenance.active),
    )
