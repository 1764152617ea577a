"""``/api/v1/ops/flags``: read the flags (any key), change one (admin keys), audited."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime,
# and they name dependencies local to the router factory.
from typing import Annotated

from fastapi import APIRouter, Depends, Path

from levqor_desktop.core.apikeys import Principal
from levqor_desktop.core.flags import FLAGS, FlagName
from levqor_desktop.core.flags.service import AuditEntry, FlagService, FlagView
from levqor_desktop.core.opsapi.auth import Authenticator, require_principal
from levqor_desktop.core.opsapi.confirm import confirmation, guarded
from levqor_desktop.core.opsapi.errors import ApiError
from levqor_desktop.core.opsapi.responses import errors
from levqor_desktop.core.opsapi.schemas import (
    FlagChangeOut,
    FlagList,
    FlagOut,
    FlagUpdate,
    FlagUpdateOut,
)
from levqor_desktop.core.permissions import Permission
from levqor_desktop.core.safety import Guard


def flags_router(flags: FlagService, auth: Authenticator, guard: Guard) -> APIRouter:
    router = APIRouter(prefix="/api/v1/ops/flags", tags=["flags"])
    ReadKey = Annotated[Principal | None, Depends(auth.guard(Permission.READ))]  # noqa: N806
    AdminKey = Annotated[Principal | None, Depends(auth.guard(Permission.MANAGE_FLAGS))]  # noqa: N806
    Confirm = Annotated[str | None, Depends(confirmation)]  # noqa: N806

    @router.get("", response_model=FlagList, summary="Every flag, its value and last change",
                responses=errors(401, 403, 429))  # fmt: skip
    def list_flags(_: ReadKey) -> FlagList:
        return FlagList(flags=[_flag_out(v) for v in flags.views()])

    @router.put(
        "/{name}",
        response_model=FlagUpdateOut,
        summary="Set a flag (admin keys); risky flags need a reason",
        description="With CANARY_MODE on, a risky change runs the canary, which reverts "
        "the change when it fails.",
        responses=errors(400, 401, 403, 404, 409, 428, 429),
    )
    def set_flag(
        principal: AdminKey,
        update: FlagUpdate,
        name: Annotated[str, Path(max_length=64, description="e.g. PG_ENABLED")],
        confirm: Confirm,
    ) -> FlagUpdateOut:
        who = require_principal(principal)
        flag = _known(name)
        if FLAGS[flag].risky and not (update.reason or "").strip():
            raise ApiError(400, f"{flag} is a risky flag: give a reason", field="reason")
        change = guarded(
            guard,
            who,
            "flags.set",
            f"{flag} -> {'on' if update.value else 'off'}",
            confirm,
            lambda: flags.set(who.actor(), flag, update.value, update.reason, source="api"),
            {"reason": update.reason},
        )
        view = next(v for v in flags.views() if v.state.name == flag)
        return FlagUpdateOut(
            changed=change is not None,
            audit_id=change.entry.id if change is not None else None,
            flag=_flag_out(view),
        )

    return router


def _known(name: str) -> FlagName:
    try:
        return FlagName(name.strip().upper())
    except ValueError:
        raise ApiError(
            404, f"no flag named {name!r}", field="name", hint=f"the flags: {', '.join(FLAGS)}"
        ) from None


def _flag_out(view: FlagView) -> FlagOut:
    state, definition = view.state, view.definition
    return FlagOut(
        name=str(state.name),
        description=definition.description,
        value=state.value,
        default=definition.default,
        risky=definition.risky,
        source=str(state.source),
        locked=state.locked,
        last_change=_change_out(view.last_change),
    )


def _change_out(entry: AuditEntry | None) -> FlagChangeOut | None:
    if entry is None:
        return None
    return FlagChangeOut(
        id=entry.id, at=entry.at, actor=entry.actor_name, source=entry.source, reason=entry.reason
    )
