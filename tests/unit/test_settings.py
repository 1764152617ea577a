from __future__ import annotations

import json
from pathlib import Path

import pytest

from levqor_desktop.errors import ConfigError, DataDirError
from levqor_desktop.settings import Settings, mask_url, write_config_value


def test_home_puts_every_folder_under_one_root(tmp_path: Path) -> None:
    s = Settings.from_env({"LEVQOR_HOME": str(tmp_path)})
    assert s.data_dir == tmp_path / "data"
    assert s.config_dir == tmp_path / "config"
    assert s.log_dir == tmp_path / "logs"
    assert s.sqlite_path == tmp_path / "data" / "levqor.db"


def test_environment_overrides_config_file(tmp_path: Path) -> None:
    write_config_value(tmp_path / "config" / "config.json", "redis_url", "redis://file:6379/0")
    s = Settings.from_env({}, home=tmp_path)
    assert s.redis_url == "redis://file:6379/0"
    s = Settings.from_env({"REDIS_URL": "redis://env:6379/1"}, home=tmp_path)
    assert s.redis_url == "redis://env:6379/1"


@pytest.mark.parametrize(
    ("env", "fault"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "must name sqlite or postgresql"),
        ({"DATABASE_URL": "::::"}, "DATABASE_URL is not a valid URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL must start with"),
        ({"LEVQOR_WORKERS": "0"}, "local_workers (LEVQOR_WORKERS)"),
        ({"LEVQOR_LOG_LEVEL": "loud"}, "unknown log level"),
    ],
)
def test_bad_values_name_the_fault(tmp_path: Path, env: dict[str, str], fault: str) -> None:
    with pytest.raises(ConfigError, match="invalid settings") as err:
        Settings.from_env(env, home=tmp_path)
    assert fault in str(err.value)


def test_corrupt_config_file_is_reported_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"redis_url": ', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.json is not valid JSON \(line 1"):
        Settings.from_env({}, home=tmp_path)
    assert path.read_text(encoding="utf-8") == '{"redis_url": '


def test_unknown_config_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"colour": "blue"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.from_env({}, home=tmp_path)


def test_unusable_home_names_the_folder(tmp_path: Path) -> None:
    # A file where a folder should be fails even for root (permissions would not).
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder", encoding="utf-8")
    s = Settings.from_env({}, home=blocker / "home")
    with pytest.raises(DataDirError, match=str(blocker / "home" / "data")):
        s.ensure_dirs()
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_mask_url_hides_password() -> None:
    assert (
        mask_url("postgresql://bob:s3cret@db:5432/levqor") == "postgresql://bob:***@db:5432/levqor"
    )
    assert "s3cret" not in mask_url("postgresql://bob:s3cret@db/levqor")
