"""Semantic checks of a workflow document, on the raw JSON data.

They run even when the structure is broken (so the editor lists every fault at once) and
tolerate any shape: a check that cannot apply to a malformed part skips it; the
structural validation reports the malformation itself.

Checked: duplicate step ids; ``uses`` naming an unknown action; a missing required or an
unknown input of the action; templates that do not parse; references to a missing step,
to a step that is not upstream (a later one, or one on another branch) or to the step
itself, to an undeclared input or to a name outside the scope; references that form a
cycle; and the ``needs`` of each step (:mod:`.graph_checks`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from levqor_desktop.core.workflows.actions import ActionCatalog
from levqor_desktop.core.workflows.graph_checks import NeedsReport, check_needs
from levqor_desktop.core.workflows.jsonpos import Path, format_path
from levqor_desktop.core.workflows.templates import TemplateEngine, TemplateError, has_template

__all__ = ["check_semantics", "template_strings"]

_USES = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def template_strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """Every string in ``value`` that holds a template, with its path."""
    if isinstance(value, str):
        if has_template(value):
            yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from template_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from template_strings(item, (*path, index))


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_semantics(
    data: Mapping[str, Any], catalog: ActionCatalog | None, engine: TemplateEngine
) -> list[tuple[Path, str]]:
    faults: list[tuple[Path, str]] = []
    raw_inputs = data.get("inputs")
    input_names = sorted(raw_inputs) if isinstance(raw_inputs, Mapping) else []
    raw_steps = data.get("steps")
    steps = raw_steps if isinstance(raw_steps, list) else []

    index_of: dict[str, int] = {}
    for i, step in enumerate(steps):
        sid = step.get("id") if isinstance(step, Mapping) else None
        if not isinstance(sid, str):
            continue
        if sid in index_of:
            other = format_path(("steps", index_of[sid]))
            faults.append((("steps", i, "id"), f"duplicate step id {sid!r} (also {other})"))
        else:
            index_of[sid] = i

    needs = check_needs(steps, index_of)
    faults += needs.faults
    edges: dict[int, set[int]] = {}
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping):
            continue
        if catalog is not None:
            faults += _check_action(step, i, catalog)
        edges[i] = set()
        sources = list(template_strings(step.get("with"), ("steps", i, "with")))
        condition = step.get("if")
        if isinstance(condition, str) and condition.strip():
            text = condition if has_template(condition) else "{{ " + condition + " }}"
            sources.append((("steps", i, "if"), text))
        for path, text in sources:
            faults += _check_template(
                path, text, i, index_of, input_names, engine, edges[i], needs, steps
            )
    faults += _check_cycles(edges, steps)
    return faults


def _check_action(
    step: Mapping[str, Any], i: int, catalog: ActionCatalog
) -> list[tuple[Path, str]]:
    uses = step.get("uses")
    if not isinstance(uses, str) or not _USES.match(uses):
        return []  # the structural check reports it
    info = catalog.describe(uses)
    if info is None:
        return [(("steps", i, "uses"), f"unknown action {uses!r}{_suggest(uses, catalog.names())}")]
    given = step.get("with", {})
    if not isinstance(given, Mapping):
        return []
    faults: list[tuple[Path, str]] = [
        (("steps", i, "with"), f"{uses} needs the input {name!r}")
        for name in info.required_inputs
        if name not in given
    ]
    known = info.known_inputs()
    if known is not None:
        for name in given:
            if name not in known:
                hint = _suggest(name, sorted(known)) or f" (it takes: {', '.join(sorted(known))})"
                faults.append((("steps", i, "with", name), f"{uses} has no input {name!r}{hint}"))
    return faults


def _check_template(
    path: Path,
    text: str,
    i: int,
    index_of: Mapping[str, int],
    input_names: list[str],
    engine: TemplateEngine,
    edges: set[int],
    needs: NeedsReport,
    steps: list[Any],
) -> list[tuple[Path, str]]:
    try:
        refs = engine.references(text)
    except TemplateError as exc:
        return [(path, f"template {exc.reason}")]
    faults: list[tuple[Path, str]] = []
    for ref in sorted(refs, key=lambda r: (r.kind, r.name)):
        if ref.kind == "inputs" and ref.name not in input_names:
            declared = ", ".join(input_names) or "none"
            faults.append((path, f"refers to unknown input {ref.name!r} (declared: {declared})"))
        elif ref.kind == "private":
            faults.append((path, f"templates may not read {ref.name!r}: only data is visible"))
        elif ref.kind == "name":
            faults.append(
                (
                    path,
                    f"unknown name {ref.name!r}: templates see only inputs.<name> and "
                    "steps.<id>.output",
                )
            )
        elif ref.kind == "steps":
            target = index_of.get(ref.name)
            if target is None:
                hint = _suggest(ref.name, list(index_of))
                faults.append((path, f"refers to step {ref.name!r}, which does not exist{hint}"))
                continue
            edges.add(target)
            if target == i:
                faults.append((path, f"step {ref.name!r} refers to its own output"))
            elif needs.is_upstream(target, i):
                continue
            elif needs.is_upstream(i, target):
                faults.append(
                    (
                        path,
                        f"refers to step {ref.name!r}, which runs later "
                        f"({format_path(('steps', target))}): only upstream steps have outputs",
                    )
                )
            else:
                own = _name(steps, i)
                faults.append(
                    (
                        path,
                        f"refers to step {ref.name!r}, which is not upstream of {own!r}: "
                        f"add {ref.name!r} to the needs of {own!r}",
                    )
                )
    return faults


def _check_cycles(edges: Mapping[int, set[int]], steps: list[Any]) -> list[tuple[Path, str]]:
    """Report each cycle of two or more steps once, at its first step."""
    faults: list[tuple[Path, str]] = []
    reported: set[frozenset[int]] = set()
    for start in sorted(edges):
        stack: list[tuple[int, list[int]]] = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(edges.get(node, ())):
                if nxt == start and len(trail) > 1:
                    members = frozenset(trail)
                    if members not in reported:
                        reported.add(members)
                        names = " → ".join(_name(steps, n) for n in [*trail, start])
                        faults.append(
                            (
                                ("steps", min(trail)),
                                f"steps {names} form a cycle: a step can "
                                "only use outputs of steps upstream of it",
                            )
                        )
                elif nxt not in trail and nxt > start:
                    stack.append((nxt, [*trail, nxt]))
    return faults


def _name(steps: list[Any], index: int) -> str:
    step = steps[index]
    return str(step.get("id")) if isinstance(step, Mapping) else f"#{index}"
