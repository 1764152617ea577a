"""The panels of the main window, in sidebar order (Ctrl+1..9 follow this order).

Panels are imported lazily, the first time they are shown, so the window appears fast
and a panel's heavy imports (pyqtgraph, ...) cost nothing until it is used. Add one line
per panel.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from levqor_desktop.ui.panels.base import Panel, PanelContext


@dataclass(frozen=True)
class PanelSpec:
    key: str
    title: str
    #: "package.module:ClassName" of the Panel subclass.
    target: str
    #: Name of a QStyle standard pixmap (``SP_...``) used as the sidebar icon.
    icon: str = "SP_FileIcon"

    def create(self, ctx: PanelContext) -> Panel:
        module_name, _, class_name = self.target.partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        panel: Panel = cls(ctx)
        return panel


PANELS: tuple[PanelSpec, ...] = (
    # Daily work first (Ctrl+1..9), the rare administrative panels last.
    PanelSpec(
        "overview", "Overview", "levqor_desktop.ui.panels.overview:OverviewPanel", "SP_ComputerIcon"
    ),
    PanelSpec("queue", "Queue", "levqor_desktop.ui.panels.queue:QueuePanel", "SP_BrowserReload"),
    PanelSpec(
        "workflows",
        "Workflows",
        "levqor_desktop.ui.panels.workflows:WorkflowsPanel",
        "SP_FileDialogDetailedView",
    ),
    PanelSpec(
        "connectors",
        "Connectors",
        "levqor_desktop.ui.panels.connectors:ConnectorsPanel",
        "SP_DriveNetIcon",
    ),
    PanelSpec("metrics", "Metrics", "levqor_desktop.ui.panels.metrics:MetricsPanel", "SP_ArrowUp"),
    PanelSpec("logs", "Logs", "levqor_desktop.ui.panels.logs:LogsPanel", "SP_FileDialogInfoView"),
    PanelSpec(
        "incidents",
        "Incidents",
        "levqor_desktop.ui.panels.incidents:IncidentsPanel",
        "SP_MessageBoxWarning",
    ),
    PanelSpec(
        "usage", "Usage", "levqor_desktop.ui.panels.usage:UsagePanel", "SP_DialogApplyButton"
    ),
    PanelSpec("canary", "Canary", "levqor_desktop.ui.panels.canary:CanaryPanel", "SP_MediaPlay"),
    PanelSpec("flags", "Flags", "levqor_desktop.ui.panels.flags:FlagsPanel", "SP_DialogYesButton"),
    PanelSpec(
        "migrations",
        "Migrations",
        "levqor_desktop.ui.panels.migrations:MigrationsPanel",
        "SP_DriveHDIcon",
    ),
    PanelSpec(
        "orgs",
        "Organizations",
        "levqor_desktop.ui.panels.organizations:OrganizationsPanel",
        "SP_DirHomeIcon",
    ),
)
