"""Connector actions as workflow steps: ``uses: "slack.post_message"``.

A step may name the account to use with the input ``account`` (default: "default").
Connector errors carry ``retryable``, which the step runner honours; their messages are
already redacted by the connector's HTTP layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.errors import ConnectorError
from levqor_desktop.core.integrations.service import DEFAULT_ACCOUNT, ConnectorService
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage.hooks import AIStep
from levqor_desktop.core.workflows.actions import ActionInfo, RunContext, StepFailed
from levqor_desktop.errors import LevqorError

ACCOUNT_INPUT = "account"

#: Who a step acts as: the job's organization and user (the default operator for a test run).
ActorForRun = Callable[[RunContext], Actor]


class ConnectorCatalog:
    def __init__(self, service: ConnectorService, actor_for: ActorForRun) -> None:
        self.service = service
        self.actor_for = actor_for

    def names(self) -> list[str]:
        return sorted(
            f"{cls.name}.{action}" for cls in self.service.visible() for action in cls.actions()
        )

    def describe(self, uses: str) -> ActionInfo | None:
        connector, _, action = uses.partition(".")
        if not action or connector not in self.service.registry:
            return None
        cls = self.service.registry.get(connector)
        spec = cls.actions().get(action)
        if spec is None:
            return None
        schema = dict(spec.input_model.model_json_schema())
        properties = dict(schema.get("properties", {}))
        properties[ACCOUNT_INPUT] = {
            "type": "string",
            "description": f"the {cls.title} account to use (default: {DEFAULT_ACCOUNT})",
        }
        schema["properties"] = properties
        required = tuple(schema.get("required", ()))
        return ActionInfo(
            uses=uses,
            description=spec.description,
            required_inputs=required,
            input_schema=schema,
        )

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        connector, _, action = uses.partition(".")
        values = dict(inputs)
        label = str(values.pop(ACCOUNT_INPUT, None) or DEFAULT_ACCOUNT)
        actor = self.actor_for(run)
        try:
            return self.service.run_action(
                actor,
                connector,
                action,
                values,
                label,
                job_id=run.job_id,
                ai_step=ai_worst_case(connector, action, values),
            )
        except ConnectorError as exc:
            raise StepFailed(str(exc), retryable=exc.retryable, kind=exc.kind) from None
        except LevqorError as exc:
            # Missing account, flag off, permission: retrying cannot help.
            raise StepFailed(str(exc), retryable=False, kind="configuration") from None


#: max_tokens assumed for an AI chat step that sets none, for the cost guard's worst case.
DEFAULT_AI_MAX_TOKENS = 4096


def ai_worst_case(connector: str, action: str, inputs: dict[str, Any]) -> AIStep | None:
    """The most an AI chat step can cost: its model, max_tokens and prompt size.

    The prompt is estimated at four characters a token (no tokenizer is bundled); the
    usage hooks reserve this before the call and settle the real usage after it.
    """
    if (connector, action) != ("ai", "chat"):
        return None
    text = "".join(
        str(m.get("content", "")) if isinstance(m, dict) else str(m)
        for m in inputs.get("messages") or []
    )
    text += str(inputs.get("prompt") or "") + str(inputs.get("system") or "")
    max_tokens = int(inputs.get("max_tokens") or DEFAULT_AI_MAX_TOKENS)
    return AIStep(str(inputs.get("model") or ""), max_tokens, len(text) // 4 + 1)
