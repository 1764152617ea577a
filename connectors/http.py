"""The shared HTTP client for connectors: timeouts, retries, error mapping, redaction.

:func:`build_client` returns an ``httpx.Client`` (a :class:`ConnectorClient`) whose
``send`` retries 429/502/503/504 and connection failures with exponential backoff and
jitter (honouring ``Retry-After``), then raises the mapped :mod:`connectors.errors`
class for any remaining 4xx/5xx or transport failure. The transport is injectable
(``httpx.MockTransport`` in tests, the core's proxy-aware transport in the app) and so is
``sleep`` (tests pass a fake; nothing really sleeps).

Re-exports the error table (:mod:`connectors.http_errors`), the auth flows
(:mod:`connectors.oauth`) and the pagination helpers (:mod:`connectors.pagination`),
so a connector needs one import.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.errors import ConnectorError, RateLimited, Unavailable
from connectors.http_errors import (
    EXCEPTION_ERRORS,
    STATUS_ERRORS,
    error_for_status,
    error_from_response,
    json_body,
    map_exception,
    parse_retry_after,
    raise_for_status,
    vendor_message,
)
from connectors.oauth import BearerAuth, OAuth2RefreshAuth
from connectors.pagination import iter_cursor, iter_link_header, iter_pages

__all__ = [
    "DEFAULT_TIMEOUT",
    "EXCEPTION_ERRORS",
    "STATUS_ERRORS",
    "USER_AGENT",
    "BearerAuth",
    "ConnectorClient",
    "OAuth2RefreshAuth",
    "RetryPolicy",
    "build_client",
    "error_for_status",
    "error_from_response",
    "iter_cursor",
    "iter_link_header",
    "iter_pages",
    "json_body",
    "map_exception",
    "parse_retry_after",
    "raise_for_status",
    "vendor_message",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "levqor-desktop-connectors/1"

# 502 and 504 may come after the origin did the work, so only idempotent calls retry them;
# 429 and 503 mean the request was not processed.
_ALWAYS_RETRY = frozenset({429, 503})
_IDEMPOTENT_RETRY = frozenset({502, 504})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Failures where the request never reached the server: safe to retry for any method.
_CONNECT_FAILURES: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` counts the first try; waits grow ``base * 2**n`` up to ``cap`` seconds.

    A ``Retry-After`` up to ``max_retry_after`` is honoured exactly; a longer one is not
    waited for: the call fails at once with :class:`RateLimited` carrying ``retry_after``,
    so the job engine can reschedule instead of holding a worker thread.
    """

    attempts: int = 3
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 60.0
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, retry: int) -> float:
        """Seconds before retry number ``retry`` (0-based): "equal jitter" in [d/2, d]."""
        delay = min(self.cap, self.base * (2**retry))
        return float(delay / 2 + delay / 2 * self.jitter())


class ConnectorClient(httpx.Client):
    """An ``httpx.Client`` whose ``send`` retries and maps every failure to a ConnectorError."""

    def __init__(
        self,
        *,
        connector: str | None,
        retry: RetryPolicy,
        sleep: Callable[[float], None],
        secrets: Iterable[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.connector = connector
        self.retry = retry
        self.secrets = tuple(secrets)
        self._sleep = sleep

    def _retry_wait(self, response: httpx.Response, retry: int) -> float | None:
        """Seconds to wait before retrying ``response``, None to give up and map it."""
        status = response.status_code
        retryable = status in _ALWAYS_RETRY or (
            status in _IDEMPOTENT_RETRY and response.request.method in _IDEMPOTENT
        )
        if not retryable or retry + 1 >= self.retry.attempts:
            return None
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is None:
            return self.retry.backoff(retry)
        if retry_after > self.retry.max_retry_after:
            cls = RateLimited if status == 429 else Unavailable
            raise cls(
                f"the service asked to wait {retry_after:g} s, longer than the "
                f"{self.retry.max_retry_after:g} s we wait in a call",
                connector=self.connector,
                status_code=status,
                retry_after=retry_after,
            )
        return retry_after

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        retry = 0
        while True:
            try:
                response = super().send(request, **kwargs)
            except ConnectorError as exc:  # raised inside an auth flow
                if exc.connector is None:
                    exc.connector = self.connector
                raise
            except _CONNECT_FAILURES as exc:
                if retry + 1 >= self.retry.attempts:
                    secrets = self.secrets
                    raise map_exception(exc, connector=self.connector, secrets=secrets) from exc
                self._sleep(self.retry.backoff(retry))
                retry += 1
                continue
            except httpx.HTTPError as exc:
                raise map_exception(exc, connector=self.connector, secrets=self.secrets) from exc
            if response.status_code < 400:
                return response
            try:
                wait = self._retry_wait(response, retry)
            except ConnectorError:
                response.close()
                raise
            if wait is None:
                response.read()
                response.close()
                raise error_from_response(response, connector=self.connector, secrets=self.secrets)
            response.close()
            self._sleep(wait)
            retry += 1


def build_client(
    *,
    base_url: str,
    auth: httpx.Auth | None = None,
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    secrets: Iterable[str] = (),
    connector: str | None = None,
) -> httpx.Client:
    """A :class:`ConnectorClient` for ``base_url``; every argument is injectable."""
    all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    all_headers.update(headers or {})
    return ConnectorClient(
        connector=connector,
        retry=retry or RetryPolicy(),
        sleep=sleep,
        secrets=secrets,
        base_url=base_url,
        auth=auth,
        headers=all_headers,
        transport=transport,
        timeout=timeout,
    )
