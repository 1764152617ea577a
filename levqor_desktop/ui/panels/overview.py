"""Overview: the real state of this installation at a glance."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from levqor_desktop.core.status import Overview
from levqor_desktop.ui.bridge import Poller
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.theme import FAIL, OK, WARN

REFRESH_MS = 5000


def _value_label() -> QLabel:
    label = QLabel("…")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class OverviewPanel(Panel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        title = QLabel("Overview")
        title.setObjectName("PanelTitle")
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(refresh)

        self.fields: dict[str, QLabel] = {}

        def group(name: str, keys: list[tuple[str, str]]) -> QGroupBox:
            box = QGroupBox(name)
            form = QFormLayout(box)
            for key, label in keys:
                self.fields[key] = _value_label()
                form.addRow(label, self.fields[key])
            return box

        db_box = group(
            "Database",
            [
                ("db_state", "State"),
                ("db_url", "URL"),
                ("schema", "Schema revision"),
                ("schema_head", "Newest revision"),
            ],
        )
        tenancy_box = group("Tenancy", [("orgs", "Organizations"), ("users", "Users")])
        app_box = group(
            "Installation",
            [
                ("version", "Levqor Desktop"),
                ("queue", "Queue backend"),
                ("data_dir", "Data folder"),
                ("config_dir", "Config folder"),
                ("log_dir", "Log folder"),
                ("libs", "Libraries"),
            ],
        )
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.notes)
        row = QHBoxLayout()
        row.addWidget(db_box, 1)
        row.addWidget(tenancy_box, 0)
        layout.addLayout(row)
        layout.addWidget(app_box)
        layout.addStretch(1)

        self.poller = Poller(self.bridge, REFRESH_MS, self.app.overview, self.show_overview, self)
        self.last: Overview | None = None

    def on_shown(self) -> None:
        self.poller.start()

    def on_hidden(self) -> None:
        self.poller.stop()

    def refresh(self) -> None:
        self.poller.poll()

    def show_overview(self, o: Overview) -> None:
        self.last = o
        db = o.database
        if db.reachable:
            latency = f"{db.latency_ms:.1f} ms" if db.latency_ms is not None else ""
            state = f'<span style="color:{OK}">●</span> {db.backend} reachable · {latency}'
        else:
            state = f'<span style="color:{FAIL}">●</span> {db.backend} unreachable: {db.error}'
        self.fields["db_state"].setText(state)
        self.fields["db_url"].setText(db.url)
        colour = OK if o.schema_at_head else WARN
        revisions = ", ".join(o.schema_revisions) or "(empty database)"
        self.fields["schema"].setText(f'<span style="color:{colour}">●</span> {revisions}')
        self.fields["schema_head"].setText(", ".join(o.schema_heads))
        self.fields["orgs"].setText("—" if o.organizations is None else str(o.organizations))
        self.fields["users"].setText("—" if o.users is None else str(o.users))
        self.fields["version"].setText(o.version)
        self.fields["queue"].setText(f"{o.queue.backend} ({o.queue.state})")
        self.fields["data_dir"].setText(o.data_dir)
        self.fields["config_dir"].setText(o.config_dir)
        self.fields["log_dir"].setText(o.log_dir)
        self.fields["libs"].setText(" · ".join(f"{k} {v}" for k, v in o.versions.items()))
        if o.notes:
            self.notes.setText("\n".join(f"⚠ {note}" for note in o.notes))
            self.notes.show()
        else:
            self.notes.hide()
