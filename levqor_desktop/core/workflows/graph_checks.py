"""Checks of the steps' ``needs``, on the raw JSON data (see :mod:`.checks`).

Checked: a need naming no step, a step needing itself, a need given twice, and needs
that form a cycle (named, e.g. ``a → b → a``). :func:`check_needs` also returns the
edges (by list index), which the template checks use: a template may only
read the output of a step upstream of its own.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from levqor_desktop.core.workflows.graph import effective_needs, find_cycles
from levqor_desktop.core.workflows.jsonpos import Path

__all__ = ["NeedsReport", "check_needs"]


@dataclass(frozen=True)
class NeedsReport:
    faults: list[tuple[Path, str]]
    #: For each step index, the indexes of the steps it needs (valid ones only).
    edges: dict[int, list[int]]

    def is_upstream(self, target: int, of: int) -> bool:
        """Whether step ``target`` is upstream of step ``of`` (a search that stops when
        found: a long list whose steps read the previous one stays linear)."""
        seen: set[int] = set()
        stack = list(self.edges.get(of, ()))
        while stack:
            node = stack.pop()
            if node == target:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(self.edges.get(node, ()))
        return False


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _step_id(step: Any) -> str | None:
    sid = step.get("id") if isinstance(step, Mapping) else None
    return sid if isinstance(sid, str) else None


def check_needs(steps: list[Any], index_of: Mapping[str, int]) -> NeedsReport:
    """Faults of the needs and the upstream sets of the valid part of the graph."""
    faults: list[tuple[Path, str]] = []
    edges: dict[int, list[int]] = {}
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping):
            continue
        own = _step_id(step)
        previous = _step_id(steps[i - 1]) if i else None
        raw = step.get("needs")
        needs = effective_needs(i, raw, previous)
        if needs is None:
            continue  # not a list of ids: the structural check reports it
        targets: list[int] = []
        if isinstance(raw, list):
            seen: set[str] = set()
            for k, name in enumerate(raw):
                path: Path = ("steps", i, "needs", k)
                if name in seen:
                    faults.append((path, f"needs {name!r} twice"))
                    continue
                seen.add(name)
                if name == own:
                    faults.append((path, f"step {own!r} needs itself"))
                elif name not in index_of:
                    hint = _suggest(name, list(index_of))
                    faults.append((path, f"needs step {name!r}, which does not exist{hint}"))
                else:
                    targets.append(index_of[name])
        elif previous is not None and previous in index_of:
            targets.append(index_of[previous])
        edges[i] = targets
    for cycle in find_cycles(edges):
        names = " → ".join(_name(steps, n) for n in [*cycle, cycle[0]])
        first = min(cycle)
        where: Path = ("steps", first, "needs") if "needs" in steps[first] else ("steps", first)
        faults.append(
            (
                where,
                f"steps {names} form a cycle through their needs: a step cannot wait for itself",
            )
        )
    return NeedsReport(faults, edges)


def _name(steps: list[Any], index: int) -> str:
    return _step_id(steps[index]) or f"#{index}"
