"""Usage metering, limits and the cost guard (``app.usage``)."""

from levqor_desktop.core.models.usage import Enforcement, Metric, Period
from levqor_desktop.core.usage.guard import Reservation
from levqor_desktop.core.usage.hooks import AIStep, UsageHooks
from levqor_desktop.core.usage.limits import LimitStatus, LimitView, UsageLimitExceeded
from levqor_desktop.core.usage.prices import Price
from levqor_desktop.core.usage.records import NewEvent
from levqor_desktop.core.usage.reports import TopEntry
from levqor_desktop.core.usage.service import OverrideView, UsageService

__all__ = [
    "AIStep",
    "Enforcement",
    "LimitStatus",
    "LimitView",
    "Metric",
    "NewEvent",
    "OverrideView",
    "Period",
    "Price",
    "Reservation",
    "TopEntry",
    "UsageHooks",
    "UsageLimitExceeded",
    "UsageService",
]
