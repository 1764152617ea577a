"""The ops API's key check: one database lookup for all requests waiting on a key."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
from fastapi.security import HTTPAuthorizationCredentials
from starlette.requests import Request

from levqor_desktop.core.apikeys import Principal
from levqor_desktop.core.models import Role
from levqor_desktop.core.opsapi.auth import Authenticator
from levqor_desktop.core.opsapi.config import OpsApiConfig
from levqor_desktop.core.opsapi.errors import ApiError
from levqor_desktop.core.opsapi.ratelimit import TokenBuckets
from levqor_desktop.core.permissions import Permission

KEY = "lvq_abcdefabcdef_" + "x" * 43
PRINCIPAL = Principal(1, "abcdefabcdef", 1, 1, Role.VIEWER, "Viewer")


class SlowKeys:
    """An ApiKeyService whose lookups wait until the test releases them."""

    def __init__(self, answer: Principal | Exception | None) -> None:
        self.answer = answer
        self.lookups = 0
        self.release = threading.Event()

    def remembered(self, key: str, *, fresh_for: dt.timedelta) -> Principal | None:
        return None

    def authenticate(self, key: str, *, fresh_for: dt.timedelta) -> Principal | None:
        self.lookups += 1
        self.release.wait(10)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def request() -> Request:
    return Request({"type": "http", "path": "/api/v1/jobs/1", "headers": [],
                    "client": ("127.0.0.1", 5000)})  # fmt: skip


def bearer(key: str = KEY) -> HTTPAuthorizationCredentials:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=key)


def authenticator(keys: SlowKeys) -> Authenticator:
    return Authenticator(keys, OpsApiConfig(), TokenBuckets(1000, 1000))  # type: ignore[arg-type]


async def concurrently(auth: Authenticator, keys: SlowKeys, n: int) -> list[object]:
    check = auth.guard(Permission.READ)
    tasks = [asyncio.create_task(check(request(), bearer(), None)) for _ in range(n)]
    await asyncio.sleep(0)  # every task has run up to its wait for the lookup
    keys.release.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_requests_presenting_one_key_share_its_lookup() -> None:
    keys = SlowKeys(PRINCIPAL)
    auth = authenticator(keys)
    answers = asyncio.run(concurrently(auth, keys, 20))
    assert answers == [PRINCIPAL] * 20
    assert keys.lookups == 1
    # Done: the next request that misses memory looks the key up again.
    assert asyncio.run(concurrently(auth, keys, 1)) == [PRINCIPAL]
    assert keys.lookups == 2


def test_a_shared_lookup_that_fails_fails_every_waiter_and_is_not_kept() -> None:
    keys = SlowKeys(RuntimeError("database gone"))
    auth = authenticator(keys)
    answers = asyncio.run(concurrently(auth, keys, 5))
    assert [str(a) for a in answers] == ["database gone"] * 5
    keys.answer = None  # unknown key: a 401 for each, looked up afresh
    answers = asyncio.run(concurrently(auth, keys, 3))
    assert all(isinstance(a, ApiError) and a.status == 401 for a in answers)
    assert keys.lookups == 2


def test_a_waiter_that_goes_away_does_not_cancel_the_others() -> None:
    keys = SlowKeys(PRINCIPAL)
    auth = authenticator(keys)
    check = auth.guard(Permission.READ)

    async def scenario() -> list[object]:
        leaving = asyncio.create_task(check(request(), bearer(), None))
        staying = asyncio.create_task(check(request(), bearer(), None))
        await asyncio.sleep(0)
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        keys.release.set()
        return [await staying]

    assert asyncio.run(scenario()) == [PRINCIPAL]
    assert keys.lookups == 1
