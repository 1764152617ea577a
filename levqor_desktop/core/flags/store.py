"""Effective flag values: defaults, then the flags file, then the environment.

The file is the deployment profile's (``ProfileStore.flags_path``: ``<config>/flags.json``
for ``local``, ``<config>/profiles/<name>/flags.json`` for any other); the store is
handed its path and knows nothing of profiles.

The file is written atomically (temporary file + rename). A corrupt file is reported,
left untouched, and the defaults apply until the operator fixes or resets it.
"""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from levqor_desktop.core.flags.definitions import FLAGS, FlagName
from levqor_desktop.errors import ConfigError, ValidationError

log = logging.getLogger(__name__)

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class Source(enum.StrEnum):
    DEFAULT = "default"
    FILE = "file"
    ENVIRONMENT = "environment"


@dataclass(frozen=True)
class FlagState:
    name: FlagName
    value: bool
    source: Source
    #: The value the file holds, if any (shown when the environment overrides it).
    file_value: bool | None = None

    @property
    def locked(self) -> bool:
        """Forced by an environment variable: the window and CLI cannot change it."""
        return self.source is Source.ENVIRONMENT


def parse_bool(text: str, *, what: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(f"{what}: {text!r} is not on/off (use true/false, 1/0, on/off)")


Listener = Callable[[FlagState, FlagState], None]


class RolloutLookup(Protocol):
    """Whether a flag's rollout covers a subject (``app.flag_rollouts``)."""

    def covers(self, name: FlagName, *, org_id: int | None, user_id: int | None) -> bool: ...


class FlagStore:
    """Reads and writes the flags file; thread-safe; notifies listeners of changes."""

    def __init__(self, path: Path, environ: Mapping[str, str]) -> None:
        self.path = path
        self._environ = dict(environ)
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        #: The fault of the flags file, if it is broken (the defaults apply meanwhile).
        self.file_error: str | None = None
        self._mtime: int | None = None
        self._file: dict[FlagName, bool] = self._read_file()
        #: Set by the wiring once the database is there; answers per-subject questions.
        self.rollouts: RolloutLookup | None = None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(old, new)`` after each change of an effective value.

        Returns a function that unsubscribes it.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, changes: list[tuple[FlagState, FlagState]]) -> None:
        # A faulty listener must not undo a change that is already written.
        for old, new in changes:
            for listener in list(self._listeners):
                try:
                    listener(old, new)
                except Exception:
                    log.exception("flag listener %r failed on %s", listener, new.name)

    def state(self, name: FlagName | str) -> FlagState:
        flag = FLAGS[FlagName(name)]
        with self._lock:
            file_value = self._file.get(flag.name)
        env_text = self._environ.get(flag.name)
        if env_text is not None and env_text.strip() != "":
            try:
                value = parse_bool(env_text, what=f"environment variable {flag.name}")
            except ValidationError as exc:
                raise ConfigError(str(exc)) from None
            return FlagState(flag.name, value, Source.ENVIRONMENT, file_value)
        if file_value is not None:
            return FlagState(flag.name, file_value, Source.FILE, file_value)
        return FlagState(flag.name, flag.default, Source.DEFAULT, None)

    def enabled(
        self, name: FlagName | str, *, org_id: int | None = None, user_id: int | None = None
    ) -> bool:
        """The flag's value; for a subject (an organization and/or a user) also on when
        its rollout covers that subject."""
        if self.state(name).value:
            return True
        if self.rollouts is None or (org_id is None and user_id is None):
            return False
        return self.rollouts.covers(FlagName(name), org_id=org_id, user_id=user_id)

    def all(self) -> list[FlagState]:
        return [self.state(name) for name in FLAGS]

    def set(self, name: FlagName | str, value: bool | None) -> tuple[FlagState, FlagState]:
        """Store a value in the file (None removes it); return (old, new) states.

        Refuses while the file is broken (so the broken file is never overwritten) and
        for a flag that the environment forces.
        """
        flag = FlagName(name)
        self.refresh()  # never overwrite an edit made by hand since we last read the file
        with self._lock:
            if self.file_error is not None:
                raise ConfigError(self.file_error, hint="fix the file or reset the flags first")
            old = self.state(flag)
            if old.locked:
                raise ConfigError(
                    f"{flag} is forced by the environment variable {flag}; unset it to change "
                    "the flag here"
                )
            data = dict(self._file)
            if value is None:
                data.pop(flag, None)
            else:
                data[flag] = value
            self._write_file(data)
            self._file = data
            new = self.state(flag)
        if new != old:
            self._notify([(old, new)])
        return old, new

    def reset_file(self) -> Path | None:
        """Move a broken flags file aside (kept as ``flags.json.broken-N``) and start clean."""
        with self._lock:
            before = self._safe_all()
            moved: Path | None = None
            if self.path.exists():
                n = 1
                while (candidate := self.path.with_name(f"{self.path.name}.broken-{n}")).exists():
                    n += 1
                os.replace(self.path, candidate)
                moved = candidate
            self.file_error = None
            self._file = {}
            self._mtime = None
            changes = self._changes(before)
        self._notify(changes)
        return moved

    def reload(self) -> None:
        """Read the file again (after an edit by hand) and tell listeners what changed."""
        with self._lock:
            before = self._safe_all()
            self._file = self._read_file()
            changes = self._changes(before)
        self._notify(changes)

    def refresh(self) -> bool:
        """Reload only if the file changed on disk since we last read or wrote it."""
        mtime = self._stat_mtime()
        if mtime == self._mtime:
            return False
        self.reload()
        return True

    def _stat_mtime(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    def _safe_all(self) -> dict[FlagName, FlagState]:
        out = {}
        for name in FLAGS:
            with contextlib.suppress(ConfigError):
                out[name] = self.state(name)
        return out

    def _changes(self, before: Mapping[FlagName, FlagState]) -> list[tuple[FlagState, FlagState]]:
        after = self._safe_all()
        return [(before[n], after[n]) for n in after if n in before and before[n] != after[n]]

    def _read_file(self) -> dict[FlagName, bool]:
        self.file_error = None
        self._mtime = self._stat_mtime()
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            self.file_error = (
                f"{self.path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}); the defaults apply and the file was left untouched"
            )
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            self.file_error = f"cannot read {self.path}: {exc}; the defaults apply"
            return {}
        if not isinstance(data, dict):
            self.file_error = f"{self.path} must hold a JSON object; the defaults apply"
            return {}
        result: dict[FlagName, bool] = {}
        faults = []
        for key, value in data.items():
            if key not in FLAGS:
                faults.append(f"unknown flag {key!r}")
            elif not isinstance(value, bool):
                faults.append(f"{key} must be true or false, not {json.dumps(value)}")
            else:
                result[FlagName(key)] = value
        if faults:
            self.file_error = (
                f"{self.path}: {'; '.join(faults)}; the defaults apply and the file was left "
                "untouched"
            )
            return {}
        return result

    def _write_file(self, data: Mapping[FlagName, bool]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Unique per writer: two stores (two Apps, or two processes) may write at once.
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        payload = {str(k): v for k, v in sorted(data.items())}
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(payload, indent=2) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ConfigError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self._mtime = self._stat_mtime()
