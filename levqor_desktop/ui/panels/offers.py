"""What each panel offers the command palette, the Actions menu and saved views.

One table, keyed by the panel's class name: the actions (a title, the panel method
called, its arguments, a shortcut) and, for saved views, the attribute names of the
panel's filter widgets and of its sortable table. The palette and the menus both read
it through :meth:`Panel.commands`, so they always list the same actions. A test checks
that every named method and widget exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PanelAction:
    title: str
    #: The panel method called, with ``args``.
    method: str
    args: tuple[Any, ...] = ()
    shortcut: str = ""
    #: The panel's own widget binds ``shortcut``: menus show it without binding it again.
    panel_binds_shortcut: bool = False


@dataclass(frozen=True)
class PanelOffer:
    actions: tuple[PanelAction, ...] = ()
    #: Attribute names of the filter widgets a saved view keeps.
    view_widgets: tuple[str, ...] = ()
    #: Attribute name of the table whose sort a saved view keeps.
    view_table: str | None = None


#: The migration wizard's steps, each a MigrationsPanel method.
MIGRATION_STEPS = ("backup", "preflight", "migrate", "verify", "switch", "rollback", "cancel")


def _refresh(method: str = "refresh", title: str = "Refresh") -> PanelAction:
    return PanelAction(title, method, shortcut="F5")


OFFERS: dict[str, PanelOffer] = {
    "OverviewPanel": PanelOffer((_refresh(),)),
    "QueuePanel": PanelOffer(
        (
            _refresh(),
            PanelAction("Suspend or resume every queue", "toggle_suspend"),
            *(
                PanelAction(f"{verb.capitalize()} all matching…", "bulk", (verb,))
                for verb in ("cancel", "requeue", "retry", "delete")
            ),
        ),
        view_widgets=("state_combo", "workflow_edit", "user_edit", "text_edit"),
        view_table="jobs_view",
    ),
    "WorkflowsPanel": PanelOffer(
        (
            _refresh(title="Refresh the list"),
            PanelAction("New workflow", "new_workflow"),
            PanelAction("Save", "save", shortcut="Ctrl+S", panel_binds_shortcut=True),
            PanelAction("Test run", "test_run"),
            PanelAction("Stop the test run", "stop_test"),
            PanelAction("Run as a job", "run_job"),
            PanelAction("Import…", "import_file"),
            PanelAction("Export…", "export_file"),
            PanelAction("Delete…", "delete_current"),
        )
    ),
    "ConnectorsPanel": PanelOffer((_refresh(),), view_widgets=("filter",), view_table="table"),
    "MetricsPanel": PanelOffer((PanelAction("Follow now (undo zoom)", "reset_zoom"),)),
    "LogsPanel": PanelOffer(
        (_refresh("reload", "Reload"), PanelAction("Export the view…", "export_view")),
        view_widgets=("level_box", "logger_edit", "job_edit", "text_edit", "api_box", "queue_box"),
    ),
    "UsagePanel": PanelOffer(
        (
            _refresh(),
            PanelAction("Export CSV…", "export_csv"),
            PanelAction("Add limit…", "add_limit"),
            PanelAction("Change the selected limit…", "edit_limit"),
            PanelAction("Remove the selected limit", "remove_limit"),
        ),
        view_widgets=("scope", "period", "graph_metric"),
    ),
    "CanaryPanel": PanelOffer(
        (
            PanelAction("Run canary", "run"),
            _refresh("reload", "Reload history"),
            PanelAction("Add deployment…", "add_deployment"),
            PanelAction("API keys…", "open_keys"),
            PanelAction("Revert this change", "revert_offered"),
        )
    ),
    "FlagsPanel": PanelOffer(
        (
            _refresh(),
            PanelAction("Turn the selected flag on or off", "toggle_selected"),
            PanelAction("Selected flag: use the default", "unset_selected"),
            PanelAction("Undo the selected change", "undo_selected"),
            PanelAction("Reset the flags file…", "reset_file"),
        )
    ),
    "MigrationsPanel": PanelOffer(
        (
            _refresh(),
            *(PanelAction(f"Migration: {step}", step) for step in MIGRATION_STEPS),
        )
    ),
    "IncidentsPanel": PanelOffer(
        (
            _refresh("reload"),
            PanelAction("Show the last failure", "show_last_failure"),
            PanelAction("Export as Markdown…", "export_view", ("md",)),
            PanelAction("Export as JSON…", "export_view", ("json",)),
        )
    ),
    "OrganizationsPanel": PanelOffer(
        (
            _refresh(),
            PanelAction("New organization…", "create_org"),
            PanelAction("Rename the organization…", "rename_org"),
            PanelAction("Add member…", "add_member"),
            PanelAction("Change the member's role…", "change_role"),
            PanelAction("Remove the member", "remove_member"),
        )
    ),
}
