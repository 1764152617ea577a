"""ONE table-driven harness for every HTTP connector (in the spirit of Apprise's rest.py).

A connector's test module is a :class:`ConnectorTable`: the connector class, test
credentials, the vendor name of its API description, and :class:`Case` rows (an action
or ``"check"``, inputs, canned :class:`Reply` objects or exceptions in the order the
requests are made, and the expected result or error class). ``table_tests(TABLE)``
turns it into pytest tests. From every success case the harness also derives, with no
extra rows:

- 401 → AuthError, 403 → PermissionDenied, 404 → NotFound (and the secret credential the
  fake vendor echoes in its error text must not appear in the message);
- 429 with ``Retry-After: 7`` then success (the injected sleep got exactly 7.0);
- 503 then success (one backoff sleep, within the policy cap);
- ``httpx.ReadTimeout`` → Timeout; a 200 with an HTML body → a ConnectorError.

Each request must be answered by the next canned reply (checked against its optional
method/path); a request with no reply left, or a reply never requested, fails the test.
Nothing sleeps: ``sleep`` is a list's ``append``. The success cases are replayed in
``test_..._vendor_spec`` with every request checked by :mod:`tests.connectors.specs`.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import httpx
import pytest

from connectors.base import CallRecord, CheckResult, Connector, ConnectorContext
from connectors.errors import (
    AuthError,
    ConnectorError,
    NotFound,
    PermissionDenied,
    Timeout,
)
from connectors.http import RetryPolicy
from tests.connectors.spec_files import specs_missing_reason
from tests.connectors.specs import assert_request_matches, assert_response_matches

RETRY_AFTER = 7
POLICY = RetryPolicy(jitter=lambda: 0.5)


@dataclass(frozen=True)
class Reply:
    """A canned response; ``method``/``path``/``check`` assert what the request must be."""

    status: int = 200
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str | None = None
    path: str | None = None
    check: Callable[[httpx.Request], object] | None = None  # False or an assert fails
    spec_response: bool = True  # check this body against the documented response schema

    def verify(self, request: httpx.Request) -> None:
        if self.method is not None:
            assert request.method == self.method, f"expected {self.method}, got {request.method}"
        if self.path is not None:
            assert request.url.path == self.path, f"expected {self.path}, got {request.url.path}"
        if self.check is not None:
            assert self.check(request) is not False, f"request check failed: {request.url}"

    def response(self) -> httpx.Response:
        if self.content is not None:
            return httpx.Response(self.status, content=self.content, headers=self.headers)
        if self.json is None:
            return httpx.Response(self.status, headers=self.headers)
        return httpx.Response(self.status, json=self.json, headers=self.headers)


ReplyOrError = Reply | Exception


@dataclass(frozen=True)
class Case:
    action: str  # an action name, or "check"
    inputs: Mapping[str, Any] = field(default_factory=dict)
    replies: Sequence[ReplyOrError] = ()
    expect: Mapping[str, Any] | None = None  # values equal, or a predicate (see contains)
    raises: type[ConnectorError] | None = None
    id: str = ""
    variants: bool = True  # derive the standard failure variants from this success case
    sleeps: Callable[[list[float]], bool] | None = None  # a predicate on the sleeps made

    @property
    def name(self) -> str:
        return self.id or self.action


@dataclass(frozen=True)
class ConnectorTable:
    connector: type[Connector]
    credentials: Mapping[str, str]
    cases: Sequence[Case]
    vendor: str | None = None  # key in tests.connectors.spec_files.VENDORS; None = no spec
    base_url: str | None = None


def contains(text: str) -> Callable[[Any], bool]:
    """An expectation: the value's text contains ``text``."""
    return lambda value: text in str(value)


@dataclass
class RecordingHooks:
    before: list[tuple[str, str]] = field(default_factory=list)
    after: list[CallRecord] = field(default_factory=list)

    def before_call(self, connector: str, action: str) -> None:
        self.before.append((connector, action))

    def after_call(self, record: CallRecord) -> None:
        self.after.append(record)


@dataclass
class Run:
    """What one case did: the outcome, the exchanges, sleeps and hook records."""

    outcome: Any
    exchanges: list[tuple[httpx.Request, Reply]]
    sleeps: list[float]
    hooks: RecordingHooks


def _secret(table: ConnectorTable) -> str:
    names = {f.name for f in table.connector.credential_fields if f.secret}
    return next((v for k, v in table.credentials.items() if k in names and v), "")


def variants_of(table: ConnectorTable, case: Case) -> list[Case]:
    """The standard failure and retry variants derived from one success case."""
    if not case.variants or case.raises is not None or not case.replies:
        return []
    secret = _secret(table)
    body = {"error": "rejected", "message": f"denied for token {secret}"}
    failing = [(401, AuthError), (403, PermissionDenied), (404, NotFound)]
    out = [
        replace(
            case,
            id=f"{case.name}-{status}",
            replies=[Reply(status, json=body, spec_response=False)],
            expect=None,
            raises=cls,
            variants=False,
        )
        for status, cls in failing
    ]
    retry = Reply(
        429,
        json={"error": "slow down"},
        headers={"Retry-After": str(RETRY_AFTER)},
        spec_response=False,
    )
    out.append(
        replace(
            case,
            id=f"{case.name}-429-then-ok",
            replies=[retry, *case.replies],
            variants=False,
            sleeps=lambda s: s == [float(RETRY_AFTER)],
        )
    )
    out.append(
        replace(
            case,
            id=f"{case.name}-503-then-ok",
            replies=[Reply(503, spec_response=False), *case.replies],
            variants=False,
            sleeps=lambda s: len(s) == 1 and 0 < s[0] <= POLICY.cap,
        )
    )
    out.append(
        replace(
            case,
            id=f"{case.name}-timeout",
            replies=[httpx.ReadTimeout("timed out")],
            expect=None,
            raises=Timeout,
            variants=False,
        )
    )
    html = Reply(
        200,
        content=b"<html>502 Bad Gateway</html>",
        headers={"content-type": "text/html"},
        spec_response=False,
    )
    out.append(
        replace(
            case,
            id=f"{case.name}-malformed",
            replies=[html],
            expect=None,
            raises=ConnectorError,
            variants=False,
        )
    )
    return out


