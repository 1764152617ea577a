"""``/metrics`` on loopback: served by a background service, on a free port when asked."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from levqor_desktop.app import build_app
from levqor_desktop.core.metrics import Metrics, MetricsServer
from tests.conftest import make_settings


def test_app_serves_metrics_on_loopback_while_background_runs(home: Path) -> None:
    app = build_app(make_settings(home, LEVQOR_METRICS_PORT="0"))
    assert app.metrics_server in app.background and app.sampler in app.background
    app.start_background()
    try:
        url = app.metrics_server.url
        assert url is not None and url.startswith("http://127.0.0.1:")
        app.metrics.observe_job("succeeded", "w", 0.5)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            body = response.read().decode()
        samples = {s.name: s.value for f in text_string_to_metric_families(body) for s in f.samples}
        assert samples["levqor_jobs_run_total"] == 1.0
    finally:
        app.close()
    assert app.metrics_server.port is None


def test_a_port_in_use_is_reported_not_fatal() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(Metrics().registry, port=port)
        server.start()
        assert server.port is None
        assert server.error is not None
        assert f"cannot serve metrics on 127.0.0.1:{port}" in server.error
        assert "LEVQOR_METRICS_PORT" in server.error
        server.stop()
