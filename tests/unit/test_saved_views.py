"""Saved views in views.json: per profile and panel, round trip, broken files untouched."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from levqor_desktop.core.saved_views import SavedView, SavedViews, profile_name
from levqor_desktop.errors import ConfigError, ValidationError


def test_views_round_trip_per_profile_and_panel(tmp_path: Path) -> None:
    store = SavedViews(tmp_path / "views.json")
    failed = SavedView("Failed", {"state_combo": "failed", "text_edit": "boom"}, (6, "desc"))
    store.save("local", "queue", failed)
    store.save("local", "queue", SavedView("all", {}))
    store.save("prod", "queue", SavedView("Prod only", {"text_edit": "x"}))
    store.save("local", "logs", SavedView("Errors", {"level_box": "ERROR"}))

    again = SavedViews(tmp_path / "views.json")
    assert [v.name for v in again.views("local", "queue")] == ["all", "Failed"]
    assert again.get("local", "queue", "Failed") == failed
    assert [v.name for v in again.views("prod", "queue")] == ["Prod only"]
    assert again.get("local", "logs", "Errors") == SavedView("Errors", {"level_box": "ERROR"})
    assert again.delete("local", "queue", "all") is True
    assert again.delete("local", "queue", "all") is False
    assert [v.name for v in again.views("local", "queue")] == ["Failed"]


def test_a_broken_file_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "views.json"
    path.write_text("{not json", encoding="utf-8")
    store = SavedViews(path)
    with pytest.raises(ConfigError, match="cannot read saved views"):
        store.save("local", "queue", SavedView("x"))
    assert path.read_text(encoding="utf-8") == "{not json"


def test_a_view_needs_a_name(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        SavedViews(tmp_path / "views.json").save("local", "queue", SavedView("  "))


def test_profile_name_is_local_until_the_app_has_a_profile() -> None:
    assert profile_name(SimpleNamespace()) == "local"
    assert profile_name(SimpleNamespace(profile=SimpleNamespace(name="prod-eu"))) == "prod-eu"
