"""httpx auth flows: a static Bearer token, and OAuth 2 with refresh on 401.

A refresh is an ``httpx.Auth`` flow (it yields the refresh request and receives its
response), so it works with any injected transport and the token never leaves the
client. ``on_refresh`` hands the new tokens to the core, which stores them in the
OS keyring; the connector itself keeps them only in memory.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator, Mapping

import httpx

from connectors.errors import AuthError
from connectors.http_errors import vendor_message
from connectors.redaction import redact

__all__ = ["BearerAuth", "OAuth2RefreshAuth"]


class BearerAuth(httpx.Auth):
    """``Authorization: <scheme> <token>`` on every request (scheme "Bearer" by default)."""

    def __init__(self, token: str, *, scheme: str = "Bearer") -> None:
        self._value = f"{scheme} {token}" if scheme else token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._value
        yield request


class OAuth2RefreshAuth(httpx.Auth):
    """Bearer access token; on a 401, one refresh_token grant, then one retry.

    The new tokens are passed to ``on_refresh`` as a dict of strings (``access_token``,
    ``refresh_token`` when the server rotates it, ``expires_in`` when given).
    """

    requires_response_body = True

    def __init__(
        self,
        *,
        access_token: str,
        refresh_token: str | None,
        token_url: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        on_refresh: Callable[[dict[str, str]], None] | None = None,
        extra_params: Mapping[str, str] | None = None,
    ) -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._on_refresh = on_refresh
        self._extra = dict(extra_params or {})
        # Threads sharing one client must not refresh twice with a rotating refresh token.
        self._lock = threading.Lock()

    def _secrets(self) -> tuple[str, ...]:
        values = (self.access_token, self.refresh_token, self._client_secret)
        return tuple(v for v in values if v)

    def _refresh_request(self) -> httpx.Request:
        data = {"grant_type": "refresh_token", "refresh_token": self.refresh_token or ""}
        if self._client_id:
            data["client_id"] = self._client_id
        if self._client_secret:
            data["client_secret"] = self._client_secret
        data.update(self._extra)
        return httpx.Request(
            "POST", self._token_url, data=data, headers={"Accept": "application/json"}
        )

    def _apply_refresh(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            text = vendor_message(response) or "no reason given"
            raise AuthError(
                redact(
                    f"the token refresh was refused ({response.status_code}): {text}; "
                    "reconnect the account",
                    self._secrets(),
                ),
                status_code=response.status_code,
            )
        try:
            payload = json.loads(response.content)
            new_access = str(payload["access_token"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthError("the token refresh answer had no access_token") from exc
        tokens = {"access_token": new_access}
        if payload.get("refresh_token"):
            tokens["refresh_token"] = str(payload["refresh_token"])
            self.refresh_token = tokens["refresh_token"]
        if payload.get("expires_in") is not None:
            tokens["expires_in"] = str(payload["expires_in"])
        self.access_token = new_access
        if self._on_refresh is not None:
            self._on_refresh(tokens)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        used = self.access_token
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code != 401 or not self.refresh_token:
            return
        with self._lock:
            if self.access_token == used:  # nobody refreshed while we waited
                refresh_response = yield self._refresh_request()
                self._apply_refresh(refresh_response)
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        yield request
