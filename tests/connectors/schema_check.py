"""A small, honest JSON-schema check for canned vendor responses.

It follows ``$ref``, ``allOf``/``anyOf``/``oneOf``, ``nullable`` and 3.1 type lists, and
checks types, ``enum`` and ``required`` to ``MAX_DEPTH`` levels (the top-level object and
two levels below). It ignores ``additionalProperties``: vendors add fields faster than
their published files (Slack's is from 2021), and a canned body with a new field is
still a faithful body.
"""

from __future__ import annotations

from typing import Any

from tests.connectors.spec_files import resolve

MAX_DEPTH = 3

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES.get(kind, (object,)))


def _check(doc: Any, schema: Any, value: Any, path: str, depth: int, out: list[str]) -> None:
    schema = resolve(doc, schema)
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return
    if value is None and schema.get("nullable"):  # 3.0: null is valid even beside anyOf
        return
    for part in schema.get("allOf", []):
        _check(doc, part, value, path, depth, out)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options:
            failures = []
            for option in options:
                found: list[str] = []
                _check(doc, option, value, path, depth, found)
                if not found:
                    break
                failures.append(found[0])
            else:
                out.append(f"{path}: matches none of {key} ({failures[0]})")
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if value is None and (schema.get("nullable") or "null" in kinds or not kinds):
        return
    if kinds and not any(_type_ok(value, k) for k in kinds):
        out.append(f"{path}: expected {'/'.join(kinds)}, got {type(value).__name__}")
        return
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if isinstance(value, dict):
        out.extend(
            f"{path}.{r}: required but missing"
            for r in schema.get("required", [])
            if r not in value
        )
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                _check(doc, sub, value[name], f"{path}.{name}", depth + 1, out)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value[:3]):
            _check(doc, schema["items"], item, f"{path}[{index}]", depth + 1, out)


def schema_problems(doc: Any, schema: Any, value: Any) -> list[str]:
    """Faults of ``value`` against ``schema`` (resolved within ``doc``); empty = conforms."""
    out: list[str] = []
    _check(doc, schema, value, "$", 0, out)
    return out
