"""Serving the ops API with uvicorn: in the foreground (``levqor serve``) or as a
BackgroundService (the window, when its switch is on; off by default).

Loopback only unless ``allow_remote`` is given: the API carries flag changes and usage
data, so reaching it from the network is a decision, and it is logged as a warning.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from levqor_desktop.core.opsapi.config import DEFAULT_PORT, LOOPBACK, is_loopback
from levqor_desktop.errors import ConfigError

log = logging.getLogger("levqor.api")

#: How long start() waits for the socket to be bound.
START_TIMEOUT_S = 30.0
#: How long an idle keep-alive connection stays open. uvicorn's 5 s closed connections
#: of busy clients under load (1,000 clients: the close crossed the client's next
#: request, "server disconnected"); a server's keep-alive should outlast the proxy's.
KEEP_ALIVE_S = 75


class _Server(uvicorn.Server):
    """uvicorn's server, telling when it listens (and on which port)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[int], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            port = int(self.servers[0].sockets[0].getsockname()[1]) if self.servers else 0
            self._on_started(port)


class OpsServer:
    """The ops API on ``host:port``; port 0 picks a free one (see :attr:`port`)."""

    name = "ops-api"

    def __init__(
        self,
        api: Callable[[], FastAPI],
        *,
        host: str = LOOPBACK,
        port: int = DEFAULT_PORT,
        allow_remote: bool = False,
        on_listening: Callable[[str], None] | None = None,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ConfigError(f"port {port} is not a TCP port (0-65535)")
        if not is_loopback(host):
            if not allow_remote:
                raise ConfigError(
                    f"refusing to serve the ops API on {host}: it is not a loopback address",
                    hint="pass --allow-remote to serve beyond this machine (use API keys and TLS "
                    "in front)",
                )
            log.warning(
                "the ops API listens on %s:%s, reachable from other machines; "
                "every endpoint but the open ones needs an API key",
                host,
                port,
            )
        self._api = api
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self.error: str | None = None
        self._on_listening = on_listening
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._listening = threading.Event()

    @property
    def url(self) -> str | None:
        if self.port is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _build(self) -> _Server:
        config = uvicorn.Config(
            self._api(),
            host=self.host,
            port=self.requested_port,
            log_config=None,  # our logging configuration, not uvicorn's
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_keep_alive=KEEP_ALIVE_S,
        )
        return _Server(config, self._started)

    def _started(self, port: int) -> None:
        self.port = port
        self._listening.set()
        log.info("ops API listening on %s", self.url)
        if self._on_listening is not None and self.url is not None:
            self._on_listening(self.url)

    def run(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM (``levqor serve``)."""
        server = self._server = self._build()
        server.run()
        if not server.started:
            raise ConfigError(
                f"cannot serve the ops API on {self.host}:{self.requested_port}",
                hint="is the port in use? choose another with --port (0: any free port)",
            )

    # -- BackgroundService --------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        server = self._server = self._build()
        self._listening.clear()
        self._thread = threading.Thread(target=self._serve, args=(server,), name="ops-api")
        self._thread.daemon = True
        self._thread.start()
        if not self._listening.wait(START_TIMEOUT_S) and not server.started:
            self.error = f"the ops API did not start on {self.host}:{self.requested_port}"
            log.error("%s", self.error)

    def _serve(self, server: _Server) -> None:
        try:
            server.run()
        except BaseException as exc:  # a bind error ends uvicorn with SystemExit
            self.error = f"the ops API stopped: {type(exc).__name__}: {exc}"
            log.error("%s", self.error)
        finally:
            self._listening.set()  # wake start() when binding failed

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
        self.port = None


def build_ops_server(app: Any, **kwargs: Any) -> OpsServer:
    """An OpsServer over ``app`` (the window appends it to ``app.background`` when the
    operator turns the API on)."""
    from levqor_desktop.core.opsapi import create_ops_app

    return OpsServer(lambda: create_ops_app(app), **kwargs)
