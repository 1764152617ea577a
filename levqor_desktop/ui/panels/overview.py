"""Overview: the real state of this installation at a glance, and of the other
deployments (one row per profile, read every 15 s off the UI thread)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from levqor_desktop.core.safety.summaries import DeploymentSummary
from levqor_desktop.core.status import Overview
from levqor_desktop.ui.bridge import Poller
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.theme import FAIL, OK, WARN, band_style

REFRESH_MS = 5000
#: The other deployments are read less often: each read opens a connection there.
DEPLOYMENTS_REFRESH_MS = 15_000
DEPLOYMENT_COLUMNS = ("Deployment", "State", "Queued", "Running", "Failed (1 h)", "Done / min")


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
        self.deployments = DeploymentRows()
        layout.addWidget(self.deployments)
        layout.addWidget(app_box)
        layout.addStretch(1)

        self.poller = Poller(self.bridge, REFRESH_MS, self.app.overview, self.show_overview, self)
        self.deployments_poller = Poller(
            self.bridge, DEPLOYMENTS_REFRESH_MS, self.app.deployment_summaries,
            self.deployments.show_summaries, self, on_error=self.deployments.show_error,
        )  # fmt: skip
        self.last: Overview | None = None

    def on_shown(self) -> None:
        self.poller.start()
        self.deployments_poller.start()

    def on_hidden(self) -> None:
        self.poller.stop()
        self.deployments_poller.stop()

    def refresh(self) -> None:
        self.poller.poll()
        self.deployments_poller.poll()

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


class DeploymentRows(QGroupBox):
    """One row per deployment profile: its colour, reachable or why not, its queue."""

    def __init__(self) -> None:
        super().__init__("Deployments")
        self.grid = QGridLayout(self)
        self.grid.setHorizontalSpacing(16)
        self.grid.setColumnStretch(1, 1)
        self.last: list[DeploymentSummary] | None = None
        #: The labels of each deployment row (the heading row not included).
        self.rows: list[list[QLabel]] = []
        self._heading: list[QLabel] = []
        self.note = QLabel("Reading…")
        self.note.setObjectName("Muted")
        self.grid.addWidget(self.note, 0, 0)

    def show_error(self, exc: BaseException) -> None:
        self.note.setText(f"Could not list the deployments: {exc}")
        self.note.show()

    def show_summaries(self, summaries: list[DeploymentSummary]) -> None:
        self.last = summaries
        self.note.hide()
        for label in self._heading + [cell for row in self.rows for cell in row]:
            self.grid.removeWidget(label)
            label.deleteLater()
        self._heading = [self._put(0, c, f"<b>{h}</b>") for c, h in enumerate(DEPLOYMENT_COLUMNS)]
        self.rows = []
        for row, s in enumerate(summaries, start=1):
            cells = [self._put(row, c, text) for c, text in enumerate(_row_texts(s))]
            cells[0].setStyleSheet(band_style(s.colour))
            cells[0].setToolTip(s.location)
            self.rows.append(cells)

    def row_texts(self) -> list[list[str]]:
        """What each row says (tests read it)."""
        return [[label.text() for label in row] for row in self.rows]

    def _put(self, row: int, column: int, text: str) -> QLabel:
        label = QLabel(text)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if column == 1:
            label.setWordWrap(True)
            # The state wraps (a long error) and takes the row's width: no alignment,
            # which would size it to one line.
            self.grid.addWidget(label, row, column)
            return label
        # Top-aligned: a long error in one row does not stretch the name beside it.
        top = Qt.AlignmentFlag.AlignTop
        if column == 0:
            top |= Qt.AlignmentFlag.AlignLeft
        self.grid.addWidget(label, row, column, alignment=top)
        return label


def _row_texts(s: DeploymentSummary) -> list[str]:
    name = f"{s.name} · {s.environment}" + (" (this window)" if s.current else "")
    if not s.reachable:
        state = f'<span style="color:{FAIL}">●</span> unreachable: {s.error}'
        return [name, state, "—", "—", "—", "—"]
    failed = s.failed_last_hour or 0
    state = f'<span style="color:{OK if failed == 0 else WARN}">●</span> reachable'
    return [
        name, state, str(s.queued), str(s.running), str(failed),
        "—" if s.per_minute is None else f"{s.per_minute:g}",
    ]  # fmt: skip
