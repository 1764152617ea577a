"""FlagStore: precedence, atomic writes, broken files kept, listeners."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from levqor_desktop.core.flags import FLAGS, FlagName, FlagStore, Source
from levqor_desktop.errors import ConfigError


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "flags.json"


def test_all_seven_flags_default_off(path: Path) -> None:
    store = FlagStore(path, {})
    states = store.all()
    assert [s.name for s in states] == list(FlagName)
    assert len(states) == 7
    assert all(s.value is False and s.source is Source.DEFAULT for s in states)
    assert all(FLAGS[s.name].description for s in states)
    assert {n for n, f in FLAGS.items() if f.risky} == {
        FlagName.PG_ENABLED,
        FlagName.NEW_QUEUE_ENABLED,
        FlagName.MULTI_TENANT_ENABLED,
        FlagName.CANARY_MODE,
    }
    assert {n for n, f in FLAGS.items() if f.canary_checked} == {
        FlagName.PG_ENABLED,
        FlagName.NEW_QUEUE_ENABLED,
    }


def test_precedence_default_file_environment(path: Path) -> None:
    FlagStore(path, {}).set(FlagName.BUILDER_ENABLED, True)
    assert FlagStore(path, {}).state("BUILDER_ENABLED").source is Source.FILE
    env = FlagStore(path, {"BUILDER_ENABLED": "off"})
    state = env.state(FlagName.BUILDER_ENABLED)
    assert (state.value, state.source, state.file_value, state.locked) == (
        False,
        Source.ENVIRONMENT,
        True,
        True,
    )
    # An empty variable does not override.
    assert FlagStore(path, {"BUILDER_ENABLED": " "}).state("BUILDER_ENABLED").value is True


def test_environment_locked_flag_cannot_be_set(path: Path) -> None:
    store = FlagStore(path, {"PG_ENABLED": "1"})
    with pytest.raises(ConfigError, match="forced by the environment variable PG_ENABLED"):
        store.set(FlagName.PG_ENABLED, False)
    assert not path.exists()


def test_bad_environment_value_names_the_variable(path: Path) -> None:
    store = FlagStore(path, {"CANARY_MODE": "maybe"})
    with pytest.raises(ConfigError, match="environment variable CANARY_MODE: 'maybe'"):
        store.enabled(FlagName.CANARY_MODE)


def test_write_is_atomic_and_leaves_no_temporary_file(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FlagStore(path, {})
    store.set(FlagName.CANARY_MODE, True)
    good = path.read_bytes()
    assert json.loads(good) == {"CANARY_MODE": True}

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(ConfigError, match=r"cannot write .*flags\.json: No space left"):
        store.set(FlagName.BUILDER_ENABLED, True)
    assert path.read_bytes() == good
    assert sorted(p.name for p in path.parent.iterdir()) == ["flags.json"]


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        ("{not json", "is not valid JSON (line 1, column 2"),
        ("[true]", "must hold a JSON object"),
        ('{"PG_ENABLED": "yes"}', 'PG_ENABLED must be true or false, not "yes"'),
        ('{"NO_SUCH_FLAG": true}', "unknown flag 'NO_SUCH_FLAG'"),
    ],
)
def test_broken_file_is_reported_defaults_apply_file_kept(
    path: Path, content: str, fault: str
) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(content)
    store = FlagStore(path, {})
    assert store.file_error is not None
    assert str(path) in store.file_error
    assert fault in store.file_error
    assert all(s.source is Source.DEFAULT for s in store.all())
    with pytest.raises(ConfigError, match="fix the file or reset"):
        store.set(FlagName.BUILDER_ENABLED, True)
    assert path.read_text() == content
    moved = store.reset_file()
    assert moved is not None
    assert moved.read_text() == content
    assert moved.name == "flags.json.broken-1"
    assert not store.file_error
    store.set(FlagName.BUILDER_ENABLED, True)
    assert store.enabled(FlagName.BUILDER_ENABLED)


def test_listeners_see_changes_and_can_unsubscribe(path: Path) -> None:
    store = FlagStore(path, {})
    seen: list[tuple[bool, bool]] = []
    unsubscribe = store.subscribe(lambda old, new: seen.append((old.value, new.value)))
    store.set(FlagName.CANARY_MODE, True)
    store.set(FlagName.CANARY_MODE, True)  # no change: no call
    unsubscribe()
    store.set(FlagName.CANARY_MODE, False)
    assert seen == [(False, True)]


def test_a_failing_listener_does_not_undo_the_change(path: Path) -> None:
    store = FlagStore(path, {})

    def boom(old: object, new: object) -> None:
        raise RuntimeError("listener bug")

    store.subscribe(boom)
    store.set(FlagName.BUILDER_ENABLED, True)
    assert FlagStore(path, {}).enabled(FlagName.BUILDER_ENABLED)


def test_hand_edit_is_picked_up_and_never_overwritten(path: Path) -> None:
    store = FlagStore(path, {})
    store.set(FlagName.BUILDER_ENABLED, True)
    seen: list[str] = []
    store.subscribe(lambda old, new: seen.append(f"{new.name}={new.value}"))
    path.write_text(json.dumps({"BUILDER_ENABLED": True, "CANARY_MODE": True}))
    os.utime(path, ns=(1, 1))  # a different mtime even within the same clock tick
    store.set(FlagName.MULTI_TENANT_ENABLED, True)
    assert json.loads(path.read_text()) == {
        "BUILDER_ENABLED": True,
        "CANARY_MODE": True,
        "MULTI_TENANT_ENABLED": True,
    }
    assert seen == ["CANARY_MODE=True", "MULTI_TENANT_ENABLED=True"]


def test_reset_of_a_good_file_notifies_listeners(path: Path) -> None:
    store = FlagStore(path, {})
    store.set(FlagName.CANARY_MODE, True)
    seen: list[bool] = []
    store.subscribe(lambda old, new: seen.append(new.value))
    store.reset_file()
    assert seen == [False]
    assert not store.enabled(FlagName.CANARY_MODE)
