"""``levqor serve``: headless Levqor — the ops API, /metrics, the local pool, the scheduler."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.opsapi import OpsApiConfig, create_ops_app
from levqor_desktop.core.opsapi.config import DEFAULT_OPEN_PATHS, DEFAULT_PORT, LOOPBACK
from levqor_desktop.core.opsapi.server import OpsServer
from levqor_desktop.errors import ConfigError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="run headless: the ops HTTP API, /metrics, the local worker pool, the scheduler",
        description="Serve the ops API (health, queue health, flags, billing, metrics) on "
        "loopback, and run the background services. Stop with Ctrl+C.",
    )
    parser.add_argument("--host", help=f"bind address (default $LEVQOR_API_HOST or {LOOPBACK})")
    parser.add_argument(
        "--port",
        type=int,
        help=f"port, 0: any free one (default $LEVQOR_API_PORT or {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a bind address other than loopback (a warning is logged)",
    )
    parser.add_argument(
        "--open-path",
        action="append",
        default=[],
        metavar="PATH",
        help="also answer PATH without an API key (repeatable)",
    )
    parser.add_argument(
        "--protect-all",
        action="store_true",
        help=f"require a key on every path, also {', '.join(sorted(DEFAULT_OPEN_PATHS))}",
    )
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second per key")
    parser.add_argument("--burst", type=int, default=30, help="burst per key")
    parser.add_argument(
        "--no-background",
        action="store_true",
        help="serve the API only (no worker pool, scheduler or sampler)",
    )
    parser.set_defaults(handler=run_serve)


def run_serve(ctx: CliContext) -> int:
    args = ctx.args
    environ = ctx.settings.environ
    host = args.host or environ.get("LEVQOR_API_HOST") or LOOPBACK
    port = args.port if args.port is not None else _env_port(environ.get("LEVQOR_API_PORT"))
    if args.rate <= 0 or args.burst < 1:
        raise ConfigError("--rate must be positive and --burst at least 1")
    open_paths = frozenset() if args.protect_all else DEFAULT_OPEN_PATHS
    config = OpsApiConfig(
        open_paths=open_paths | frozenset(args.open_path),
        rate_per_second=args.rate,
        burst=args.burst,
    )
    _configure_logging(ctx)
    app = ctx.app()

    def listening(url: str) -> None:
        print(f"levqor serve: ops API on {url} (metrics at {url}/metrics)", flush=True)

    server = OpsServer(
        lambda: create_ops_app(app, config),
        host=host,
        port=port,
        allow_remote=args.allow_remote,
        on_listening=listening,
    )
    if not args.no_background:
        app.start_background()
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind
        raise ConfigError(
            f"cannot serve the ops API on {host}:{port}",
            hint="is the port in use? choose another with --port (0: any free port)",
        ) from None
    print("levqor serve: stopped", file=sys.stderr, flush=True)
    return 0


def _env_port(text: str | None) -> int:
    if not text:
        return DEFAULT_PORT
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"LEVQOR_API_PORT={text!r} is not a port number") from None


def _configure_logging(ctx: CliContext) -> None:
    from levqor_desktop.core.logging import configure_logging

    configure_logging(ctx.settings)
