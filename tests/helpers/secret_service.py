"""The real OS keyring backend for ``keyring``-marked tests (skips, or fails in CI, without)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from levqor_desktop.core.secrets import select_backend
from levqor_desktop.errors import SecretStoreError


def secret_service_backend(tmp_path: Path) -> Any:
    """The Secret Service backend of this session; skip (CI: fail) when there is none."""
    try:
        return select_backend({}, tmp_path)
    except SecretStoreError as exc:
        if os.environ.get("LEVQOR_REQUIRE_SERVICES") == "1":
            pytest.fail(f"a Secret Service is required here: {exc}")
        pytest.skip(f"no Secret Service in this session: {exc}")
