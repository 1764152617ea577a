"""The shared HTTP layer: retries, Retry-After, the error table, OAuth refresh, pagination."""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Sequence

import httpx
import pytest

from connectors import errors
from connectors.http import (
    OAuth2RefreshAuth,
    RetryPolicy,
    build_client,
    iter_cursor,
    iter_link_header,
    iter_pages,
    parse_retry_after,
)

Handler = Callable[[httpx.Request], httpx.Response]


def _client(replies: Sequence[httpx.Response | Exception], sleeps: list[float], **kw: object):
    queue = list(replies)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        # A snapshot: auth flows re-send the same Request object with new headers.
        seen.append(
            httpx.Request(
                request.method, request.url, headers=request.headers.copy(), content=request.content
            )
        )
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    client = build_client(
        base_url="https://api.example.com/v1/",
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        retry=RetryPolicy(jitter=lambda: 1.0),
        connector="demo",
        **kw,  # type: ignore[arg-type]
    )
    return client, seen, queue


def test_retry_after_seconds_is_honoured_exactly() -> None:
    sleeps: list[float] = []
    client, seen, _ = _client(
        [httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(200, json={})], sleeps
    )
    assert client.get("x").status_code == 200
    assert sleeps == [4.0] and len(seen) == 2


def test_retry_after_http_date() -> None:
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == pytest.approx(30)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_retry_after_beyond_the_cap_raises_without_sleeping() -> None:
    sleeps: list[float] = []
    client, _, _ = _client([httpx.Response(429, headers={"Retry-After": "3600"})], sleeps)
    with pytest.raises(errors.RateLimited) as info:
        client.get("x")
    assert info.value.retry_after == 3600 and sleeps == []
    assert "retry after 3600 s" in str(info.value)


def test_backoff_grows_exponentially_and_gives_up_after_attempts() -> None:
    sleeps: list[float] = []
    client, seen, _ = _client([httpx.Response(503)] * 3, sleeps)
    with pytest.raises(errors.Unavailable) as info:
        client.get("x")
    assert len(seen) == 3 and sleeps == [0.5, 1.0]  # jitter 1.0 = the full delay
    assert info.value.status_code == 503 and info.value.retryable


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(base=1, cap=5, jitter=lambda: 1.0)
    assert [policy.backoff(n) for n in range(5)] == [1, 2, 4, 5, 5]
    assert RetryPolicy(base=1, cap=5, jitter=lambda: 0.0).backoff(3) == 2.5


def test_502_on_post_is_not_retried_but_on_get_it_is() -> None:
    sleeps: list[float] = []
    client, seen, _ = _client([httpx.Response(502)], sleeps)
    with pytest.raises(errors.Unavailable):
        client.post("x", json={})
    assert len(seen) == 1 and sleeps == []
    client, seen, _ = _client([httpx.Response(502), httpx.Response(200)], sleeps)
    assert client.get("x").status_code == 200


def test_connect_errors_are_retried_then_mapped() -> None:
    sleeps: list[float] = []
    client, seen, _ = _client([httpx.ConnectError("refused")] * 3, sleeps)
    with pytest.raises(errors.Unavailable, match="could not be reached"):
        client.post("x")
    assert len(seen) == 3 and len(sleeps) == 2


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (httpx.Response(400), errors.InvalidInput),
        (httpx.Response(401), errors.AuthError),
        (httpx.Response(403), errors.PermissionDenied),
        (httpx.Response(404), errors.NotFound),
        (httpx.Response(409), errors.InvalidInput),
        (httpx.Response(410), errors.NotFound),
        (httpx.Response(422), errors.InvalidInput),
        (httpx.Response(500), errors.Unavailable),
        (httpx.ReadTimeout("slow"), errors.Timeout),
        (httpx.RemoteProtocolError("eof"), errors.Unavailable),
    ],
)
def test_error_table(reply: httpx.Response | Exception, cls: type[errors.ConnectorError]) -> None:
    client, _, _ = _client([reply], [])
    with pytest.raises(cls) as info:
        client.post("x")
    assert type(info.value) is cls and info.value.connector == "demo"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"message": "Bad field"}, "Bad field"),
        ({"error": {"message": "nested"}}, "nested"),
        ({"error": "invalid_grant", "error_description": "expired"}, "expired"),
        ({"errors": [{"message": "first"}]}, "first"),
        ({"ok": False, "description": "Bad Request: chat not found"}, "chat not found"),
    ],
)
def test_vendor_text_is_in_the_message(body: dict[str, object], text: str) -> None:
    client, _, _ = _client([httpx.Response(400, json=body)], [])
    with pytest.raises(errors.InvalidInput, match=text):
        client.get("x")


