"""Deployment profiles: named connections to one Levqor installation each.

A :class:`Profile` names a database URL, a Redis URL, the kind of environment (local,
staging, production) and a colour the window shows it in. Profiles are kept in
``<config>/profiles.json``; their database and Redis passwords live in the keyring
(``profile:<name>:database`` / ``profile:<name>:redis``), never in the file. The
built-in ``local`` profile is whatever the settings name today (``config.json`` and the
environment), so nothing changes for an operator who never adds a profile.

Whether this machine's window runs the deployment's job workers is a profile setting too
(``workers``): unset, ``local`` environments run them (the embedded install) and staging
and production do not, so opening the console on production never makes a laptop run
production's jobs.

Each profile has its own feature flags (:meth:`ProfileStore.flags_path`): ``local`` keeps
``<config>/flags.json``, any other profile ``<config>/profiles/<name>/flags.json``, so a
flag changed while running on one deployment never changes another's.

A corrupt ``profiles.json`` is reported with its line and left untouched: every write
reads the file first, so a broken file is never overwritten.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from levqor_desktop.core.secrets import SecretStore
from levqor_desktop.errors import ConfigError, NotFoundError, SecretStoreError, ValidationError
from levqor_desktop.settings import Settings, mask_url, read_json_file

PROFILES_FILE_NAME = "profiles.json"
FLAGS_FILE_NAME = "flags.json"
#: Below the config folder: one folder per named profile, holding its own flags file.
PROFILE_DIR_NAME = "profiles"
LOCAL = "local"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class Environment(StrEnum):
    LOCAL = "local"
    STAGING = "staging"
    PRODUCTION = "production"


#: The colour band of each kind of environment unless a profile picks its own.
DEFAULT_COLOURS: dict[Environment, str] = {
    Environment.LOCAL: "#2e7d32",
    Environment.STAGING: "#ef8f00",
    Environment.PRODUCTION: "#c62828",
}


@dataclass(frozen=True)
class Profile:
    """One deployment. URLs carry no password (the keyring holds it)."""

    name: str
    #: None: the embedded SQLite database of this machine.
    database_url: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    environment: Environment = Environment.LOCAL
    colour: str = ""
    #: Whether the keyring holds a password for the database / Redis (never the value):
    #: the keyring is asked only then, so a profile without one works without a keyring.
    database_password: bool = False
    redis_password: bool = False
    #: Whether the window on this profile runs job workers here; None: the environment's
    #: default (see :attr:`runs_workers`).
    workers: bool | None = None

    @property
    def runs_workers(self) -> bool:
        """The window runs the job workers: the setting, else only in local environments."""
        if self.workers is not None:
            return self.workers
        return self.environment is Environment.LOCAL

    @property
    def band_colour(self) -> str:
        """The colour to show: the profile's own, else its environment's default."""
        return self.colour or DEFAULT_COLOURS[self.environment]

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def builtin(self) -> bool:
        return self.name == LOCAL

    def describe(self) -> dict[str, Any]:
        """A JSON-safe description (URLs masked), for lists and ``profiles show``."""
        return {
            "name": self.name,
            "environment": self.environment.value,
            "colour": self.band_colour,
            "database_url": mask_url(self.database_url) if self.database_url else "sqlite (local)",
            "redis_url": mask_url(self.redis_url),
            "builtin": self.builtin,
            "database_password": "in the keyring" if self.database_password else "none",
            "redis_password": "in the keyring" if self.redis_password else "none",
            "workers": self.workers_text,
        }

    @property
    def workers_text(self) -> str:
        """``run here`` / ``not run here``, with ``(default)`` when the profile sets none."""
        text = "run here" if self.runs_workers else "not run here"
        return text + (" (default)" if self.workers is None else "")


def local_profile(settings: Settings) -> Profile:
    """The built-in profile: the database and Redis the settings name today."""
    return Profile(
        name=LOCAL,
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        environment=Environment.LOCAL,
    )


def parse_environment(value: str) -> Environment:
    try:
        return Environment(value.strip().lower())
    except ValueError:
        kinds = ", ".join(e.value for e in Environment)
        raise ValidationError(f"environment {value!r} is not one of: {kinds}") from None


def split_database_password(url: str) -> tuple[str, str | None]:
    """``url`` without its password, and the password (None when it has none)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValidationError("the database URL is not a valid URL") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValidationError(
            f"the database URL must name sqlite or postgresql, not {parsed.get_backend_name()!r}"
        )
    password = parsed.password
    # URL.set ignores None (it means "unchanged"), so the field is replaced directly.
    bare = parsed._replace(password=None).render_as_string(hide_password=False)
    return bare, (str(password) if password else None)


