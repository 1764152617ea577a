"""Where each value of a JSON text sits: JSON paths to line/column, for error messages.

``json.loads`` says nothing about positions, so after a successful parse a small scanner
walks the same text once and records, for every object member and array item, the line
and column where it starts (an object member: where its key starts). It also notes
duplicate keys, which ``json.loads`` silently collapses.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]

__all__ = ["Path", "PositionMap", "format_path", "scan_positions"]

Path = tuple[str | int, ...]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_WS = " \t\r\n"


def format_path(path: Path) -> str:
    """``("steps", 2, "with", "channel")`` -> ``$.steps[2].with.channel``."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENT.match(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


@dataclass
class PositionMap:
    """Start positions (1-based line and column) of the values of one JSON text."""

    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    #: Keys given twice in one object (``json.loads`` keeps the last), with their position.
    duplicates: list[tuple[Path, tuple[int, int]]] = field(default_factory=list)

    def locate(self, path: Path) -> tuple[int, int] | None:
        """The position of ``path``, or of its nearest ancestor that exists."""
        for n in range(len(path), -1, -1):
            found = self.positions.get(path[:n])
            if found is not None:
                return found
        return None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.map = PositionMap()

    def where(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def skip(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in _WS:
            i += 1
        return i

    def value(self, i: int, path: Path) -> int:
        i = self.skip(i)
        self.map.positions.setdefault(path, self.where(i))
        char = self.text[i]
        if char == "{":
            return self.object(i + 1, path)
        if char == "[":
            return self.array(i + 1, path)
        if char == '"':
            return int(scanstring(self.text, i + 1)[1])
        match = _SCALAR.match(self.text, i)
        if match is None:
            raise ValueError(f"unexpected character at offset {i}")
        return match.end()

    def object(self, i: int, path: Path) -> int:
        seen: set[str] = set()
        i = self.skip(i)
        if self.text[i] == "}":
            return i + 1
        while True:
            i = self.skip(i)
            key, end = scanstring(self.text, i + 1)
            child = (*path, key)
            if key in seen:
                self.map.duplicates.append((child, self.where(i)))
            self.map.positions[child] = self.where(i)
            seen.add(key)
            i = self.skip(end)
            i = self.value(i + 1, child)  # past the colon
            i = self.skip(i)
            if self.text[i] == "}":
                return i + 1
            i += 1  # the comma

    def array(self, i: int, path: Path) -> int:
        i = self.skip(i)
        if self.text[i] == "]":
            return i + 1
        index = 0
        while True:
            i = self.value(i, (*path, index))
            i = self.skip(i)
            if self.text[i] == "]":
                return i + 1
            i += 1
            index += 1


def scan_positions(text: str) -> PositionMap:
    """Positions of every value of ``text``, which must already parse as JSON."""
    scanner = _Scanner(text)
    scanner.value(0, ())
    return scanner.map
