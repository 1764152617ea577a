"""Where a validation fault belongs on the canvas: a node, an edge, or the document.

Faults carry JSON paths (``$.steps[2].with.url``, ``$.steps[3].needs[0]``); a path into
a step marks its node, a path into one of its ``needs`` marks that edge (or the node,
when the need names no step), anything else is shown above the canvas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from levqor_desktop.core.workflows.document import Fault
from levqor_desktop.ui.builder.graph import step_keys, steps_of

__all__ = ["PlacedFaults", "place_faults"]

_STEP_PATH = re.compile(r"^\$\.steps\[(\d+)\](?:\.needs\[(\d+)\])?")


@dataclass
class PlacedFaults:
    nodes: dict[str, list[str]] = field(default_factory=dict)
    edges: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    document: list[str] = field(default_factory=list)


def place_faults(document: Mapping[str, Any], faults: Iterable[Fault]) -> PlacedFaults:
    placed = PlacedFaults()
    steps, keys = steps_of(document), step_keys(document)
    for fault in faults:
        match = _STEP_PATH.match(fault.path)
        index = int(match[1]) if match else -1
        if not 0 <= index < len(keys):
            placed.document.append(str(fault))
            continue
        assert match is not None
        key = keys[index]
        message = f"{fault.path.removeprefix(match[0]).lstrip('.') or 'step'}: {fault.message}"
        needs = steps[index].get("needs") if isinstance(steps[index], Mapping) else None
        if match[2] is not None and isinstance(needs, list) and int(match[2]) < len(needs):
            source = needs[int(match[2])]
            if source in keys:
                placed.edges.setdefault((source, key), []).append(fault.message)
                continue
        placed.nodes.setdefault(key, []).append(message)
    return placed
