"""``levqor logs``: search the JSON logs (both files, whole files) from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.logging import API_LOG, QUEUE_LOG
from levqor_desktop.core.logs import LEVELS, LogFilter, search


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "logs", help="search api.log and queue.log (level, logger, job, text)"
    )
    parser.add_argument("--file", choices=("api", "queue", "both"), default="both")
    parser.add_argument("--level", choices=[lv.lower() for lv in LEVELS], help="this and above")
    parser.add_argument("--logger", default="", help="a logger name or prefix")
    parser.add_argument("--job", default="", help="lines of one job id")
    parser.add_argument("--grep", default="", help="text anywhere in the line (any case)")
    parser.add_argument("--limit", type=int, default=200, help="newest N matches (default 200)")
    parser.add_argument("--json", action="store_true", help="print the JSON lines as stored")
    parser.set_defaults(handler=run)


def run(ctx: CliContext) -> int:
    a = ctx.args
    log_dir = ctx.settings.log_dir
    sources = {"api", "queue"} if a.file == "both" else {a.file}
    flt = LogFilter(
        level=a.level or "",
        logger=a.logger,
        job_id=a.job,
        text=a.grep,
        sources=frozenset(sources),
    )
    result = search(
        [("api", log_dir / API_LOG), ("queue", log_dir / QUEUE_LOG)], flt, limit=a.limit
    )
    for e in result.entries:
        if ctx.json:
            ctx.print(e.raw)
            continue
        context = " ".join(f"{k}={v}" for k, v in e.context.items())
        ctx.print(
            f"{e.timestamp} {e.level:<8} {e.source:<5} {e.logger}: {e.message}  {context}".rstrip()
        )
    if not ctx.json and result.truncated:
        ctx.print(f"({result.matched} matches; the newest {len(result.entries)} shown: --limit)")
    return 0
