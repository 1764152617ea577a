"""``levqor incident export|show``: the timeline of a time window, redacted.

``--since 2h`` (or an ISO time) with an optional ``--until``, or ``--last-failure``
(the window around the newest failed job or failed canary run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.incidents import FORMATS, KIND_LABELS, EventKind, Window, window_from
from levqor_desktop.errors import ValidationError

#: Events listed by ``show`` unless told otherwise (an export has no cap).
SHOW_LIMIT = 200


def _window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN", help="a duration ago (2h, 30m, 1d) or a time")
    parser.add_argument("--until", metavar="WHEN", help="the end (default: now)")
    parser.add_argument(
        "--last-failure",
        action="store_true",
        help="the window around the newest failed job or failed canary run",
    )
    parser.add_argument(
        "--kind",
        action="append",
        choices=[k.value for k in EventKind],
        help="only these kinds (repeatable; default: all)",
    )


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "incident", help="the incident timeline of a time window (show, export)"
    )
    actions = parser.add_subparsers(dest="incident_command", metavar="ACTION")
    actions.required = True
    export = actions.add_parser("export", help="write the timeline as Markdown or JSON")
    _window_options(export)
    export.add_argument("--format", choices=FORMATS, default="md")
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    export.set_defaults(handler=run_export)
    show = actions.add_parser("show", help="the timeline as a table")
    _window_options(show)
    show.add_argument("--limit", type=int, default=SHOW_LIMIT, help="oldest N events shown")
    show.set_defaults(handler=run_show)


def _window(ctx: CliContext) -> Window:
    a = ctx.args
    app = ctx.app()
    if a.last_failure:
        if a.since or a.until:
            raise ValidationError("--last-failure picks its own window: drop --since/--until")
        return app.incidents.last_failure(ctx.actor)
    if not a.since:
        raise ValidationError("say which window", hint="--since 2h, or --last-failure")
    return window_from(a.since, a.until, app.incidents.now())


def _kinds(ctx: CliContext) -> list[EventKind] | None:
    return [EventKind(k) for k in ctx.args.kind] if ctx.args.kind else None


def run_export(ctx: CliContext) -> int:
    app = ctx.app()
    window = _window(ctx)
    if ctx.args.output:
        path = Path(ctx.args.output)
        count = app.incidents.export_file(ctx.actor, window, ctx.args.format, path, _kinds(ctx))
        print(f"wrote {count} events to {path}", file=sys.stderr)
    else:
        app.incidents.export(ctx.actor, window, ctx.args.format, ctx.out, _kinds(ctx))
    return 0


def run_show(ctx: CliContext) -> int:
    app = ctx.app()
    window = _window(ctx)
    limit = max(ctx.args.limit, 1)
    events = app.incidents.events(ctx.actor, window, _kinds(ctx), limit=limit + 1)
    ctx.print(
        f"Incident timeline {window.label}: {window.since:%Y-%m-%d %H:%M:%S} → "
        f"{window.until:%Y-%m-%d %H:%M:%S} UTC"
    )
    if not events:
        ctx.print("no events in this window")
        return 0
    ctx.print()
    rows = [
        (
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            KIND_LABELS[e.kind],
            e.severity,
            e.summary if len(e.summary) <= 110 else e.summary[:109] + "…",
        )
        for e in events[:limit]
    ]
    ctx.table(("time (UTC)", "kind", "severity", "summary"), rows)
    if len(events) > limit:
        ctx.print("(more events follow: --limit, or export the window)")
    return 0
