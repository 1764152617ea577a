"""The production guard over HTTP: mutating routes need ``X-Levqor-Confirm: <name>``.

On a production profile a changing request is refused with 428 (Precondition Required)
unless the header carries the deployment's name; on local and staging it is not needed.
Either way the change goes through ``app.guard`` and leaves an ``operator_actions`` row.
"""

# No `from __future__ import annotations`: FastAPI reads the dependency's annotations.
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Header

from levqor_desktop.core.apikeys import Principal
from levqor_desktop.core.opsapi.errors import ApiError
from levqor_desktop.core.safety import Guard, GuardedAction, GuardRefused

T = TypeVar("T")

CONFIRM_HEADER = "X-Levqor-Confirm"


def confirmation(
    x_levqor_confirm: Annotated[
        str | None,
        Header(
            alias=CONFIRM_HEADER,
            max_length=100,
            description="the deployment's name; needed by changes on a production profile",
        ),
    ] = None,
) -> str | None:
    """A dependency: the confirmation the caller sent (None without the header)."""
    return x_levqor_confirm


def guarded(
    guard: Guard,
    principal: Principal,
    action: str,
    target: str,
    confirm: str | None,
    do: Callable[[], T],
    details: Mapping[str, Any] | None = None,
) -> T:
    """Run ``do`` through the guard; a refusal is a 428 naming the header to send."""
    request = GuardedAction(action, target, 1, (target,), "api", details or {})
    try:
        return guard.run(request, confirm=confirm, actor=principal.actor(), do=do)
    except GuardRefused as exc:
        raise ApiError(
            428,
            exc.message,
            field=CONFIRM_HEADER,
            hint=f"send the header {CONFIRM_HEADER}: {guard.profile.name}",
        ) from None
