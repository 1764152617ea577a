"""Edits of a workflow document as the canvas makes them: pure functions, copy in, copy out.

Each returns a new document, so an undo step is just the document before and after.
An edit that changes edges first spells out every step's ``needs`` (the list-order
default would otherwise shift under the user's hands); positions go under each
step's ``ui`` as whole scene units, so a round trip through JSON is byte-stable.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from levqor_desktop.ui.builder.graph import (
    effective_needs,
    rename_references,
    step_keys,
    steps_of,
)

__all__ = [
    "add_step",
    "connect",
    "disconnect",
    "explicit_needs",
    "paste_steps",
    "remove_steps",
    "replace_step",
    "set_positions",
    "unique_id",
]

Document = dict[str, Any]


def _copy(document: Mapping[str, Any]) -> Document:
    made = copy.deepcopy(dict(document))
    made["steps"] = steps_of(made)
    return made


def unique_id(wanted: str, taken: Iterable[str]) -> str:
    """``wanted`` made an identifier, with ``_2``, ``_3``... when it is taken."""
    base = re.sub(r"\W", "_", wanted).strip("_") or "step"
    if base[0].isdigit():
        base = f"step_{base}"
    taken_set = set(taken)
    candidate, n = base, 2
    while candidate in taken_set:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def explicit_needs(document: Mapping[str, Any]) -> Document:
    """Every step with an id gets its effective ``needs`` written out."""
    made = _copy(document)
    needs = effective_needs(made)
    for step, key in zip(made["steps"], step_keys(made), strict=True):
        if isinstance(step, dict) and not key.startswith("#"):
            step["needs"] = list(needs[key])
    return made


def add_step(
    document: Mapping[str, Any],
    uses: str,
    at: tuple[float, float],
    *,
    after: str | None = None,
) -> tuple[Document, str]:
    """A new step calling ``uses`` at ``at``, needing ``after`` (or nothing: a root)."""
    made = _copy(document)
    new_id = unique_id(uses.rsplit(".", 1)[-1], step_keys(made))
    made["steps"].append(
        {
            "id": new_id,
            "uses": uses,
            "with": {},
            "needs": [after] if after else [],
            "ui": {"x": round(at[0]), "y": round(at[1])},
        }
    )
    return made, new_id


def connect(document: Mapping[str, Any], source: str, target: str) -> Document:
    made = explicit_needs(document)
    for step, key in zip(made["steps"], step_keys(made), strict=True):
        if key == target and isinstance(step, dict) and source not in step["needs"]:
            step["needs"].append(source)
    return made


def disconnect(document: Mapping[str, Any], pairs: Iterable[tuple[str, str]]) -> Document:
    made = explicit_needs(document)
    drop = set(pairs)
    for step, key in zip(made["steps"], step_keys(made), strict=True):
        if isinstance(step, dict) and "needs" in step:
            step["needs"] = [n for n in step["needs"] if (n, key) not in drop]
    return made


def remove_steps(document: Mapping[str, Any], keys: Iterable[str]) -> Document:
    """Without the steps ``keys``; the steps that needed them no longer do."""
    gone = set(keys)
    made = explicit_needs(document)
    kept = [
        step for step, key in zip(made["steps"], step_keys(made), strict=True) if key not in gone
    ]
    for step in kept:
        if isinstance(step, dict) and "needs" in step:
            step["needs"] = [n for n in step["needs"] if n not in gone]
    made["steps"] = kept
    return made


def paste_steps(
    document: Mapping[str, Any], steps: Iterable[Mapping[str, Any]], offset: float = 40.0
) -> tuple[Document, list[str]]:
    """Copies of ``steps`` under fresh ids; needs among them follow, others are dropped."""
    made = explicit_needs(document)
    taken = set(step_keys(made))
    copies = [copy.deepcopy(dict(s)) for s in steps]
    renamed: dict[str, str] = {}
    for step in copies:
        old = str(step.get("id", "step"))
        renamed[old] = unique_id(old, taken)
        taken.add(renamed[old])
    for step in copies:
        step["id"] = renamed[str(step.get("id", "step"))]
        given = step.get("needs")
        step["needs"] = (
            [renamed[n] for n in given if n in renamed] if isinstance(given, list) else []
        )
        given_ui = step.get("ui")
        ui: dict[str, Any] = given_ui if isinstance(given_ui, dict) else {}
        step["ui"] = {
            "x": round(float(ui.get("x", 0)) + offset),
            "y": round(float(ui.get("y", 0)) + offset),
        }
    made["steps"].extend(copies)
    return made, [str(s["id"]) for s in copies]


def replace_step(document: Mapping[str, Any], key: str, new: Mapping[str, Any]) -> Document:
    """``key``'s step replaced by ``new``; a new id is followed by needs and templates."""
    made = _copy(document)
    keys = step_keys(made)
    if key not in keys:
        return made
    made["steps"][keys.index(key)] = copy.deepcopy(dict(new))
    new_id = new.get("id")
    if isinstance(new_id, str) and new_id != key and not key.startswith("#"):
        for n, step in enumerate(made["steps"]):
            if not isinstance(step, dict) or n == keys.index(key):
                continue
            if isinstance(step.get("needs"), list):
                step["needs"] = [new_id if x == key else x for x in step["needs"]]
            for field in ("with", "if"):
                if field in step:
                    step[field] = rename_references(step[field], key, new_id)
    return made


def set_positions(
    document: Mapping[str, Any], positions: Mapping[str, tuple[float, float]]
) -> Document:
    """Each step in ``positions`` gets ``ui: {x, y}`` (whole units)."""
    made = _copy(document)
    for step, key in zip(made["steps"], step_keys(made), strict=True):
        if isinstance(step, dict) and key in positions:
            x, y = positions[key]
            step["ui"] = {"x": round(x), "y": round(y)}
    return made