def expanded(table: ConnectorTable) -> list[Case]:
    return [c for case in table.cases for c in (case, *variants_of(table, case))]


def run_case(table: ConnectorTable, case: Case) -> Run:
    queue = list(case.replies)
    exchanges: list[tuple[httpx.Request, Reply]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not queue:
            pytest.fail(f"unexpected request {request.method} {request.url}: no reply left")
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        reply.verify(request)
        exchanges.append((request, reply))
        return reply.response()

    sleeps: list[float] = []
    hooks = RecordingHooks()
    ctx = ConnectorContext(
        credentials=dict(table.credentials),
        transport=httpx.MockTransport(handler),
        base_url=table.base_url,
        hooks=hooks,
        sleep=sleeps.append,
        retry=POLICY,
    )
    connector = table.connector(ctx)
    outcome: Any
    try:
        outcome = (
            connector.check() if case.action == "check" else connector.run(case.action, case.inputs)
        )
    except ConnectorError as exc:
        outcome = exc
    finally:
        connector.close()
    assert not queue, f"canned replies never requested: {queue!r}"
    return Run(outcome, exchanges, sleeps, hooks)


def _assert_expected(expect: Mapping[str, Any], result: Mapping[str, Any]) -> None:
    for key, wanted in expect.items():
        assert key in result, f"result lacks {key!r}: {result!r}"
        if callable(wanted):
            assert wanted(result[key]), f"{key}={result[key]!r} does not satisfy the expectation"
        else:
            assert result[key] == wanted, f"{key}: expected {wanted!r}, got {result[key]!r}"


def check_case(table: ConnectorTable, case: Case) -> Run:
    """Run ``case`` and assert its outcome, sleeps and hook records."""
    run = run_case(table, case)
    outcome, records = run.outcome, run.hooks.after
    assert len(records) == 1, f"after_call must run once per call, ran {len(records)}"
    record = records[0]
    if isinstance(outcome, CheckResult):  # check() reports failures, it does not raise
        if case.raises is None:
            assert outcome.ok, f"check failed: {outcome.detail}"
            _assert_expected(case.expect or {}, asdict(outcome))
        else:
            assert not outcome.ok, "check succeeded but should have failed"
            assert outcome.error_kind is not None
            assert record.error_kind == outcome.error_kind
            if case.raises is not ConnectorError:
                assert outcome.error_kind == case.raises.kind, outcome.detail
    elif case.raises is not None:
        assert isinstance(outcome, case.raises), f"expected {case.raises.__name__}, got {outcome!r}"
        assert record.outcome == "error" and record.error_kind == outcome.kind
        secret = _secret(table)
        assert not secret or secret not in str(outcome), "a secret leaked into the error text"
    else:
        assert not isinstance(outcome, Exception), f"unexpected error: {outcome}"
        assert record.outcome == "ok" and record.error_kind is None
        _assert_expected(case.expect or {}, outcome)
    if case.sleeps is not None:
        assert case.sleeps(run.sleeps), f"unexpected sleeps: {run.sleeps}"
    elif case.raises is None:
        assert run.sleeps == [], f"slept without a reason: {run.sleeps}"
    return run


def check_vendor_spec(table: ConnectorTable, case: Case) -> None:
    """Replay a success case; every request and canned 2xx body must match the spec."""
    assert table.vendor is not None
    run = run_case(table, case)
    assert run.exchanges, "the case made no HTTP request"
    for request, reply in run.exchanges:
        assert_request_matches(table.vendor, request)
        if reply.spec_response and 200 <= reply.status < 300 and reply.json is not None:
            assert_response_matches(table.vendor, request, reply.status, reply.json)


def table_tests(table: ConnectorTable) -> tuple[Callable[..., None], ...]:
    """``(test_cases, test_vendor_spec, test_covers_every_action)`` for a test module."""
    cases = expanded(table)
    success = [c for c in table.cases if c.raises is None and c.replies]

    @pytest.mark.parametrize("case", cases, ids=[c.name for c in cases])
    def test_cases(case: Case) -> None:
        check_case(table, case)

    @pytest.mark.parametrize("case", success, ids=[c.name for c in success])
    def test_vendor_spec(case: Case) -> None:
        if table.vendor is None:
            pytest.skip(f"{table.connector.name} has no vendor API description")
        reason = specs_missing_reason(table.vendor)
        if reason:
            pytest.skip(reason)
        check_vendor_spec(table, case)

    def test_covers_every_action() -> None:
        covered = {c.action for c in table.cases if c.variants and c.raises is None and c.replies}
        missing = {"check", *table.connector.actions()} - covered
        assert not missing, f"no success case with variants for: {sorted(missing)}"

    return test_cases, test_vendor_spec, test_covers_every_action


def form_or_json(request: httpx.Request) -> dict[str, Any]:
    """The request's body fields, for ``Reply(check=...)`` assertions."""
    if "json" in request.headers.get("content-type", ""):
        data = jsonlib.loads(request.content)
        assert isinstance(data, dict)
        return data
    return dict(httpx.QueryParams(request.content.decode()))
