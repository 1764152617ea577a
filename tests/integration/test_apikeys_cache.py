"""A verified API key is answered from memory for ``fresh_for``, never longer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, update

from levqor_desktop.app import App
from levqor_desktop.core.apikeys import ApiKeyService
from levqor_desktop.core.models import Membership, Role
from levqor_desktop.core.models.canary import ApiKey

FRESH = dt.timedelta(seconds=2)


def test_cached_key_skips_the_database_until_it_is_stale(app: App) -> None:
    now = [dt.datetime(2026, 12, 7, 12, 0, 0, tzinfo=dt.UTC)]
    keys = ApiKeyService(app.db, clock=lambda: now[0])
    assert app.actor is not None
    created = keys.create(app.actor, name="cached", role=Role.ADMIN)
    statements: list[str] = []
    event.listen(app.db.engine, "before_cursor_execute",
                 lambda *a: statements.append(str(a[2])))  # fmt: skip

    first = keys.authenticate(created.key, fresh_for=FRESH)
    assert first is not None and first.role is Role.ADMIN
    asked = len(statements)
    assert asked > 0  # the first check reads the key row

    # Demoted and revoked behind the service's back: within fresh_for the key still
    # answers from memory, without a statement.
    with app.db.write_session() as session:
        session.execute(update(Membership).values(role=Role.VIEWER))
    statements.clear()
    now[0] += dt.timedelta(seconds=1)
    again = keys.authenticate(created.key, fresh_for=FRESH)
    assert again == first and statements == []
    # Without fresh_for (the default) every call asks the database.
    assert keys.authenticate(created.key) is not None and statements
    assert keys.authenticate(created.key).role is Role.VIEWER  # type: ignore[union-attr]

    with app.db.write_session() as session:
        session.execute(update(ApiKey).values(revoked_at=now[0]))
    now[0] += FRESH
    assert keys.authenticate(created.key, fresh_for=FRESH) is None  # stale: asked again


def test_wrong_secret_or_revoke_is_never_served_from_memory(app: App) -> None:
    keys = ApiKeyService(app.db)
    assert app.actor is not None
    created = keys.create(app.actor, name="cached")
    assert keys.authenticate(created.key, fresh_for=FRESH) is not None
    tampered = created.key[:-1] + ("A" if created.key[-1] != "A" else "B")
    assert keys.authenticate(tampered, fresh_for=FRESH) is None
    keys.revoke(app.actor, created.info.prefix)
    assert keys.authenticate(created.key, fresh_for=FRESH) is None


def test_remembered_answers_only_from_memory(app: App) -> None:
    now = [dt.datetime(2026, 12, 7, 12, 0, 0, tzinfo=dt.UTC)]
    keys = ApiKeyService(app.db, clock=lambda: now[0])
    assert app.actor is not None
    created = keys.create(app.actor, name="remembered")
    statements: list[str] = []
    event.listen(app.db.engine, "before_cursor_execute",
                 lambda *a: statements.append(str(a[2])))  # fmt: skip

    # Never verified: nothing to remember, and the database is not asked.
    assert keys.remembered(created.key, fresh_for=FRESH) is None and statements == []
    verified = keys.authenticate(created.key, fresh_for=FRESH)
    assert verified is not None
    statements.clear()
    assert keys.remembered(created.key, fresh_for=FRESH) == verified
    assert keys.remembered(f" {created.key} ", fresh_for=FRESH) == verified
    tampered = created.key[:-1] + ("A" if created.key[-1] != "A" else "B")
    assert keys.remembered(tampered, fresh_for=FRESH) is None
    assert keys.remembered("lvq_not-a-key", fresh_for=FRESH) is None
    assert keys.remembered(created.key, fresh_for=dt.timedelta(0)) is None
    now[0] += FRESH
    assert keys.remembered(created.key, fresh_for=FRESH) is None  # stale
    assert statements == []
    now[0] += dt.timedelta(seconds=1)
    assert keys.authenticate(created.key, fresh_for=FRESH) == verified
    keys.revoke(app.actor, created.info.prefix)
    assert keys.remembered(created.key, fresh_for=FRESH) is None
