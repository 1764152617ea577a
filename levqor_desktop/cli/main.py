"""Entry point of ``levqor``: parses the command line and runs one subcommand.

Each subcommand lives in its own module with a ``register(subparsers)`` function; add it
to the table in :mod:`levqor_desktop.cli.commands`. Only the module of the command being
run is imported: the others stand in as placeholders that carry their name and one-line
help, which is all ``levqor --help`` shows, so ``--version`` and ``--help`` import none of
the heavy libraries. An operator's mistake ends with one line on stderr and exit 1 (2 for
a usage error), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Collection, Sequence

from connectors.errors import ConnectorError
from levqor_desktop import __version__
from levqor_desktop.cli.commands import COMMAND_MODULES, COMMANDS
from levqor_desktop.errors import LevqorError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"levqor: error: {message}\n")


def build_parser(load: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The ``levqor`` parser. Commands named in ``load`` (all when ``None``) get their real
    parsers from their modules; the others are placeholders with only their name and help.
    """
    parser = _Parser(
        prog="levqor",
        description="Levqor Desktop from the command line: jobs, workflows, flags, "
        "connectors, usage, migrations and the canary.",
    )
    parser.add_argument("--version", action="version", version=f"levqor {__version__}")
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help="act as this user (e-mail or id); default: the default operator",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="the deployment profile to act on (levqor profiles list); default: "
        "LEVQOR_PROFILE, else local",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    # A module that adds several commands (limits: limits and prices) is registered whole,
    # where its first command stands, so the listing keeps its order.
    real_modules = {c.module for c in COMMANDS if load is None or c.name in load}
    registered: set[str] = set()
    for command in COMMANDS:
        if command.module not in real_modules:
            sub.add_parser(command.name, help=command.help, add_help=False)
        elif command.module not in registered:
            registered.add(command.module)
            importlib.import_module(f"levqor_desktop.cli.{command.module}").register(sub)
    return parser


def _command_named_in(argv: Sequence[str]) -> str:
    """The subcommand ``argv`` asks for, found with the placeholder parser. Top-level
    ``--help``, ``--version`` and usage errors end here exactly as they would with the full
    parser: the top level is the same."""
    known, _rest = build_parser(load=()).parse_known_args(argv)
    return str(known.command)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(load={_command_named_in(arguments)})
    args = parser.parse_args(arguments)
    from levqor_desktop.cli.context import CliContext

    ctx = CliContext(args)
    try:
        return int(args.handler(ctx))
    except LevqorError as exc:
        print(f"levqor: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ConnectorError as exc:
        # A vendor's answer (already redacted): an operator's problem, not a crash.
        print(f"levqor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("levqor: interrupted", file=sys.stderr)
        return 130
    finally:
        with contextlib.suppress(LevqorError):
            ctx.close()


if __name__ == "__main__":
    sys.exit(main())
