"""API keys on every request: who calls, with what role, and how often.

A key comes as ``Authorization: Bearer lvq_...`` or ``X-API-Key: lvq_...``. Paths the
configuration leaves open answer without a key; a key given there is still checked.
Every request takes a token from its key's bucket (or its client address's, without a
key, so guessing keys is throttled too).
"""

# No `from __future__ import annotations`: FastAPI reads the dependency's annotations.
import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from levqor_desktop.core.apikeys import ApiKeyService, Principal
from levqor_desktop.core.opsapi.config import OpsApiConfig
from levqor_desktop.core.opsapi.errors import ApiError
from levqor_desktop.core.opsapi.ratelimit import TokenBuckets, retry_after_header
from levqor_desktop.core.permissions import Permission, allowed, minimum_role

bearer = HTTPBearer(auto_error=False, description="an API key: levqor apikeys create")
header_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="the same API key, as a header"
)

Guard = Callable[..., Awaitable[Principal | None]]


class Authenticator:
    def __init__(self, keys: ApiKeyService, config: OpsApiConfig, buckets: TokenBuckets) -> None:
        self.keys = keys
        self.config = config
        self.buckets = buckets
        self.fresh_for = dt.timedelta(seconds=config.key_cache_seconds)
        # (event loop, presented key) -> its lookup in progress
        self._in_flight: dict[
            tuple[asyncio.AbstractEventLoop, str], asyncio.Future[Principal | None]
        ] = {}

    def guard(self, permission: Permission) -> Guard:
        """A dependency: the caller's principal (None on an open path without a key)."""

        # Async, so that it runs on the event loop: a sync dependency costs a thread hop
        # of its own before the endpoint's (two per request, measured as a fifth of
        # the server's time under load). It blocks on nothing: the key is answered
        # from memory, and only a key not verified lately goes to a thread to be
        # looked up.
        async def dependency(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
            x_api_key: Annotated[str | None, Security(header_key)],
        ) -> Principal | None:
            presented = credentials.credentials if credentials is not None else x_api_key
            client = request.client.host if request.client else "unknown"
            if not presented:
                if not self.config.is_open(request.url.path):
                    self._throttle(f"ip:{client}")
                    raise ApiError(
                        401,
                        "this endpoint needs an API key",
                        hint="send Authorization: Bearer <key> (levqor apikeys create)",
                        headers={"WWW-Authenticate": "Bearer"},
                    )
                self._throttle(f"ip:{client}")
                return None
            principal = self.keys.remembered(presented, fresh_for=self.fresh_for)
            if principal is None:
                principal = await self._look_up(presented)
            if principal is None:
                self._throttle(f"ip:{client}")
                raise ApiError(
                    401,
                    "the API key is unknown or revoked",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            self._throttle(f"key:{principal.prefix}")
            if not allowed(principal.role, permission):
                raise ApiError(
                    403,
                    f"the key {principal.prefix} ({principal.role}) may not "
                    f"{permission.value.replace('_', ' ')}: it needs the "
                    f"{minimum_role(permission)} role",
                )
            return principal

        return dependency

    async def _look_up(self, presented: str) -> Principal | None:
        """The key checked against the database on a thread, once for all requests
        that present it meanwhile: when a remembered key goes stale under load,
        hundreds of requests arrive before the first lookup is back, and each asked
        the database again (one lookup per waiting request, all on the thread pool)."""
        flight = (asyncio.get_running_loop(), presented)
        task = self._in_flight.get(flight)
        if task is None:
            task = asyncio.ensure_future(
                run_in_threadpool(self.keys.authenticate, presented, fresh_for=self.fresh_for)
            )
            self._in_flight[flight] = task
            task.add_done_callback(lambda _: self._in_flight.pop(flight, None))
        # shield: a request that goes away must not cancel the lookup the others await.
        return await asyncio.shield(task)

    def _throttle(self, bucket: str) -> None:
        wait = self.buckets.take(bucket)
        if wait > 0:
            raise ApiError(
                429,
                "too many requests: slow down",
                hint=f"retry in {retry_after_header(wait)} s",
                headers={"Retry-After": retry_after_header(wait)},
            )


def require_principal(principal: Principal | None) -> Principal:
    """For endpoints that act as someone: refuse an anonymous caller (an opened path)."""
    if principal is None:
        raise ApiError(401, "this endpoint acts as a user: it needs an API key")
    return principal
