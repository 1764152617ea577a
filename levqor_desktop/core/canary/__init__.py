"""The canary: health checks with thresholds, a verdict, history and automatic rollback.

- :mod:`.checks`: each check and its thresholds; :mod:`.verdict`: pass / marginal / fail
  and the comparison with the last passing run.
- :mod:`.targets`: this app in process, or a deployment through its ops API.
- :mod:`.sources` and :mod:`.reports`: what this app reports (the ops API serves the same).
- :mod:`.runner`, :mod:`.store`: running and recording; :mod:`.auto`: CANARY_MODE.
- :mod:`.service`: ``app.canary``.
"""

from levqor_desktop.core.canary.auto import AutoCanary, AutoOutcome, RiskyChange
from levqor_desktop.core.canary.checks import CHECKS
from levqor_desktop.core.canary.results import CheckResult, Status, Thresholds
from levqor_desktop.core.canary.service import CanaryService
from levqor_desktop.core.canary.store import Deployment, RunReport
from levqor_desktop.core.canary.targets import InProcessTarget, RemoteTarget, TargetError
from levqor_desktop.core.canary.verdict import Verdict

__all__ = [
    "CHECKS",
    "AutoCanary",
    "AutoOutcome",
    "CanaryService",
    "CheckResult",
    "Deployment",
    "InProcessTarget",
    "RemoteTarget",
    "RiskyChange",
    "RunReport",
    "Status",
    "TargetError",
    "Thresholds",
    "Verdict",
]