def with_database_password(url: str, password: str | None) -> str:
    if not password:
        return url
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def split_redis_password(url: str) -> tuple[str, str | None]:
    """``url`` without its password, and the password (None when it has none)."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValidationError("the Redis URL must start with redis://, rediss:// or unix://")
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), parts.password


def with_redis_password(url: str, password: str | None) -> str:
    if not password:
        return url
    parts = urlsplit(url)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.netloc}"))


class ProfileStore:
    """The profiles of this machine: the built-in ``local`` plus ``profiles.json``."""

    def __init__(self, path: Path, secrets: SecretStore, settings: Settings) -> None:
        self.path = path
        self.secrets = secrets
        self.settings = settings

    # -- reading ----------------------------------------------------------------------

    def list(self) -> list[Profile]:
        """Every profile, ``local`` first, then by name."""
        stored = self._read()
        return [local_profile(self.settings)] + [stored[n] for n in sorted(stored)]

    def get(self, name: str) -> Profile:
        if name == LOCAL:
            return local_profile(self.settings)
        stored = self._read()
        if name not in stored:
            known = ", ".join(p.name for p in self.list())
            raise NotFoundError(f"no deployment profile named {name!r}", hint=f"known: {known}")
        return stored[name]

    def flags_path(self, profile: Profile | str) -> Path:
        """The flags file of a profile: ``<config>/flags.json`` for ``local`` (as before
        profiles existed), ``<config>/profiles/<name>/flags.json`` for any other.

        A folder per profile rather than ``flags.<name>.json``: the file keeps its name,
        so ``flags.json.broken-N`` and every label naming ``flags.json`` stay true, and a
        profile name with dots (``acme.prod``) cannot read as part of the file name.
        The name rule (lower-case letters, digits, ``.``, ``_``, ``-``; no leading dot)
        makes it a safe folder name.
        """
        name = profile if isinstance(profile, str) else profile.name
        config_dir = self.path.parent
        if name == LOCAL:
            return config_dir / FLAGS_FILE_NAME
        if not _NAME.match(name):
            raise ValidationError(f"profile name {name!r} is not a valid profile name")
        return config_dir / PROFILE_DIR_NAME / name / FLAGS_FILE_NAME

    def connection(self, profile: Profile) -> tuple[str | None, str]:
        """The profile's database and Redis URLs with their passwords from the keyring."""
        if profile.builtin:
            return profile.database_url, profile.redis_url
        db_url, redis = profile.database_url, profile.redis_url
        if db_url is not None and profile.database_password:
            db_url = with_database_password(db_url, self._secret(profile, "database"))
        if profile.redis_password:
            redis = with_redis_password(redis, self._secret(profile, "redis"))
        return db_url, redis

    def _secret(self, profile: Profile, kind: str) -> str:
        value = self.secrets.get(_key(profile.name, kind))
        if value is None:
            raise SecretStoreError(
                f"the {kind} password of profile {profile.name!r} is missing from the keyring",
                hint=f"store it again: levqor profiles add {profile.name} --replace ...",
            )
        return value

    # -- writing ----------------------------------------------------------------------

    def add(
        self,
        name: str,
        *,
        database_url: str | None,
        redis_url: str = "redis://127.0.0.1:6379/0",
        environment: Environment | str = Environment.LOCAL,
        colour: str = "",
        workers: bool | None = None,
        replace_existing: bool = False,
    ) -> Profile:
        """Store a profile; passwords in the URLs go to the keyring, not the file."""
        if not _NAME.match(name):
            raise ValidationError(
                f"profile name {name!r} must be lower-case letters, digits, '.', '_' or '-'"
            )
        if name == LOCAL:
            raise ValidationError("'local' is the built-in profile (change config.json instead)")
        if colour and not _COLOUR.match(colour):
            raise ValidationError(f"colour {colour!r} must look like #c62828")
        env = parse_environment(environment) if isinstance(environment, str) else environment
        stored = self._read()
        if name in stored and not replace_existing:
            raise ValidationError(
                f"a profile named {name!r} exists", hint="remove it first or pass --replace"
            )
        db_bare, db_password = (None, None)
        if database_url:
            db_bare, db_password = split_database_password(database_url)
        redis_bare, redis_password = split_redis_password(redis_url)
        profile = Profile(
            name,
            db_bare,
            redis_bare,
            env,
            colour,
            bool(db_password),
            bool(redis_password),
            workers=workers,
        )
        old = stored.get(name)
        for kind, secret in (("database", db_password), ("redis", redis_password)):
            if secret:
                self.secrets.set(_key(name, kind), secret)
            elif old is not None and getattr(old, f"{kind}_password"):
                self.secrets.delete(_key(name, kind))
        stored[name] = profile
        self._write(stored)
        return profile

    def remove(self, name: str) -> None:
        """Forget a profile and its keyring entries.

        Its flags file is kept (nothing an operator set is deleted; adding the profile
        again finds it), and the ``local`` flags file is never touched.
        """
        if name == LOCAL:
            raise ValidationError("the built-in 'local' profile cannot be removed")
        stored = self._read()
        if name not in stored:
            raise NotFoundError(f"no deployment profile named {name!r}")
        old = stored.pop(name)
        self._write(stored)
        for kind in ("database", "redis"):
            if getattr(old, f"{kind}_password"):
                self.secrets.delete(_key(name, kind))

    # -- the file ---------------------------------------------------------------------

    def _read(self) -> dict[str, Profile]:
        if not self.path.exists():
            return {}
        data = read_json_file(self.path)
        entries = data.get("profiles") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            raise ConfigError(f'{self.path} must hold {{"profiles": {{name: profile}}}}')
        return {name: _profile_from(self.path, name, entry) for name, entry in entries.items()}

    def _write(self, profiles: dict[str, Profile]) -> None:
        entries = {}
        for name, profile in sorted(profiles.items()):
            entry = asdict(profile)
            entry.pop("name")
            entry["environment"] = profile.environment.value
            if profile.workers is None:
                entry.pop("workers")  # unset: the file stays as older versions wrote it
            entries[name] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        text = json.dumps({"profiles": entries}, indent=2, sort_keys=True) + "\n"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)


