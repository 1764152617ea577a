"""Vendor rate-limit signals turned into the ``Retry-After`` the shared client honours.

:class:`connectors.http.ConnectorClient` waits on a ``Retry-After`` header. Some vendors
say the same thing differently: Telegram and Discord put ``retry_after`` in the JSON
body, GitHub sends ``x-ratelimit-remaining: 0`` with an epoch ``x-ratelimit-reset``
(and answers 403 for an exhausted primary limit). These response hooks run inside the
client's ``send``, before its retry decision, and rewrite the answer into the shared
convention, so no connector writes its own retry loop.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

import httpx

from connectors.errors import RateLimited
from connectors.http_errors import parse_retry_after

__all__ = [
    "add_response_hook",
    "body_retry_after",
    "default_retry_after",
    "epoch_reset_retry_after",
]

ResponseHook = Callable[[httpx.Response], None]


def add_response_hook(client: httpx.Client, hook: ResponseHook) -> httpx.Client:
    """Append ``hook`` to the client's response hooks once; returns the client."""
    hooks = client.event_hooks
    if hook not in hooks["response"]:
        hooks["response"] = [*hooks["response"], hook]
        client.event_hooks = hooks
    return client


def _set_retry_after(response: httpx.Response, seconds: float) -> None:
    response.headers["Retry-After"] = str(max(0, math.ceil(seconds)))


def body_retry_after(*path: str) -> ResponseHook:
    """A hook: on a 429 without ``Retry-After``, take the seconds from the JSON ``path``."""

    def hook(response: httpx.Response) -> None:
        if response.status_code != 429 or "retry-after" in response.headers:
            return
        try:
            value: object = json.loads(response.read())
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if not isinstance(value, int | float | str):
                return
            seconds = float(value)
        except ValueError:
            return
        _set_retry_after(response, seconds)

    return hook


def default_retry_after(seconds: float) -> ResponseHook:
    """A hook: a 429 without ``Retry-After`` waits the vendor's documented penalty."""

    def hook(response: httpx.Response) -> None:
        if response.status_code == 429 and "retry-after" not in response.headers:
            _set_retry_after(response, seconds)

    return hook


def epoch_reset_retry_after(
    *,
    remaining: str = "x-ratelimit-remaining",
    reset: str = "x-ratelimit-reset",
    statuses: frozenset[int] = frozenset({403, 429}),
    clock: Callable[[], float] = time.time,
) -> ResponseHook:
    """A hook for limits announced as "0 left until <epoch>" (GitHub's primary limit).

    A 429 gains the ``Retry-After`` to the reset; a 403 with nothing left, or a 403
    with ``Retry-After`` (a secondary limit), is a rate limit, not a permission problem,
    and becomes :class:`RateLimited` at once.
    """

    def hook(response: httpx.Response) -> None:
        if response.status_code not in statuses:
            return
        if response.status_code == 403 and "retry-after" in response.headers:
            # A secondary rate limit: the wait is in Retry-After, the status says 403.
            response.close()
            raise RateLimited(
                "a secondary rate limit was hit",
                status_code=403,
                retry_after=parse_retry_after(response.headers["retry-after"]),
            )
        if response.headers.get(remaining) != "0":
            return
        try:
            wait = float(response.headers[reset]) - clock()
        except (KeyError, ValueError):
            wait = None
        if response.status_code == 429:
            if wait is not None and "retry-after" not in response.headers:
                _set_retry_after(response, wait)
            return
        response.close()
        raise RateLimited(
            "the API rate limit is used up",
            status_code=response.status_code,
            retry_after=None if wait is None else float(max(0, math.ceil(wait))),
        )

    return hook
