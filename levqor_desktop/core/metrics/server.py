"""``/metrics`` on loopback: prometheus_client's small threaded HTTP server, as a service.

It serves the App's own registry in the Prometheus text format (promtool accepts it).
Port 0 picks a free port; :attr:`MetricsServer.port` tells which. A port in use does not
stop the window or ``levqor serve``: the fault is logged and kept in ``error``.
"""

from __future__ import annotations

import logging
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class MetricsServer:
    """A BackgroundService serving ``registry`` at ``http://127.0.0.1:<port>/metrics``."""

    name = "metrics-http"

    def __init__(self, registry: CollectorRegistry, *, port: int, host: str = LOOPBACK) -> None:
        self.registry = registry
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self.error: str | None = None
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str | None:
        return f"http://{self.host}:{self.port}/metrics" if self.port is not None else None

    def start(self) -> None:
        if self._server is not None:
            return
        try:
            server, thread = start_http_server(
                self.requested_port, addr=self.host, registry=self.registry
            )
        except OSError as exc:
            self.error = (
                f"cannot serve metrics on {self.host}:{self.requested_port}: "
                f"{exc.strerror or exc} (set LEVQOR_METRICS_PORT, or 0 for any free port)"
            )
            log.error("%s", self.error)
            return
        self.error = None
        self._server, self._thread = server, thread
        self.port = int(server.server_port)
        log.info("serving metrics at %s", self.url)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self.port = None
