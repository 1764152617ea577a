"""Helpers of the canary and ops API tests: jobs to inject, a Redis of the test's own,
and a ``levqor serve`` subprocess on a free port."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from levqor_desktop.core.db import Database
from levqor_desktop.core.models import utcnow
from levqor_desktop.core.models.jobs import Job, JobStatus

REPO = Path(__file__).resolve().parents[2]
#: How long a child process may take to say it is ready (a bound, not a sleep).
READY_TIMEOUT_S = 60.0


def inject_jobs(db: Database, org_id: int, *, failed: int = 0, succeeded: int = 0) -> None:
    """Jobs that finished just now, as the runner leaves them."""
    now = utcnow()
    with db.write_session() as session:
        for status, n in ((JobStatus.FAILED, failed), (JobStatus.SUCCEEDED, succeeded)):
            for i in range(n):
                session.add(
                    Job(
                        org_id=org_id,
                        workflow_name=f"canary-test-{status.value}-{i}",
                        status=status,
                        attempts=1,
                        created_at=now,
                        started_at=now,
                        finished_at=now,
                        error="injected failure" if status is JobStatus.FAILED else None,
                    )
                )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_until(proc: subprocess.Popen[str], pattern: str, what: str) -> re.Match[str]:
    """Read the child's output until ``pattern`` matches (or it dies, or time runs out).

    A thread reads the pipe for the child's whole life: selecting on a buffered text
    pipe can miss lines Python already buffered, and a pipe nobody drains blocks a
    chatty child once it is full.
    """
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump(stream: Any) -> None:
        try:
            for line in stream:
                lines.put(line)
        except (OSError, ValueError):  # the pipe was closed by stop()
            pass
        lines.put(None)

    threading.Thread(target=pump, args=(proc.stdout,), daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT_S
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    proc.kill()
    pytest.fail(f"{what} did not start: {''.join(seen)[-2000:]}")


@contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A redis-server of this test's own on a free port: (url, process)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--loglevel", "notice"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        _read_until(proc, r"Ready to accept connections", "redis-server")
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def child_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child ``levqor``: our home, none of the developer's settings."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "LEVQOR_HOME": str(home),
        "LEVQOR_METRICS_PORT": "0",
        "LEVQOR_WORKERS": "1",
        "PYTHONPATH": str(REPO),
    }
    env.update(extra or {})
    return env


@contextmanager
def levqor_serve(
    home: Path, extra_env: Mapping[str, str] | None = None, *args: str
) -> Iterator[str]:
    """``levqor serve --port 0`` in a subprocess; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "levqor_desktop.cli.main", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
        env=child_env(home, extra_env),
    )  # fmt: skip
    try:
        found = _read_until(proc, r"ops API on (http://\S+)", "levqor serve")
        yield found.group(1)
    finally:
        stop(proc)


class DelayProxy:
    """A TCP proxy in front of a server that delays what the client sends by ``delay``
    seconds per chunk: a slow database, for every process that connects through it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.delay = 0.0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="delay-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, delayed: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if delayed and self.delay:
                    time.sleep(self.delay)  # the fault this proxy injects
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                s.close()
