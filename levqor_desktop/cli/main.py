"""Entry point of ``levqor``: parses the command line and runs one subcommand.

Each subcommand lives in its own module with a ``register(subparsers)`` function; add the
module to :data:`COMMAND_MODULES`. An operator's mistake ends with one line on stderr and
exit 1 (2 for a usage error), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence

from connectors.errors import ConnectorError
from levqor_desktop import __version__
from levqor_desktop.cli.context import CliContext
from levqor_desktop.errors import LevqorError

#: Modules that each add subcommands; imported in this order.
COMMAND_MODULES: tuple[str, ...] = (
    "levqor_desktop.cli.info",
    "levqor_desktop.cli.db",
    "levqor_desktop.cli.workflows",
    "levqor_desktop.cli.run",
    "levqor_desktop.cli.jobs",
    "levqor_desktop.cli.worker",
    "levqor_desktop.cli.flags",
    "levqor_desktop.cli.metrics",
    "levqor_desktop.cli.logs",
    "levqor_desktop.cli.usage",
    "levqor_desktop.cli.limits",
    "levqor_desktop.cli.orgs",
    "levqor_desktop.cli.serve",
    "levqor_desktop.cli.migrate",
    "levqor_desktop.cli.canary",
    "levqor_desktop.cli.apikeys",
    "levqor_desktop.cli.connectors",
    "levqor_desktop.cli.incident",
    "levqor_desktop.cli.profiles",
    "levqor_desktop.cli.audit",
    "levqor_desktop.cli.error_reporting",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"levqor: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
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
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
