"""Workflows: JSON documents of steps, validated, versioned, and run step by step.

``document``  the models and :func:`parse_workflow` (every fault with path and line)
``templates`` the sandboxed template engine for step inputs
``actions``   the action catalog contract, :class:`RunContext`, :class:`StepFailed`
``builtins``  the ``core.*`` actions
``runner``    :class:`StepRunner`, :func:`run_workflow` (the API the jobs service uses)
``store``     :class:`WorkflowStore`: versions in the database
"""

from levqor_desktop.core.workflows.actions import (
    ActionCatalog,
    ActionInfo,
    CompositeCatalog,
    RunContext,
    StepCanceled,
    StepFailed,
)
from levqor_desktop.core.workflows.document import (
    Fault,
    InputParam,
    ManualTrigger,
    RetryPolicy,
    ScheduleTrigger,
    Step,
    Workflow,
    WorkflowInvalid,
    parse_workflow,
)
from levqor_desktop.core.workflows.runner import (
    InputsInvalid,
    RunResult,
    StepEvent,
    StepOutcome,
    StepRunner,
    build_scope,
    resolve_inputs,
    run_workflow,
)
from levqor_desktop.core.workflows.templates import TemplateEngine, TemplateError

__all__ = [
    "ActionCatalog",
    "ActionInfo",
    "CompositeCatalog",
    "Fault",
    "InputParam",
    "InputsInvalid",
    "ManualTrigger",
    "RetryPolicy",
    "RunContext",
    "RunResult",
    "ScheduleTrigger",
    "Step",
    "StepCanceled",
    "StepEvent",
    "StepFailed",
    "StepOutcome",
    "StepRunner",
    "TemplateEngine",
    "TemplateError",
    "Workflow",
    "WorkflowInvalid",
    "build_scope",
    "parse_workflow",
    "resolve_inputs",
    "run_workflow",
]
