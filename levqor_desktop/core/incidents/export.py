"""Writing a timeline as Markdown or JSON, event by event (large windows stream).

Both formats hold the same facts: the window, then each event's kind, time, severity,
summary and details, then the counts per kind (written last, so nothing is held back).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any, TextIO

from levqor_desktop.core.incidents.events import KIND_LABELS, EventKind, IncidentEvent, iso
from levqor_desktop.core.incidents.window import Window

FORMATS = ("md", "json")


def _header(window: Window, generated: dt.datetime, scope: str) -> dict[str, Any]:
    return {
        "window": {"since": iso(window.since), "until": iso(window.until), "label": window.label},
        "generated_at": iso(generated),
        "scope": scope,
    }


def write_json(
    out: TextIO, events: Iterable[IncidentEvent], window: Window, generated: dt.datetime, scope: str
) -> int:
    """One JSON object: the header's fields, ``events`` (oldest first) and ``counts``."""
    header = json.dumps(_header(window, generated, scope), ensure_ascii=False)
    out.write(header[:-1] + ', "events": [')
    counts: Counter[str] = Counter()
    for n, event in enumerate(events):
        out.write(",\n  " if n else "\n  ")
        out.write(json.dumps(event.to_dict(), ensure_ascii=False, default=str, sort_keys=True))
        counts[event.kind.value] += 1
    total = sum(counts.values())
    out.write("\n]" if total else "]")
    out.write(', "counts": ' + json.dumps(_all_counts(counts)) + f', "total": {total}' + "}\n")
    return total


def _all_counts(counts: Counter[str]) -> dict[str, int]:
    return {kind.value: counts.get(kind.value, 0) for kind in EventKind}


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(
    out: TextIO, events: Iterable[IncidentEvent], window: Window, generated: dt.datetime, scope: str
) -> int:
    """A heading per event with its summary and its details as a JSON block."""
    out.write("# Incident timeline\n\n")
    out.write(f"- Window: {iso(window.since)} → {iso(window.until)}")
    out.write(f" ({window.label})\n" if window.label else "\n")
    out.write(f"- Scope: {_md_cell(scope)}\n- Generated: {iso(generated)}\n\n")
    out.write("Secrets and e-mail addresses are redacted (e-mails as `email:<sha-256>`).\n\n")
    counts: Counter[str] = Counter()
    for event in events:
        if not counts:
            out.write("## Events\n\n")
        counts[event.kind.value] += 1
        label = KIND_LABELS[event.kind]
        out.write(f"### {iso(event.at)} · {label} · {event.severity}\n\n")
        out.write(f"{_md_cell(event.summary)}\n\n")
        body = json.dumps(event.details, indent=2, ensure_ascii=False, default=str, sort_keys=True)
        out.write(f"```json\n{body.replace('```', '` ` `')}\n```\n\n")
    total = sum(counts.values())
    if not total:
        out.write("No events in this window.\n\n")
    out.write("## Counts\n\n| Kind | Events |\n|---|---|\n")
    for kind, n in _all_counts(counts).items():
        out.write(f"| {KIND_LABELS[EventKind(kind)]} | {n} |\n")
    out.write(f"| **total** | **{total}** |\n")
    return total
