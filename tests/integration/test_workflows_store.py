"""WorkflowStore on SQLite and PostgreSQL: versions, restore, permissions, org isolation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from levqor_desktop.core.models import Membership, Organization, Role, User
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows import WorkflowInvalid
from levqor_desktop.core.workflows.builtins import BuiltinCatalog
from levqor_desktop.core.workflows.store import WorkflowStore
from levqor_desktop.errors import MaintenanceMode, NotFoundError, PermissionDenied


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_app(request):
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def store(any_app) -> WorkflowStore:
    return WorkflowStore(any_app.db, BuiltinCatalog())


@pytest.fixture
def owner(any_app) -> Actor:
    actor: Actor | None = any_app.actor
    assert actor is not None
    return actor


def make_actor(app, slug: str, role: Role) -> Actor:
    """Another organization (or the default one) with one member of ``role``."""
    with app.db.session() as session:
        org = session.query(Organization).filter_by(slug=slug).one_or_none()
        if org is None:
            org = Organization(slug=slug, name=slug.title())
            session.add(org)
        user = User(email_sha256=f"{slug}-{role}".ljust(64, "0"), display_name=f"{slug} {role}")
        session.add(user)
        session.flush()
        session.add(Membership(org_id=org.id, user_id=user.id, role=role))
        return Actor(org.id, user.id, role, user.display_name)


def doc(message: str = "hello", name: str = "greet", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "steps": [{"id": "say", "uses": "core.log", "with": {"message": message}}],
        **extra,
    }


def test_each_save_is_a_version_and_identical_saves_add_nothing(store, owner):
    first = store.save(owner, doc("v1"), note="first")
    assert (first.version, first.current_version, first.note) == (1, 1, "first")
    second = store.save(owner, json.dumps(doc("v2")))
    assert second.version == 2
    same = store.save(owner, doc("v2"))
    assert same.version == 2
    assert store.get(owner, "greet").document["steps"][0]["with"]["message"] == "v2"
    assert store.get(owner, "greet", version=1).document["steps"][0]["with"]["message"] == "v1"
    assert store.get(owner, first.id).version == 2
    assert store.get(owner, str(first.id)).name == "greet"
    history = store.history(owner, "greet")
    assert [(h.version, h.current, h.author) for h in history] == [
        (2, True, "Operator"),
        (1, False, "Operator"),
    ]
    assert store.document(first.id, 1)["steps"][0]["with"]["message"] == "v1"
    assert store.get(owner, "greet").document["version"] == 2


def test_restore_writes_a_new_version_equal_to_the_old_one(store, owner):
    store.save(owner, doc("v1"))
    store.save(owner, doc("v2"))
    restored = store.restore(owner, "greet", 1)
    assert restored.version == 3
    assert restored.note == "restored version 1"
    assert restored.workflow.steps[0].with_ == {"message": "v1"}
    assert [h.version for h in store.history(owner, "greet")] == [3, 2, 1]
    assert store.restore(owner, "greet", 3).version == 3  # already current: nothing new
    with pytest.raises(NotFoundError, match="has no version 9"):
        store.restore(owner, "greet", 9)


def test_an_invalid_document_is_never_saved(store, owner):
    store.save(owner, doc("good"))
    with pytest.raises(WorkflowInvalid) as caught:
        store.save(owner, doc("{{ steps.nope.output }}"))
    assert caught.value.faults[0].path == "$.steps[0].with.message"
    with pytest.raises(WorkflowInvalid):
        store.save(owner, {"name": "greet", "steps": [{"id": "x", "uses": "slack.post_message"}]})
    assert store.get(owner, "greet").version == 1
    assert [s.name for s in store.list(owner)] == ["greet"]


def test_list_import_export_rename_test_inputs_and_delete(store, owner, tmp_path: Path):
    store.save(owner, doc(name="zeta", description="last"))
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(doc(name="alpha")), encoding="utf-8")
    imported = store.import_file(owner, path, name="Alpha copy")
    assert imported.name == "Alpha copy"
    assert imported.note == "imported from wf.json"
    assert [s.name for s in store.list(owner)] == ["Alpha copy", "zeta"]
    summary = store.list(owner)[1]
    assert (summary.description, summary.trigger, summary.current_version) == ("last", "manual", 1)
    exported = json.loads(store.export(owner, "Alpha copy"))
    assert exported["name"] == "Alpha copy" and exported["version"] == 1
    store.save_test_inputs(owner, "zeta", {"x": 1})
    assert store.test_inputs(owner, "zeta") == {"x": 1}
    assert store.get(owner, "zeta").test_inputs == {"x": 1}
    store.delete(owner, "zeta")
    with pytest.raises(NotFoundError, match="no workflow 'zeta'"):
        store.get(owner, "zeta")
    with pytest.raises(NotFoundError):
        store.import_file(owner, tmp_path / "missing.json")


def test_scheduled_lists_current_schedule_triggers(store, owner):
    trigger = {"type": "schedule", "cron": "*/5 * * * *", "timezone": "UTC"}
    store.save(owner, doc(name="cron", trigger=trigger))
    store.save(owner, doc(name="manual"))
    found = store.scheduled()
    assert [(s.name, s.version) for s in found] == [("cron", 1)]
    assert found[0].workflow.trigger.type == "schedule"
    store.save(owner, doc(name="cron"))  # back to manual
    assert store.scheduled() == []


def test_viewers_may_read_but_not_write(any_app, store, owner):
    store.save(owner, doc())
    viewer = make_actor(any_app, "default", Role.VIEWER)
    assert [s.name for s in store.list(viewer)] == ["greet"]
    for attempt in (
        lambda: store.save(viewer, doc("x")),
        lambda: store.restore(viewer, "greet", 1),
        lambda: store.delete(viewer, "greet"),
        lambda: store.save_test_inputs(viewer, "greet", {}),
    ):
        with pytest.raises(PermissionDenied, match="edit workflows"):
            attempt()
    assert store.get(owner, "greet").version == 1


def test_organizations_do_not_see_each_other(any_app, store, owner):
    mine = store.save(owner, doc("mine"))
    other = make_actor(any_app, "acme", Role.OWNER)
    assert store.list(other) == []
    with pytest.raises(NotFoundError):
        store.get(other, "greet")
    with pytest.raises(NotFoundError):
        store.get(other, mine.id)
    theirs = store.save(other, doc("theirs"))  # the same name in another org is fine
    assert theirs.id != mine.id
    store.delete(other, "greet")
    assert store.get(owner, "greet").document["steps"][0]["with"]["message"] == "mine"


def test_a_write_guard_refuses_writes(any_app, owner):
    def guard() -> None:
        raise MaintenanceMode("a migration is running")

    store = WorkflowStore(any_app.db, BuiltinCatalog(), write_guard=guard)
    with pytest.raises(MaintenanceMode):
        store.save(owner, doc())
    assert store.list(owner) == []


def test_the_apps_store_refuses_writes_in_maintenance_mode(app):
    assert app.actor is not None
    app.maintenance.enter("migrating to PostgreSQL")
    try:
        with pytest.raises(MaintenanceMode, match="migrating to PostgreSQL"):
            app.workflows.save(app.actor, doc())
    finally:
        app.maintenance.exit()
    assert app.workflows.save(app.actor, doc()).version == 1


def test_concurrent_saves_get_distinct_consecutive_versions(store, owner):
    import threading

    store.save(owner, doc("v0"))
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def save(n: int) -> None:
        barrier.wait()
        try:
            store.save(owner, doc(f"writer {n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    history = store.history(owner, "greet")
    assert [h.version for h in history] == list(range(7, 0, -1))
    messages = {
        store.get(owner, "greet", v).document["steps"][0]["with"]["message"] for v in range(2, 8)
    }
    assert messages == {f"writer {n}" for n in range(6)}


def test_concurrent_first_saves_of_one_name_all_land(store, owner):
    import threading

    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def save(n: int) -> None:
        barrier.wait()
        try:
            store.save(owner, doc(f"first {n}", name="fresh"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [h.version for h in store.history(owner, "fresh")] == [4, 3, 2, 1]
