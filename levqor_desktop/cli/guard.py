"""The production guard on the command line: ``--yes`` plus ``--confirm NAME``.

Every mutating subcommand adds :func:`add_guard_options` and runs its change through
:func:`guarded`. On a production profile the change needs both ``--yes`` and
``--confirm <the deployment's name>``; without them it is refused (and audited) before
anything changes. On local and staging profiles ``--confirm`` is not needed, and the
change is audited all the same.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.safety import GuardedAction, GuardRefused

T = TypeVar("T")


def add_guard_options(p: argparse.ArgumentParser, *, yes: bool = True) -> None:
    """``--confirm NAME`` (and ``--yes`` unless the command has its own)."""
    if yes:
        p.add_argument("--yes", "-y", action="store_true", help="do not ask before changing")
    p.add_argument(
        "--confirm",
        metavar="NAME",
        help="the deployment's name: needed with --yes on a production profile",
    )


def on_production(ctx: CliContext) -> bool:
    return ctx.app().guard.needs_confirmation()


def ask_locally(ctx: CliContext, question: str) -> bool:
    """On local/staging: ``--yes`` or a y/N answer at a terminal. On production the guard
    decides (``--yes --confirm NAME``), so nothing is asked."""
    if getattr(ctx.args, "yes", False) or on_production(ctx):
        return True
    if not sys.stdin.isatty():
        return False
    return input(f"{question}? [y/N] ").strip().lower() in ("y", "yes")


def guarded(
    ctx: CliContext,
    action: str,
    target: str,
    do: Callable[[], T],
    *,
    count: int = 1,
    preview: Sequence[str] = (),
    details: dict[str, Any] | None = None,
) -> T:
    """Run ``do`` through ``app.guard`` with what the command line confirmed."""
    guard = ctx.app().guard
    typed = getattr(ctx.args, "confirm", None) if getattr(ctx.args, "yes", False) else None
    request = GuardedAction(action, target, count, tuple(preview), "cli", details or {})
    try:
        return guard.run(request, confirm=typed, actor=ctx.actor, do=do)
    except GuardRefused as exc:
        exc.hint = f"add --yes --confirm {guard.profile.name}"
        if preview:
            shown = "\n  ".join(preview[:10])
            print(f"would change {count}:\n  {shown}", file=sys.stderr)
        raise
