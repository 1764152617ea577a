"""``/billing/usage`` and ``/billing/limits``: a member's usage and the limits covering them.

``user`` is a user id or an e-mail address, of a member of the key's organization; any
other user is a 404, so a key cannot probe for users of other organizations.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime,
# and they name dependencies local to the router factory.
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from levqor_desktop.core.apikeys import Principal
from levqor_desktop.core.db import Database
from levqor_desktop.core.models import Membership, User
from levqor_desktop.core.models.usage import Period
from levqor_desktop.core.opsapi.auth import Authenticator, require_principal
from levqor_desktop.core.opsapi.errors import ApiError
from levqor_desktop.core.opsapi.responses import errors
from levqor_desktop.core.opsapi.schemas import LimitOut, LimitsOut, UsageOut, UserRef
from levqor_desktop.core.permissions import Permission
from levqor_desktop.core.tenancy import hash_email
from levqor_desktop.core.usage import UsageService
from levqor_desktop.core.usage.periods import period_start

UserParam = Annotated[
    str,
    Query(
        min_length=1,
        max_length=320,
        description="a user id, or the user's e-mail address",
        examples=["1", "operator@localhost"],
    ),
]


def billing_router(db: Database, usage: UsageService, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/billing", tags=["billing"])
    ReadKey = Annotated[Principal | None, Depends(auth.guard(Permission.READ))]  # noqa: N806

    def member(principal: Principal, ref: str) -> UserRef:
        text = ref.strip()
        if "@" in text:
            where = User.email_sha256 == hash_email(text)
        elif text.isdigit() and len(text) <= 18:
            where = User.id == int(text)
        else:
            raise ApiError(
                400, f"user {ref!r} is neither a user id nor an e-mail address", field="user"
            )
        with db.session() as session:
            found = session.execute(
                select(User.id, User.display_name, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(where, Membership.org_id == principal.org_id)
            ).first()
        if found is None:
            raise ApiError(404, f"no user {text!r} in this organization", field="user")
        return UserRef(id=found[0], display_name=found[1], role=str(found[2]))

    @router.get(
        "/usage",
        response_model=UsageOut,
        summary="A member's usage totals since the start of the day or month",
        responses=errors(400, 401, 403, 404, 429),
    )
    def usage_of(
        principal: ReadKey, user: UserParam, period: Annotated[Period, Query()] = Period.MONTH
    ) -> UsageOut:
        who = require_principal(principal)
        ref = member(who, user)
        totals = usage.totals(who.actor(), period, user_id=ref.id)
        since = period_start(period, usage.now())
        return UsageOut(
            user=ref,
            period=str(period),
            since=since,
            totals={str(metric): amount for metric, amount in totals.items()},
        )

    @router.get(
        "/limits",
        response_model=LimitsOut,
        summary="The limits covering a member (theirs and their organization's), with use",
        responses=errors(400, 401, 403, 404, 429),
    )
    def limits_of(principal: ReadKey, user: UserParam) -> LimitsOut:
        who = require_principal(principal)
        ref = member(who, user)
        statuses = usage.limits.statuses(who.actor(), user_id=ref.id)
        return LimitsOut(
            user=ref,
            limits=[
                LimitOut(
                    id=s.limit.id,
                    scope=s.limit.scope,
                    metric=str(s.limit.metric),
                    period=str(s.limit.period),
                    enforcement=str(s.limit.enforcement),
                    value=s.limit.value,
                    used=s.used,
                    reserved=s.reserved,
                    remaining=s.remaining,
                    level=s.level,
                    resets_at=s.resets_at,
                )
                for s in statuses
            ],
        )

    return router