def test_secrets_in_vendor_text_are_redacted() -> None:
    secret = "hunter2-SECRET-value"
    body = {"message": f"key {secret} is invalid for ops@example.com; also xoxb-123-456-abcdef"}
    client, _, _ = _client([httpx.Response(401, json=body)], [], secrets=(secret,))
    with pytest.raises(errors.AuthError) as info:
        client.get("x")
    text = str(info.value)
    assert secret not in text and "ops@example.com" not in text and "xoxb-" not in text
    assert "[redacted]" in text and "email:" in text


def _oauth(on_refresh: Callable[[dict[str, str]], None]) -> OAuth2RefreshAuth:
    return OAuth2RefreshAuth(
        access_token="old-access",
        refresh_token="refresh-1",
        token_url="https://auth.example.com/token",
        client_id="cid",
        client_secret="csecret",
        on_refresh=on_refresh,
    )


def test_oauth_refreshes_once_on_401_and_reports_new_tokens() -> None:
    stored: list[dict[str, str]] = []
    sleeps: list[float] = []
    replies = [
        httpx.Response(401, json={"error": "expired"}),
        httpx.Response(
            200,
            json={"access_token": "new-access", "refresh_token": "refresh-2", "expires_in": 3600},
        ),
        httpx.Response(200, json={"ok": True}),
    ]
    client, seen, queue = _client(replies, sleeps, auth=_oauth(stored.append))
    assert client.get("me").json() == {"ok": True}
    assert [r.headers.get("authorization") for r in (seen[0], seen[2])] == [
        "Bearer old-access",
        "Bearer new-access",
    ]
    refresh = dict(httpx.QueryParams(seen[1].content.decode()))
    assert str(seen[1].url) == "https://auth.example.com/token"
    assert refresh == {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-1",
        "client_id": "cid",
        "client_secret": "csecret",
    }
    assert stored == [
        {"access_token": "new-access", "refresh_token": "refresh-2", "expires_in": "3600"}
    ]
    assert queue == []


def test_oauth_refused_refresh_is_an_auth_error_without_secrets() -> None:
    replies = [httpx.Response(401), httpx.Response(400, json={"error": "invalid_grant"})]
    client, _, _ = _client(replies, [], auth=_oauth(lambda tokens: None))
    with pytest.raises(errors.AuthError, match="invalid_grant") as info:
        client.get("me")
    assert "refresh-1" not in str(info.value) and info.value.connector == "demo"


def _pages(bodies: list[dict[str, object]], headers: list[dict[str, str]] | None = None):
    seen: list[httpx.Request] = []
    hdrs = headers or [{} for _ in bodies]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=bodies[len(seen) - 1], headers=hdrs[len(seen) - 1])

    return build_client(
        base_url="https://api.example.com/", transport=httpx.MockTransport(handler)
    ), seen


def test_cursor_pagination_follows_and_stops_at_max_items() -> None:
    client, seen = _pages([{"items": [1, 2], "next": "c2"}, {"items": [3, 4], "next": "c3"}])
    got = list(
        iter_cursor(
            client, "list", items=lambda d: d["items"], next_cursor=lambda d: d["next"], max_items=3
        )
    )
    assert got == [1, 2, 3] and len(seen) == 2 and seen[1].url.params["cursor"] == "c2"


def test_cursor_pagination_stops_on_repeated_cursor_and_max_pages() -> None:
    client, seen = _pages([{"items": [1], "next": "same"}] * 3)
    got = list(
        iter_cursor(client, "list", items=lambda d: d["items"], next_cursor=lambda d: d["next"])
    )
    assert got == [1, 1] and len(seen) == 2
    client, seen = _pages([{"items": [1], "next": "a"}, {"items": [2], "next": "b"}])
    assert list(
        iter_cursor(
            client, "list", items=lambda d: d["items"], next_cursor=lambda d: d["next"], max_pages=1
        )
    ) == [1]


def test_cursor_in_json_body() -> None:
    client, seen = _pages([{"r": [1], "n": "x"}, {"r": [2], "n": None}])
    got = list(
        iter_cursor(
            client,
            "search",
            method="POST",
            body={"q": "a"},
            cursor_in="json",
            cursor_param="start_cursor",
            items=lambda d: d["r"],
            next_cursor=lambda d: d["n"],
        )
    )
    assert got == [1, 2] and seen[1].content == b'{"q":"a","start_cursor":"x"}'


def test_page_number_pagination_stops_on_a_short_page() -> None:
    client, seen = _pages([{"d": [1, 2]}, {"d": [3]}])
    got = list(iter_pages(client, "list", items=lambda d: d["d"], page_size=2))
    assert got == [1, 2, 3] and [r.url.params["page"] for r in seen] == ["1", "2"]
    assert seen[0].url.params["per_page"] == "2"


def test_link_header_pagination() -> None:
    nxt = '<https://api.example.com/list?page=2>; rel="next"'
    client, seen = _pages([{"d": [1]}, {"d": [2]}], [{"Link": nxt}, {}])
    assert list(iter_link_header(client, "list", items=lambda d: d["d"])) == [1, 2]
    assert str(seen[1].url) == "https://api.example.com/list?page=2"
