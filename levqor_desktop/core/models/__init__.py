"""All tables, imported explicitly so that ``Base.metadata`` is complete.

Each domain keeps its tables in its own module; add one import line per module.
"""

from levqor_desktop.core.models import canary as canary
from levqor_desktop.core.models import connectors as connectors
from levqor_desktop.core.models import flagsafety as flagsafety
from levqor_desktop.core.models import jobs as jobs
from levqor_desktop.core.models import migrations as migrations
from levqor_desktop.core.models import observability as observability
from levqor_desktop.core.models import safety as safety
from levqor_desktop.core.models import tenancy
from levqor_desktop.core.models import usage as usage
from levqor_desktop.core.models import workflows as workflows
from levqor_desktop.core.models.base import Base, BigId, UTCDateTime, utcnow
from levqor_desktop.core.models.tenancy import Membership, Organization, Role, User

__all__ = [
    "Base",
    "BigId",
    "Membership",
    "Organization",
    "Role",
    "UTCDateTime",
    "User",
    "tenancy",
    "utcnow",
]
