"""API keys: shown once, stored as a hash, capped by the user's role, revocable, and
still honoured for a few minutes while the database is down."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.apikeys import OUTAGE_GRACE, ApiKeyService, hash_key
from levqor_desktop.core.models import Membership, Role, User
from levqor_desktop.core.tenancy import Actor, hash_email
from levqor_desktop.errors import DatabaseUnavailable, PermissionDenied, ValidationError


def member(app: App, role: Role) -> Actor:
    assert app.actor is not None
    with app.db.write_session() as session:
        user = User(email_sha256=hash_email(f"{role}@example.org"), display_name=str(role))
        session.add(user)
        session.flush()
        session.add(Membership(org_id=app.actor.org_id, user_id=user.id, role=role))
        return Actor(app.actor.org_id, user.id, role, str(role))


def test_a_key_never_exceeds_its_users_role(app: App) -> None:
    assert app.actor is not None
    operator = member(app, Role.OPERATOR)
    created = app.api_keys.create(app.actor, name="ops", user_id=operator.user_id)
    assert created.info.role is Role.OPERATOR and created.info.user == "operator"
    with pytest.raises(ValidationError, match="more than its user's role"):
        app.api_keys.create(app.actor, name="too much", user_id=operator.user_id, role=Role.ADMIN)
    with pytest.raises(PermissionDenied, match="manage api keys"):
        app.api_keys.create(operator, name="self-service")
    with pytest.raises(ValidationError, match="name"):
        app.api_keys.create(app.actor, name="   ")
    principal = app.api_keys.authenticate(created.key)
    assert principal is not None and principal.role is Role.OPERATOR
    assert principal.actor().display_name == f"operator (key {created.info.prefix})"
    # Listing never shows the key; only the hash is kept.
    [info] = [k for k in app.api_keys.list(app.actor) if k.prefix == created.info.prefix]
    assert created.key not in repr(info) and hash_key(created.key) not in repr(info)
    assert info.last_used_at is not None  # the use above was recorded


def test_revoked_keys_stop_working_and_revoking_twice_is_harmless(app: App) -> None:
    assert app.actor is not None
    created = app.api_keys.create(app.actor, name="short-lived")
    first = app.api_keys.revoke(app.actor, created.key)  # the whole key works as an id too
    again = app.api_keys.revoke(app.actor, str(created.info.id))
    assert first.revoked_at == again.revoked_at is not None
    assert app.api_keys.authenticate(created.key) is None
    assert app.api_keys.list(app.actor) == []
    assert len(app.api_keys.list(app.actor, include_revoked=True)) == 1


def test_outage_grace_for_recently_verified_keys(app: App) -> None:
    assert app.actor is not None
    now = [dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)]
    keys = ApiKeyService(app.db, clock=lambda: now[0])
    known = keys.create(app.actor, name="verified").key
    other = keys.create(app.actor, name="never used").key
    assert keys.authenticate(known) is not None

    # The database goes away: its folder is moved and the pool emptied.
    folder = app.settings.sqlite_path.parent
    moved = folder.with_name(folder.name + "-gone")
    app.db.dispose()
    shutil.move(folder, moved)
    try:
        assert keys.authenticate(known) is not None
        with pytest.raises(DatabaseUnavailable, match="cannot reach the database"):
            keys.authenticate(other)
        now[0] += OUTAGE_GRACE
        with pytest.raises(DatabaseUnavailable):
            keys.authenticate(known)
    finally:
        shutil.move(moved, folder)