def _key(name: str, kind: str) -> str:
    return f"profile:{name}:{kind}"


def _profile_from(path: Path, name: str, entry: Any) -> Profile:
    if not isinstance(entry, dict) or not _NAME.match(name) or name == LOCAL:
        raise ConfigError(f"{path}: profile {name!r} is not a valid entry")
    for field, split in (
        ("database_url", split_database_password),
        ("redis_url", split_redis_password),
    ):
        value = entry.get(field)
        try:
            has_password = bool(value) and split(str(value))[1] is not None
        except ValidationError as exc:
            raise ConfigError(f"{path}: profile {name!r}: {exc.message}") from None
        if has_password:
            raise ConfigError(
                f"{path}: profile {name!r} holds a password in {field}",
                hint="passwords belong in the keyring: run levqor profiles add --replace",
            )
    # Files written before the setting existed have no "workers": the default applies.
    workers = entry.get("workers")
    if workers is not None and not isinstance(workers, bool):
        raise ConfigError(
            f"{path}: profile {name!r}: workers must be true, false or absent, not {workers!r}"
        )
    try:
        return Profile(
            name=name,
            database_url=entry.get("database_url"),
            redis_url=str(entry.get("redis_url", "redis://127.0.0.1:6379/0")),
            environment=parse_environment(str(entry.get("environment", "local"))),
            colour=str(entry.get("colour", "")),
            database_password=bool(entry.get("database_password", False)),
            redis_password=bool(entry.get("redis_password", False)),
            workers=workers,
        )
    except ValidationError as exc:
        raise ConfigError(f"{path}: profile {name!r}: {exc.message}") from None
