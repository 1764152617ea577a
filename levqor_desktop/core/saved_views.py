"""Saved views: a panel's filters and sort, kept under a name, per profile.

One JSON file in the config folder, ``views.json``::

    {"profiles": {"local": {"queue": {"Failed today": {"filters": {...}, "sort": [6, "desc"]}}}}}

The values are whatever the panel's widgets hold (texts, combo data, check states), so
the store does not need to know any panel. A broken file is reported and left untouched:
saving refuses rather than overwrite what the operator had.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from levqor_desktop.errors import ConfigError, ValidationError

FILE_NAME = "views.json"
DEFAULT_PROFILE = "local"


def profile_name(app: Any) -> str:
    """The profile views are kept under: the App's profile once it has one, else local."""
    profile = getattr(app, "profile", None)
    name = getattr(profile, "name", None)
    return name if isinstance(name, str) and name else DEFAULT_PROFILE


@dataclass(frozen=True)
class SavedView:
    name: str
    filters: dict[str, Any] = field(default_factory=dict)
    #: (column, "asc" | "desc"), or None when the panel has no sortable table.
    sort: tuple[int, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"filters": self.filters, "sort": list(self.sort) if self.sort else None}

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> SavedView:
        sort = data.get("sort")
        return cls(
            name,
            dict(data.get("filters") or {}),
            (int(sort[0]), str(sort[1])) if isinstance(sort, list) and len(sort) == 2 else None,
        )


class SavedViews:
    """Read and write ``views.json``; every call reads the file again (two windows)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"profiles": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"cannot read saved views from {self.path}: {exc}",
                hint="fix or delete the file; it was left untouched",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
            raise ConfigError(f"{self.path} does not hold saved views (no 'profiles' object)")
        return data

    def _panel(self, data: dict[str, Any], profile: str, panel: str) -> dict[str, Any]:
        views: dict[str, Any] = data["profiles"].setdefault(profile, {}).setdefault(panel, {})
        return views

    def views(self, profile: str, panel: str) -> list[SavedView]:
        views = self._read()["profiles"].get(profile, {}).get(panel, {})
        return [SavedView.from_json(name, views[name]) for name in sorted(views, key=str.lower)]

    def get(self, profile: str, panel: str, name: str) -> SavedView | None:
        return next((v for v in self.views(profile, panel) if v.name == name), None)

    def save(self, profile: str, panel: str, view: SavedView) -> None:
        name = view.name.strip()
        if not name:
            raise ValidationError("a saved view needs a name")
        data = self._read()
        self._panel(data, profile, panel)[name] = view.to_json()
        self._write(data)

    def delete(self, profile: str, panel: str, name: str) -> bool:
        data = self._read()
        removed = self._panel(data, profile, panel).pop(name, None) is not None
        if removed:
            self._write(data)
        return removed

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
