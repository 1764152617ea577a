"""Run core calls off the UI thread and deliver their results back on it.

Data flows one way: a panel asks the :class:`Bridge` to run a core call; a QThreadPool
thread runs it; the result (or the error) comes back as a queued Qt signal, so the
callback runs on the UI thread. The UI thread never waits on the database, Redis or the
network.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


class _Relay(QObject):
    """Lives on the UI thread; its signals carry results back across threads."""

    done = Signal(object, object, object)  # callback, result, token
    failed = Signal(object, object, object)  # callback, exception, token


class _Task(QRunnable):
    def __init__(
        self,
        relay: _Relay,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        on_result: ResultCallback | None,
        on_error: ErrorCallback | None,
        token: object,
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._relay = relay
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._on_result, self._on_error = on_result, on_error
        self._token = token

    def run(self) -> None:
        try:
            result = self._fn(*self._args, **self._kwargs)
        except BaseException as exc:
            self._relay.failed.emit(self._on_error, exc, self._token)
        else:
            self._relay.done.emit(self._on_result, result, self._token)


class Bridge(QObject):
    """Submits callables to a thread pool; results return on the UI thread.

    ``default_error`` receives errors of calls that gave no ``on_error`` (the window shows
    them in its message area).
    """

    #: Emitted on the UI thread when a call without its own error handler fails.
    error = Signal(object)
    #: Number of calls in flight changed (for a busy indicator).
    busy_changed = Signal(int)

    def __init__(self, parent: QObject | None = None, *, max_threads: int | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        if max_threads:
            self.pool.setMaxThreadCount(max_threads)
        self._relay = _Relay()
        self._relay.done.connect(self._deliver)
        self._relay.failed.connect(self._deliver_error)
        self._in_flight = 0
        self._lock = threading.Lock()
        self._closed = False

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        **kwargs: Any,
    ) -> None:
        """Run ``fn(*args, **kwargs)`` off the UI thread."""
        if self._closed:
            return
        self._change_in_flight(+1)
        self.pool.start(_Task(self._relay, fn, args, kwargs, on_result, on_error, None))

    def wait_for_done(self, msecs: int = 30_000) -> bool:
        """Block until every submitted call finished (shutdown and tests only)."""
        return self.pool.waitForDone(msecs)

    def close(self, msecs: int = 10_000) -> None:
        """Refuse new calls and wait for those running."""
        self._closed = True
        self.pool.waitForDone(msecs)

    @Slot(object, object, object)
    def _deliver(self, callback: ResultCallback | None, result: Any, _token: object) -> None:
        self._change_in_flight(-1)
        if callback is not None:
            callback(result)

    @Slot(object, object, object)
    def _deliver_error(
        self, callback: ErrorCallback | None, exc: BaseException, _token: object
    ) -> None:
        self._change_in_flight(-1)
        if callback is not None:
            callback(exc)
        else:
            if not _is_operator_error(exc):
                log.error("background call failed", exc_info=exc)
            self.error.emit(exc)

    def _change_in_flight(self, delta: int) -> None:
        with self._lock:
            self._in_flight += delta
            value = self._in_flight
        self.busy_changed.emit(value)


class Poller(QObject):
    """Calls ``fn`` every ``interval_ms`` off the UI thread; never two calls at once.

    Panels start their pollers when shown and stop them when hidden, so a panel nobody
    looks at costs nothing.
    """

    def __init__(
        self,
        bridge: Bridge,
        interval_ms: int,
        fn: Callable[[], Any],
        on_result: ResultCallback,
        parent: QObject | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._fn = fn
        self._on_result = on_result
        self._on_error = on_error
        self._busy = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self, *, immediately: bool = True) -> None:
        self._timer.start()
        if immediately:
            self.poll()

    def stop(self) -> None:
        self._timer.stop()

    def set_interval(self, interval_ms: int) -> None:
        self._timer.setInterval(interval_ms)

    @Slot()
    def poll(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._bridge.submit(self._fn, on_result=self._got, on_error=self._failed)

    def _got(self, result: Any) -> None:
        self._busy = False
        if _destroyed(self):
            return
        self._on_result(result)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        if _destroyed(self):
            return
        if self._on_error is not None:
            self._on_error(exc)
        else:
            self._bridge.error.emit(exc)


def _destroyed(poller: Poller) -> bool:
    """Whether the poller's panel was deleted while its call ran (the window switched
    deployment or reconnected): its widgets are gone, the late result has nowhere to go."""
    import shiboken6

    return not shiboken6.isValid(poller)


def _is_operator_error(exc: BaseException) -> bool:
    from levqor_desktop.errors import LevqorError

    return isinstance(exc, LevqorError)
