"""Run in a fresh interpreter: an App with error reporting on, and a thread that crashes.

``python -m tests.helpers.sentry_thread_crash`` reads one JSON object on stdin (``dsn``,
``home``, ``secret``, ``token``, ``bearer``, ``email``, ``inputs``), enables reporting to
``dsn`` and raises, uncaught, in a worker thread an exception carrying all of them in
its message and its frames' variables. The threading integration reports it; the test
that starts this reads what arrived at the stand-in server.

A process of its own because sentry-sdk patches ``threading.Thread`` once per process
and pytest replaces ``threading.excepthook`` per test: in a shared process whether the
crash reached Sentry depended on which tests ran before.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

from levqor_desktop.app import build_app
from levqor_desktop.settings import Settings
from tests.helpers.memory_keyring import MemoryKeyring


def _charge_customer(inputs: dict[str, str], token: str, planted: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {planted['bearer']}", "X-Customer": inputs["customer"]}
    raise RuntimeError(
        f"billing refused {planted['email']}: Authorization: Bearer {planted['bearer']} "
        f"token={token} inputs={json.dumps(inputs)} key {planted['secret']} "
        f"customer {inputs['customer']!r} headers {headers}"
    )


def main() -> int:
    planted: dict[str, Any] = json.loads(sys.stdin.read())
    settings = Settings.from_env({"LEVQOR_METRICS_PORT": "0"}, home=Path(planted["home"]))
    app = build_app(settings, secret_backend=MemoryKeyring()).start()
    try:
        # Registered for redaction as a connector secret read from the keyring is.
        app.secrets.set("connector:billing:default:api_key", planted["secret"])
        status = app.error_reporting.enable(planted["dsn"])
        if not status.active:
            print("error reporting did not start", file=sys.stderr)
            return 2
        worker = threading.Thread(
            target=_charge_customer,
            args=(dict(planted["inputs"]), planted["token"], planted),
            name="levqor-billing",
        )
        worker.start()
        worker.join()
        app.error_reporting.flush()
        app.error_reporting.stop()
    finally:
        app.close()
    print("crashed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
