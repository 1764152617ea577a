"""The canary's checks: each reads a target's observations and judges them.

A check returns pass, warn, fail or no-data, with the value it measured, the threshold
it compared against and, when it does not pass, what the operator should do. No data
(a deployment without connectors, a keyring that is not configured) is not a failure.
The checks live in :mod:`.checks_service` and :mod:`.checks_system`; this is their
registry, in the order they run and are shown.
"""

from __future__ import annotations

from collections.abc import Callable

from levqor_desktop.core.canary.checks_service import (
    check_error_rate,
    check_health,
    check_metrics,
    check_queue,
)
from levqor_desktop.core.canary.checks_system import (
    check_connectors,
    check_database,
    check_disk,
    check_keyring,
)
from levqor_desktop.core.canary.observations import Observations
from levqor_desktop.core.canary.results import CheckResult

__all__ = ["CHECKS", "Check", "Observations"]

Check = Callable[[Observations], CheckResult]

#: The checks in the order they run and are shown.
CHECKS: dict[str, Check] = {
    "health": check_health,
    "queue": check_queue,
    "metrics": check_metrics,
    "database": check_database,
    "error_rate": check_error_rate,
    "connectors": check_connectors,
    "disk": check_disk,
    "keyring": check_keyring,
}
