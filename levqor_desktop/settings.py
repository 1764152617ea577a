"""Where Levqor keeps its files, and which database and Redis it talks to.

Paths are resolved in this one place (as qutebrowser's ``standarddir`` does): the
platform's folders from platformdirs, or all of them under one root when ``LEVQOR_HOME``
is set (tests and portable installs use that). Values come, in rising precedence, from
the defaults, ``<config>/config.json`` and the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from levqor_desktop.errors import ConfigError, DataDirError

APP_NAME = "levqor-desktop"
CONFIG_FILE_NAME = "config.json"

#: Environment variables read by :meth:`Settings.from_env`, and the field each sets.
ENV_VARS: dict[str, str] = {
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "LEVQOR_WORKERS": "local_workers",
    "LEVQOR_METRICS_PORT": "metrics_port",
    "LEVQOR_LOG_LEVEL": "log_level",
    "LEVQOR_OPS_API": "ops_api_enabled",
    "LEVQOR_OPS_API_PORT": "ops_api_port",
    "LEVQOR_NOTIFICATIONS": "notifications",
}


class Settings(BaseModel):
    """Validated settings. Build with :meth:`from_env`; tests pass ``home=``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path
    config_dir: Path
    log_dir: Path
    #: An explicit database URL; None means SQLite at ``<data>/levqor.db``.
    database_url: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    #: Worker threads of the embedded local pool.
    local_workers: int = Field(default=4, ge=1, le=64)
    metrics_port: int = Field(default=9464, ge=0, le=65535)
    log_level: str = "INFO"
    #: The window also serves the ops HTTP API on loopback (``levqor serve`` always does).
    ops_api_enabled: bool = False
    ops_api_port: int = Field(default=8765, ge=0, le=65535)
    #: The window shows desktop notifications of job failures and failed canaries.
    notifications: bool = False
    #: Environment the settings were read from, kept so flags see the same overrides.
    environ: Mapping[str, str] = Field(default_factory=dict, repr=False, exclude=True)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        url = _parse_url(value, "DATABASE_URL")
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(
                f"DATABASE_URL must name sqlite or postgresql, not {url.get_backend_name()!r}"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"unknown log level {value!r}")
        return level

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, home: Path | None = None
    ) -> Settings:
        """Resolve folders, read ``config.json``, apply environment overrides, validate."""
        env = dict(os.environ if environ is None else environ)
        root = home or (Path(env["LEVQOR_HOME"]) if env.get("LEVQOR_HOME") else None)
        if root is not None:
            root = root.expanduser().absolute()
            dirs = {
                "data_dir": root / "data",
                "config_dir": root / "config",
                "log_dir": root / "logs",
            }
        else:
            dirs = {
                "data_dir": Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
                "config_dir": Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
                "log_dir": Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
            }
        values: dict[str, Any] = dict(dirs)
        values.update(read_config_file(dirs["config_dir"] / CONFIG_FILE_NAME))
        for var, field in ENV_VARS.items():
            if env.get(var):
                values[field] = env[var]
        values["environ"] = env
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError(_describe_validation_error(exc)) from None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "levqor.db"

    @property
    def config_file(self) -> Path:
        return self.config_dir / CONFIG_FILE_NAME

    def ensure_dirs(self) -> None:
        """Create the folders, or raise :class:`DataDirError` naming the one that fails."""
        for path in (self.data_dir, self.config_dir, self.log_dir):
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataDirError(f"cannot create folder {path}: {exc.strerror}") from None
            if not os.access(path, os.W_OK | os.X_OK):
                raise DataDirError(f"folder {path} is not writable")


def read_json_file(path: Path) -> Any:
    """The JSON in ``path``; a fault is a :class:`ConfigError` naming its line."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            hint="fix or delete the file; it was left untouched",
        ) from None


def read_config_file(path: Path) -> dict[str, Any]:
    """Return the settings stored in ``config.json`` (empty when there is none)."""
    if not path.exists():
        return {}
    data = read_json_file(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object, not {type(data).__name__}")
    allowed = set(Settings.model_fields) - {"data_dir", "config_dir", "log_dir", "environ"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    return data


def write_config_value(path: Path, key: str, value: Any) -> None:
    """Set one key of ``config.json`` atomically (temporary file + rename)."""
    data = read_config_file(path)
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe to show and log."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<unparseable URL>"
    return parsed.render_as_string(hide_password=True)


def _parse_url(value: str, name: str) -> URL:
    try:
        return make_url(value)
    except ArgumentError:
        raise ValueError(f"{name} is not a valid URL") from None


def _describe_validation_error(exc: ValidationError) -> str:
    faults = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "settings"
        env = next((var for var, f in ENV_VARS.items() if f == field), None)
        label = f"{field} ({env})" if env else field
        msg = str(err["msg"]).removeprefix("Value error, ")
        faults.append(f"{label}: {msg}")
    return "invalid settings: " + "; ".join(faults)
