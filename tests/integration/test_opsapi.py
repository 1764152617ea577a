"""The ops API in process: keys, roles, rate limits, malformed requests, the error bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from levqor_desktop.app import App
from levqor_desktop.core.apikeys import hash_key
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.models import Membership, Role, User
from levqor_desktop.core.models.canary import ApiKey
from levqor_desktop.core.opsapi import OpsApiConfig, create_ops_app
from levqor_desktop.core.opsapi.ratelimit import TokenBuckets
from levqor_desktop.core.tenancy import Actor, hash_email


def add_member(app: App, email: str, name: str, role: Role) -> Actor:
    with app.db.write_session() as session:
        user = User(email_sha256=hash_email(email), display_name=name)
        session.add(user)
        session.flush()
        assert app.actor is not None
        session.add(Membership(org_id=app.actor.org_id, user_id=user.id, role=role))
        return Actor(app.actor.org_id, user.id, role, name)


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(create_ops_app(app), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def owner_key(app: App) -> str:
    assert app.actor is not None
    return app.api_keys.create(app.actor, name="tests").key


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_keys_are_stored_only_as_hashes(app: App, owner_key: str) -> None:
    with app.db.session() as session:
        row = session.scalars(select(ApiKey)).one()
    assert row.key_sha256 == hash_key(owner_key)
    assert owner_key not in (row.key_sha256, row.prefix, row.name)
    assert owner_key.startswith(f"lvq_{row.prefix}_")


def test_open_and_protected_endpoints(app: App, client: TestClient, owner_key: str) -> None:
    assert app.actor is not None
    assert client.get("/ops/health").status_code == 200
    app.canary.run(app.actor)  # the canary's own series appear in /metrics
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(metrics.text)}
    assert "levqor_canary_runs" in families and "levqor_canary_check_status" in families
    statuses = {s.labels["check"] for s in families["levqor_canary_check_status"].samples}
    assert statuses == {"health", "queue", "metrics", "database", "error_rate", "connectors",
                        "disk", "keyring"}  # fmt: skip
    protected = (
        "/ops/queue_health", "/api/v1/ops/flags", "/openapi.json",
        "/billing/usage?user=1", "/billing/limits?user=1", "/api/v1/ops/system",
    )  # fmt: skip
    for path in protected:
        refused = client.get(path)
        assert refused.status_code == 401, path
        assert refused.json()["error"] == "this endpoint needs an API key"
        assert refused.headers["www-authenticate"] == "Bearer"
        assert client.get(path, headers=auth(owner_key)).status_code == 200, path
        assert client.get(path, headers={"X-API-Key": owner_key}).status_code == 200, path


def test_unknown_tampered_and_revoked_keys(app: App, client: TestClient, owner_key: str) -> None:
    tampered = owner_key[:-1] + ("A" if owner_key[-1] != "A" else "B")
    for key in (tampered, "lvq_nothing", "not-a-key"):
        answer = client.get("/ops/queue_health", headers=auth(key))
        assert answer.status_code == 401
        assert answer.json()["error"] == "the API key is unknown or revoked"
    # A key given on an open path is still checked.
    assert client.get("/ops/health", headers=auth(tampered)).status_code == 401
    assert app.actor is not None
    app.api_keys.revoke(app.actor, owner_key.split("_")[1])
    assert client.get("/ops/queue_health", headers=auth(owner_key)).status_code == 401


def test_roles_viewer_reads_admin_changes_flags(app: App) -> None:
    # Every request asks the database here: the demotion below must show at once.
    api = create_ops_app(app, OpsApiConfig(key_cache_seconds=0))
    with TestClient(api, raise_server_exceptions=False) as client:
        roles_and_flags(app, client)


def roles_and_flags(app: App, client: TestClient) -> None:
    viewer = add_member(app, "v@example.org", "Vera", Role.VIEWER)
    admin = add_member(app, "a@example.org", "Ada", Role.ADMIN)
    assert app.actor is not None
    viewer_key = app.api_keys.create(app.actor, name="v", user_id=viewer.user_id).key
    admin_key = app.api_keys.create(app.actor, name="a", user_id=admin.user_id).key
    assert app.api_keys.create(app.actor, name="low", role=Role.VIEWER).info.role is Role.VIEWER

    body = {"value": True}
    assert client.get("/api/v1/ops/flags", headers=auth(viewer_key)).status_code == 200
    denied = client.put("/api/v1/ops/flags/BUILDER_ENABLED", headers=auth(viewer_key), json=body)
    assert denied.status_code == 403 and "admin" in denied.json()["error"]
    assert client.post("/api/v1/ops/db_probe", headers=auth(viewer_key)).status_code == 403

    done = client.put("/api/v1/ops/flags/builder_enabled", headers=auth(admin_key), json=body)
    assert done.status_code == 200, done.text
    assert done.json()["changed"] and done.json()["flag"]["value"] is True
    assert app.flags.enabled(FlagName.BUILDER_ENABLED)
    entry = app.flag_service.last_change(FlagName.BUILDER_ENABLED)
    assert entry is not None and entry.source == "api" and "Ada" in entry.actor_name
    again = client.put("/api/v1/ops/flags/BUILDER_ENABLED", headers=auth(admin_key), json=body)
    assert again.json()["changed"] is False

    # Demoting the user caps their key at once.
    with app.db.write_session() as session:
        member = session.get(Membership, (admin.org_id, admin.user_id))
        assert member is not None
        member.role = Role.VIEWER
    late = client.put("/api/v1/ops/flags/BUILDER_ENABLED", headers=auth(admin_key), json=body)
    assert late.status_code == 403


def test_rate_limit_answers_429_with_retry_after(app: App, owner_key: str) -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=1.0, burst=2, clock=lambda: now[0])
    api = create_ops_app(app, OpsApiConfig(rate_per_second=1.0, burst=2), buckets=buckets)
    with TestClient(api, raise_server_exceptions=False) as client:
        codes = [client.get("/ops/queue_health", headers=auth(owner_key)).status_code
                 for _ in range(3)]  # fmt: skip
        assert codes == [200, 200, 429]
        limited = client.get("/ops/queue_health", headers=auth(owner_key))
        assert limited.headers["retry-after"] == "1"
        assert limited.json()["error"] == "too many requests: slow down"
        # Anonymous callers are limited by address, apart from the key.
        assert client.get("/ops/health").status_code == 200
        now[0] += 1.0
        assert client.get("/ops/queue_health", headers=auth(owner_key)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("get", "/billing/usage", {}, "user"),
        ("get", "/billing/usage?user=", {}, "user"),
        ("get", "/billing/usage?user=1&period=year", {}, "period"),
        ("get", "/billing/limits?user=bob", {}, "user"),
        ("get", "/ops/queue_health?window_minutes=0", {}, "window_minutes"),
        ("get", "/ops/queue_health?window_minutes=abc", {}, "window_minutes"),
        ("put", "/api/v1/ops/flags/BUILDER_ENABLED", {"json": {"value": "yes"}}, "value"),
        ("put", "/api/v1/ops/flags/BUILDER_ENABLED", {"json": {}}, "value"),
        ("put", "/api/v1/ops/flags/BUILDER_ENABLED", {"json": {"value": True, "x": 1}}, "x"),
        ("put", "/api/v1/ops/flags/PG_ENABLED", {"json": {"value": True}}, "reason"),
        ("put", "/api/v1/ops/flags/BUILDER_ENABLED",
         {"content": b"{not json", "headers": {"content-type": "application/json"}}, "body"),
    ],
)  # fmt: skip
def test_malformed_requests_are_400_naming_the_parameter(
    client: TestClient, owner_key: str, method: str, path: str, kwargs: dict[str, object],
    field: str,
) -> None:  # fmt: skip
    headers = {**auth(owner_key), **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    answer = client.request(method.upper(), path, headers=headers, **kwargs)  # type: ignore[arg-type]
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["field"] == field
    assert field in body["error"] or field == "body"
    assert "Traceback" not in answer.text


def test_unknown_user_and_flag_are_404(app: App, client: TestClient, owner_key: str) -> None:
    other = add_member(app, "x@example.org", "Xavier", Role.VIEWER)
    assert (
        client.get(f"/billing/usage?user={other.user_id}", headers=auth(owner_key)).json()["user"][
            "display_name"
        ]
        == "Xavier"
    )
    for path in ("/billing/usage?user=424242", "/billing/limits?user=nobody@example.org"):
        answer = client.get(path, headers=auth(owner_key))
        assert answer.status_code == 404 and answer.json()["field"] == "user"
    missing = client.put(
        "/api/v1/ops/flags/NO_SUCH_FLAG", headers=auth(owner_key), json={"value": True}
    )
    assert missing.status_code == 404 and missing.json()["field"] == "name"
    assert client.get("/no/such/path").status_code == 404


def test_billing_reports_usage_and_limits(app: App, client: TestClient, owner_key: str) -> None:
    from levqor_desktop.core.usage import Metric

    assert app.actor is not None
    app.usage.record(app.actor, Metric.JOB_RUNS, 3)
    usage = client.get("/billing/usage?user=operator@localhost", headers=auth(owner_key)).json()
    assert usage["totals"]["job_runs"] == 3 and usage["period"] == "month"
    limits = client.get("/billing/limits?user=1", headers=auth(owner_key)).json()
    assert limits["user"]["id"] == app.actor.user_id and limits["limits"] == []


def test_unexpected_errors_are_a_bare_500(
    app: App, client: TestClient, owner_key: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    def broken(_window: int = 15) -> object:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(app.canary.sources, "queue_health", broken)
    answer = client.get("/ops/queue_health", headers=auth(owner_key))
    assert answer.status_code == 500
    assert "internal error" in answer.json()["error"]
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert "secret internals" in caplog.text


def test_openapi_describes_every_endpoint_without_422(client: TestClient, owner_key: str) -> None:
    doc = client.get("/openapi.json", headers=auth(owner_key)).json()
    expected = {"/ops/health", "/ops/queue_health", "/api/v1/ops/flags", "/api/v1/ops/flags/{name}",
                "/billing/usage", "/billing/limits", "/metrics", "/openapi.json"}  # fmt: skip
    assert expected <= set(doc["paths"])
    for path in doc["paths"].values():
        for operation in path.values():
            assert "422" not in operation["responses"]
    assert "400" in doc["paths"]["/billing/usage"]["get"]["responses"]
