"""``levqor metrics``: the Prometheus exposition of this process (what /metrics serves)."""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli.context import CliContext


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "metrics", help="print the metrics in the Prometheus text format"
    )
    parser.set_defaults(handler=run)


def run(ctx: CliContext) -> int:
    ctx.out.write(ctx.app().metrics.exposition().decode("utf-8"))
    return 0
