"""``levqor info``: paths, database, schema revision, queue backend and versions."""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli.context import CliContext


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "info", help="show paths, database, schema, queue backend and versions"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(ctx: CliContext) -> int:
    overview = ctx.app().overview()
    if ctx.json:
        ctx.emit_json(overview)
        return 0 if overview.database.reachable else 1
    db = overview.database
    state = (
        f"reachable ({db.latency_ms:.1f} ms)" if db.reachable and db.latency_ms else "unreachable"
    )
    rows = [
        ("version", overview.version),
        ("data folder", overview.data_dir),
        ("config folder", overview.config_dir),
        ("log folder", overview.log_dir),
        ("database", f"{db.backend} {db.url}"),
        ("database state", state if db.reachable else f"unreachable: {db.error}"),
        ("schema revision", ", ".join(overview.schema_revisions) or "(empty database)"),
        ("schema head", ", ".join(overview.schema_heads)),
        (
            "queue backend",
            _queue_text(overview.queue.backend, overview.queue.state, overview.queue.detail),
        ),
        ("organizations", overview.organizations),
        ("users", overview.users),
    ]
    rows += [(name, version) for name, version in overview.versions.items()]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        ctx.print(f"{key.ljust(width)}  {value}")
    for note in overview.notes:
        ctx.print(f"note: {note}")
    return 0 if db.reachable else 1


def _queue_text(backend: str, state: str, detail: str) -> str:
    return f"{backend} ({state}: {detail})" if detail else f"{backend} ({state})"
