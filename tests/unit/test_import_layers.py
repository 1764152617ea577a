"""The core is layered one way: no import circles inside it, and it never imports the
composition root (``levqor_desktop.app`` / ``levqor_desktop.wiring``), the CLI or the UI.

import-linter keeps the named layers (pyproject.toml); this test finds any circle at
all, including new ones between modules no contract names yet.
"""

from __future__ import annotations

import grimp
import pytest

ABOVE_THE_CORE = ("levqor_desktop.app", "levqor_desktop.wiring", "levqor_desktop.cli")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("levqor_desktop", "connectors", cache_dir=None)


def _circles(graph: grimp.ImportGraph, prefix: str) -> list[list[str]]:
    """Strongly connected groups (Tarjan, iterative) of the modules under ``prefix``."""
    nodes = sorted(m for m in graph.modules if m.startswith(prefix))
    edges = {
        m: sorted(w for w in graph.find_modules_directly_imported_by(m) if w.startswith(prefix))
        for m in nodes
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_core_has_no_import_circles(graph: grimp.ImportGraph) -> None:
    assert _circles(graph, "levqor_desktop.core") == []


def test_the_circle_finder_sees_a_circle(graph: grimp.ImportGraph) -> None:
    # The composition root and its wiring know each other on purpose (type hints):
    # the finder must report that pair, or the test above proves nothing.
    circles = _circles(graph, "levqor_desktop.")
    assert any("levqor_desktop.app" in group for group in circles)


def test_the_core_never_imports_what_stands_on_it(graph: grimp.ImportGraph) -> None:
    offenders = [
        (module, imported)
        for module in sorted(graph.modules)
        if module.startswith("levqor_desktop.core")
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith(ABOVE_THE_CORE) or imported.startswith("levqor_desktop.ui")
    ]
    assert offenders == []
