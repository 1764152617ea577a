"""Feature flags: declared in :mod:`.definitions`, resolved and stored by :mod:`.store`,
changed with an audit trail by :mod:`.service`."""

from levqor_desktop.core.flags.definitions import FLAGS, Flag, FlagName
from levqor_desktop.core.flags.store import FlagState, FlagStore, Source

__all__ = ["FLAGS", "Flag", "FlagName", "FlagState", "FlagStore", "Source"]
