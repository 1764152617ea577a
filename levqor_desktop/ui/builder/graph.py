"""The graph a workflow document describes, on the raw JSON data (no Qt).

The canvas edits documents that may be half-typed, so everything here tolerates any
shape: a step that is not an object or has no string id gets the key ``#<index>``.
A step's ``needs`` absent means "the previous step" (list order); ``[]`` makes it a root.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "Edge",
    "describe_needs",
    "downstream_of",
    "edges",
    "effective_needs",
    "layered_layout",
    "node_positions",
    "rename_references",
    "step_key",
    "step_keys",
    "steps_of",
    "upstream_of",
    "would_cycle",
]

Edge = tuple[str, str]  # (needed step, step that needs it)

#: Grid of the layered layout (scene units): columns are layers, rows their order.
COLUMN = 260.0
ROW = 110.0


def steps_of(document: Mapping[str, Any]) -> list[Any]:
    steps = document.get("steps")
    return list(steps) if isinstance(steps, list) else []


def step_key(step: Any, index: int) -> str:
    sid = step.get("id") if isinstance(step, Mapping) else None
    return sid if isinstance(sid, str) and sid else f"#{index}"


def step_keys(document: Mapping[str, Any]) -> list[str]:
    """One key per step in list order; repeated ids get ``#<index>`` after the first."""
    keys: list[str] = []
    for index, step in enumerate(steps_of(document)):
        key = step_key(step, index)
        keys.append(f"#{index}" if key in keys else key)
    return keys


def effective_needs(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each step's needs with the list-order default spelled out (unknown ids kept)."""
    steps, keys = steps_of(document), step_keys(document)
    needs: dict[str, list[str]] = {}
    for index, (step, key) in enumerate(zip(steps, keys, strict=True)):
        given = step.get("needs") if isinstance(step, Mapping) else None
        if isinstance(given, list):
            needs[key] = [n for n in given if isinstance(n, str)]
        else:
            needs[key] = [keys[index - 1]] if index else []
    return needs


def edges(document: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """(source, target, explicit) for every need that names a step of the document."""
    steps, keys = steps_of(document), step_keys(document)
    known = set(keys)
    found: list[tuple[str, str, bool]] = []
    for step, (target, sources) in zip(steps, effective_needs(document).items(), strict=True):
        explicit = isinstance(step, Mapping) and isinstance(step.get("needs"), list)
        found += [(source, target, explicit) for source in sources if source in known]
    return found


def _closure(start: str, links: Mapping[str, Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(links.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(links.get(node, ()))
    return seen


def upstream_of(key: str, needs: Mapping[str, Sequence[str]]) -> set[str]:
    """Every step ``key`` waits for, directly or not (its outputs are in scope)."""
    return _closure(key, needs) - {key}


def downstream_of(key: str, needs: Mapping[str, Sequence[str]]) -> set[str]:
    children: dict[str, list[str]] = {}
    for target, sources in needs.items():
        for source in sources:
            children.setdefault(source, []).append(target)
    return _closure(key, children) - {key}


def would_cycle(source: str, target: str, needs: Mapping[str, Sequence[str]]) -> bool:
    """True when ``target`` needing ``source`` closes a loop."""
    return source == target or source in downstream_of(target, needs)


def _layers(keys: Sequence[str], needs: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Longest-path layering: a step sits one layer right of its deepest need.

    A back edge of a cycle (the document is then invalid anyway) is ignored."""
    layer: dict[str, int] = {}
    visiting: set[str] = set()
    known = set(keys)

    def depth(key: str) -> int:
        if key in layer:
            return layer[key]
        visiting.add(key)
        parents = [n for n in needs.get(key, ()) if n in known and n not in visiting]
        value = 1 + max((depth(p) for p in parents), default=-1)
        visiting.discard(key)
        layer[key] = value
        return value

    for key in keys:
        depth(key)
    return layer


def _order(
    columns: list[list[str]], needs: Mapping[str, Sequence[str]], sweeps: int = 4
) -> list[list[str]]:
    """Barycentre ordering: sweep right then left, sorting each layer by the mean row
    of its neighbours in the layer before it (ties keep the document order)."""
    children: dict[str, list[str]] = {}
    for target, sources in needs.items():
        for source in sources:
            children.setdefault(source, []).append(target)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        indices = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
        for i in indices:
            beside = columns[i - 1] if forward else columns[i + 1]
            rank = {key: n for n, key in enumerate(beside)}
            links = needs if forward else children

            def centre(
                key: str, here: int, rank: dict[str, int] = rank, links: Any = links
            ) -> float:
                near = [rank[n] for n in links.get(key, ()) if n in rank]
                return sum(near) / len(near) if near else float(here)

            column = columns[i]
            columns[i] = sorted(column, key=lambda k: (centre(k, column.index(k)), column.index(k)))
    return columns


def layered_layout(document: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Top-left positions for every step: layers left to right, each centred on y=0."""
    keys, needs = step_keys(document), effective_needs(document)
    layer = _layers(keys, needs)
    columns: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for key in keys:
        columns[layer[key]].append(key)
    positions: dict[str, tuple[float, float]] = {}
    for i, column in enumerate(_order(columns, needs)):
        for n, key in enumerate(column):
            positions[key] = (i * COLUMN, (n - (len(column) - 1) / 2) * ROW)
    return positions


def describe_needs(step: Any, needs: Sequence[str]) -> str:
    """What a step waits for, in words (for the inspector)."""
    implicit = not (isinstance(step, Mapping) and isinstance(step.get("needs"), list))
    order = " (the step before it in the list)" if needs and implicit else ""
    return f"Needs {', '.join(needs) or 'nothing: it starts at once'}{order}"


def node_positions(document: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Where each step's node goes: its ``ui``, else the layered layout (placed below the
    nodes that have positions, so a step added in JSON does not land on them)."""
    placed: dict[str, tuple[float, float]] = {}
    for step, key in zip(steps_of(document), step_keys(document), strict=True):
        ui = step.get("ui") if isinstance(step, Mapping) else None
        if isinstance(ui, Mapping) and all(isinstance(ui.get(a), int | float) for a in "xy"):
            placed[key] = (float(ui["x"]), float(ui["y"]))
    missing = [k for k in step_keys(document) if k not in placed]
    if missing:
        layout = layered_layout(document)
        below = max((y for _x, y in placed.values()), default=-ROW) + ROW
        shift = below - min(layout[k][1] for k in missing) if placed else 0.0
        for key in missing:
            x, y = layout[key]
            placed[key] = (x, y + shift)
    return placed


def rename_references(value: Any, old: str, new: str) -> Any:
    """``value`` with ``steps.<old>`` in every string spelled ``steps.<new>``."""
    pattern = re.compile(rf"\bsteps\.{re.escape(old)}\b")
    if isinstance(value, str):
        return pattern.sub(f"steps.{new}", value)
    if isinstance(value, dict):
        return {k: rename_references(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [rename_references(v, old, new) for v in value]
    return value
