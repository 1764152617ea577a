"""The status bar: the deployment, database, queue backend and Redis state, always visible."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QStatusBar

from levqor_desktop.ui.theme import FAIL, OK, WARN, band_style

if TYPE_CHECKING:
    from levqor_desktop.core.status import SystemStatus


def _dot(colour: str) -> str:
    return f'<span style="color:{colour}">●</span>'


class StatusBar(QStatusBar):
    def __init__(self) -> None:
        super().__init__()
        #: The deployment in its environment's colour (set once the App is chosen).
        self.deployment = QLabel("")
        self.deployment.setObjectName("DeploymentSegment")
        self.deployment.hide()
        self.addPermanentWidget(self.deployment)
        self.database = QLabel("Database: …")
        self.queue = QLabel("Queue: …")
        self.redis = QLabel("")
        for label in (self.database, self.queue, self.redis):
            self.addPermanentWidget(label)
        self.redis.hide()

    def set_deployment(self, name: str, environment: str, colour: str) -> None:
        self.deployment.setText(f"{name} · {environment}")
        self.deployment.setStyleSheet(band_style(colour))
        self.deployment.setToolTip(f"Deployment {name} ({environment})")
        self.deployment.show()

    def set_database_text(self, text: str, *, ok: bool | None = None) -> None:
        colour = {True: OK, False: FAIL, None: WARN}[ok]
        self.database.setText(f"{_dot(colour)} {text}")

    def update_status(self, status: SystemStatus) -> None:
        db = status.database
        if db.reachable:
            latency = f" · {db.latency_ms:.1f} ms" if db.latency_ms is not None else ""
            self.set_database_text(f"{_db_name(db.backend)} {db.location}{latency}", ok=True)
            self.database.setToolTip(db.url)
        else:
            self.set_database_text(f"{_db_name(db.backend)} {db.location} · unreachable", ok=False)
            self.database.setToolTip(db.error or "")
        q = status.queue
        colour = {"ok": OK, "degraded": WARN}.get(q.state, FAIL)
        here = "" if status.workers_here else " · workers: not run here"
        self.queue.setText(f"{_dot(colour)} Queue: {q.backend} ({q.state}){here}")
        self.queue.setToolTip("\n".join(filter(None, [q.detail, status.workers_note])))
        if status.redis is None:
            self.redis.hide()
        else:
            ok = status.redis == "ok"
            self.redis.setText(f"{_dot(OK if ok else FAIL)} Redis: {status.redis}")
            self.redis.show()


def _db_name(backend: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(backend, backend)
