"""A stand-in for Sentry: a threaded http.server that keeps the envelopes it receives."""

from __future__ import annotations

import gzip
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Seconds to wait for an envelope before the test fails.
WAIT_S = 15


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes  # decompressed


class _Handler(BaseHTTPRequestHandler):
    server: SentryStandIn

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "br":
            import brotli  # type: ignore[import-not-found]

            raw = brotli.decompress(raw)
        self.server.received.put(Received(self.path, dict(self.headers), raw))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: Any) -> None:  # quiet
        return


class SentryStandIn(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: queue.Queue[Received] = queue.Queue()

    @property
    def dsn(self) -> str:
        return f"http://publickey4242@127.0.0.1:{self.server_address[1]}/42"

    def next_event(self) -> dict[str, Any]:
        """The next envelope that holds an event (others, if any, are skipped)."""
        while True:
            got = self.received.get(timeout=WAIT_S)
            assert got.path == "/api/42/envelope/"
            events = [p for h, p in parse_envelope(got.body) if h.get("type") == "event"]
            if events:
                event: dict[str, Any] = json.loads(events[0])
                event["_raw"] = got.body
                return event

    def drain(self) -> list[Received]:
        out = []
        while not self.received.empty():
            out.append(self.received.get_nowait())
        return out


def parse_envelope(body: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """Sentry's envelope: a header line, then items (a header line and a payload)."""
    _header, _, rest = body.partition(b"\n")
    items = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        item = json.loads(line)
        if "length" in item:
            payload, rest = rest[: item["length"]], rest[item["length"] + 1 :]
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((item, payload))
    return items


@contextmanager
def running_sentry() -> Iterator[SentryStandIn]:
    server = SentryStandIn()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
