"""The DAG of a workflow: effective needs, topological order, upstream and downstream.

A step's ``needs`` names the steps it waits for. Absent (``None``) it needs the step
before it in the list (the first step is a root), so a list workflow is a chain and runs
as it always did; ``[]`` makes a step a root. Only *explicit* needs carry a skip: a step
whose explicit needs were all skipped is skipped too, while a list step after a skipped
one still runs (as it did before graphs).

:func:`graph_of` builds the graph of a validated ``Workflow`` (ids unique, needs
known, no cycle: :mod:`.graph_checks` proves that at parse time); :func:`effective_needs`
(the same rule on raw JSON) is what the checks use.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from levqor_desktop.errors import ValidationError


# What the graph reads of a Workflow and its Steps. Protocols, not the document's
# classes: the document imports the checks, which import this module.
class StepLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def needs(self) -> list[str] | None: ...


class WorkflowLike(Protocol):
    @property
    def steps(self) -> Sequence[StepLike]: ...


__all__ = [
    "GraphCycle",
    "GraphInvalid",
    "WorkflowGraph",
    "effective_needs",
    "find_cycles",
    "graph_of",
]


class GraphInvalid(ValidationError):
    """The needs do not form a DAG (only for a workflow built without validation:
    :func:`~levqor_desktop.core.workflows.document.parse_workflow` reports these faults
    with their paths)."""


class GraphCycle(GraphInvalid):
    """The needs form a cycle."""


def find_cycles(edges: Mapping[int, Sequence[int]]) -> list[list[int]]:
    """One cycle per strongly connected part of two or more nodes, each as a node trail.

    A trail starts at the part's smallest node and follows the smallest next member, so
    the same graph always names the same cycle.
    """
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    parts: list[set[int]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        # Tarjan's algorithm without recursion (a 10,000-step chain must not overflow).
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            node, pos = work.pop()
            if pos == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = sorted(edges.get(node, ()))
            if pos < len(succ):
                work.append((node, pos + 1))
                nxt = succ[pos]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                part: set[int] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.add(member)
                    if member == node:
                        break
                if len(part) > 1:
                    parts.append(part)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    cycles: list[list[int]] = []
    for part in sorted(parts, key=min):
        trail = [min(part)]
        while True:
            nxt = min(n for n in edges.get(trail[-1], ()) if n in part)
            if nxt in trail:
                cycles.append(trail[trail.index(nxt) :])
                break
            trail.append(nxt)
    return cycles


@dataclass(frozen=True)
class WorkflowGraph:
    """Steps (in list order) and the edges between them, by step id."""

    ids: tuple[str, ...]
    #: Effective needs of each step (implicit ones resolved).
    needs: Mapping[str, tuple[str, ...]]
    #: Steps whose needs were written out: their all-skipped needs skip them.
    explicit: frozenset[str]
    dependents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    position: Mapping[str, int] = field(default_factory=dict)

    def order(self) -> list[str]:
        """A topological order; ties go by list position, so a list keeps its order."""
        left = {sid: len(self.needs[sid]) for sid in self.ids}
        heap = [self.position[sid] for sid in self.ids if left[sid] == 0]
        heapq.heapify(heap)
        out: list[str] = []
        while heap:
            sid = self.ids[heapq.heappop(heap)]
            out.append(sid)
            for dep in self.dependents[sid]:
                left[dep] -= 1
                if left[dep] == 0:
                    heapq.heappush(heap, self.position[dep])
        if len(out) != len(self.ids):
            left_over = ", ".join(sid for sid in self.ids if sid not in set(out))
            raise GraphCycle(f"the needs of steps {left_over} form a cycle")
        return out

    def roots(self) -> list[str]:
        return [sid for sid in self.ids if not self.needs[sid]]

    def upstream(self, step_id: str) -> set[str]:
        """Every step ``step_id`` waits for, directly or through others."""
        return self._walk(step_id, self.needs)

    def downstream(self, step_id: str) -> set[str]:
        """Every step that waits for ``step_id``, directly or through others."""
        return self._walk(step_id, self.dependents)

    def _walk(self, start: str, edges: Mapping[str, tuple[str, ...]]) -> set[str]:
        seen: set[str] = set()
        stack = list(edges[start])
        while stack:
            sid = stack.pop()
            if sid not in seen:
                seen.add(sid)
                stack.extend(edges[sid])
        return seen


def effective_needs(position: int, needs: Any, previous: str | None) -> list[str] | None:
    """The needs a step runs with: its own list, or the previous step (None: malformed)."""
    if needs is None:
        return [] if position == 0 or previous is None else [previous]
    if isinstance(needs, list) and all(isinstance(n, str) for n in needs):
        return list(dict.fromkeys(needs))
    return None


def graph_of(workflow: WorkflowLike) -> WorkflowGraph:
    """The graph of a validated workflow (one pass: every job run builds one)."""
    ids = tuple(step.id for step in workflow.steps)
    dependents: dict[str, list[str]] = {sid: [] for sid in ids}
    needs: dict[str, tuple[str, ...]] = {}
    explicit: set[str] = set()
    previous: str | None = None
    for step in workflow.steps:
        sid = step.id
        if step.needs is None:
            own: tuple[str, ...] = () if previous is None else (previous,)
        else:
            explicit.add(sid)
            own = tuple(dict.fromkeys(step.needs))
        for need in own:
            if need not in dependents:
                raise GraphInvalid(f"step {sid} needs step {need!r}, which does not exist")
            dependents[need].append(sid)
        needs[sid] = own
        previous = sid
    return WorkflowGraph(
        ids=ids,
        needs=needs,
        explicit=frozenset(explicit),
        dependents={sid: tuple(deps) for sid, deps in dependents.items()},
        position={sid: n for n, sid in enumerate(ids)},
    )
