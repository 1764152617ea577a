"""One contract test over the whole registry: it covers every connector added later."""

from __future__ import annotations

import json
import logging
import re
from importlib.metadata import EntryPoint

import pytest
from pydantic import BaseModel

from connectors.base import AuthKind, Connector, ConnectorContext, CredentialField
from connectors.errors import ConfigurationError
from connectors.registry import (
    BUILTIN_CONNECTOR_MODULES,
    BUILTIN_CONNECTORS,
    ConnectorRegistry,
    UnknownConnector,
)

REGISTRY = ConnectorRegistry.default(plugins=[])
CONNECTORS = REGISTRY.all()
# the first five plus ai are "core"; the others are "v2"
CORE = {"ai", "email", "google_sheets", "notion", "slack", "telegram"}


def test_builtin_list_is_alphabetical_and_complete() -> None:
    assert list(BUILTIN_CONNECTORS) == sorted(BUILTIN_CONNECTORS)
    assert len(set(BUILTIN_CONNECTOR_MODULES)) == len(BUILTIN_CONNECTOR_MODULES)
    assert len(REGISTRY) == len(BUILTIN_CONNECTORS)


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda c: c.name)
def test_metadata(cls: type[Connector]) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.name)
    for attr in ("title", "category", "description"):
        assert getattr(cls, attr).strip(), f"{cls.name}.{attr} is empty"
    for attr in ("docs_url", "credentials_url"):
        assert getattr(cls, attr).startswith("https://"), f"{cls.name}.{attr} must be https"
    assert isinstance(cls.auth_kind, AuthKind)
    assert cls.tier in ("core", "v2")
    assert (cls.tier == "core") == (cls.name in CORE), f"{cls.name} has the wrong tier"
    if cls.auth_kind not in (AuthKind.SMTP, AuthKind.NONE):
        assert cls.base_url.startswith("https://"), f"{cls.name}.base_url must be https"


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda c: c.name)
def test_credential_fields(cls: type[Connector]) -> None:
    names = [f.name for f in cls.credential_fields]
    assert len(names) == len(set(names))
    for fld in cls.credential_fields:
        assert isinstance(fld, CredentialField) and fld.label.strip()
        looks_secret = re.search(r"token|secret|password|api_key|private", fld.name)
        assert fld.secret == bool(looks_secret), f"{cls.name}.{fld.name}: check the secret flag"
        assert not (fld.secret and fld.default), "a secret field cannot have a default"
    if cls.auth_kind is not AuthKind.NONE:
        assert any(f.secret for f in cls.credential_fields), f"{cls.name} marks no secret"


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda c: c.name)
def test_missing_required_field_names_the_field(cls: type[Connector]) -> None:
    required = [f for f in cls.credential_fields if f.required and f.default is None]
    for fld in required:
        others = {f.name: "x" for f in cls.credential_fields if f is not fld}
        with pytest.raises(ConfigurationError, match=fld.name):
            cls(ConnectorContext(credentials=others))


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda c: c.name)
def test_actions(cls: type[Connector]) -> None:
    actions = cls.actions()
    assert len(actions) >= 3, f"{cls.name} needs at least three actions"
    for name, spec in actions.items():
        assert spec.name == name and callable(getattr(cls, spec.method_name))
        assert issubclass(spec.input_model, BaseModel)
        assert spec.description.strip() and "\n" not in spec.description
        assert spec.output_keys, f"{cls.name}.{name} documents no output keys"
        if spec.paginated:
            assert "limit" in spec.input_model.model_fields, f"{name} is paginated: add limit"


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda c: c.name)
def test_spec_is_json(cls: type[Connector]) -> None:
    spec = json.loads(json.dumps(cls.spec()))
    assert spec["name"] == cls.name
    assert [a["name"] for a in spec["actions"]] == list(cls.actions())
    assert all(a["input_schema"]["type"] == "object" for a in spec["actions"])
    assert {f["name"] for f in spec["credential_fields"]} == {f.name for f in cls.credential_fields}


def test_names_unique_and_lookup() -> None:
    names = [c.name for c in CONNECTORS]
    assert len(names) == len(set(names))
    assert REGISTRY.get("slack").title == "Slack"
    with pytest.raises(UnknownConnector, match="no connector named 'nope'; known connectors: ai"):
        REGISTRY.get("nope")


def test_visible_hides_v2_unless_enabled() -> None:
    assert {c.name for c in REGISTRY.visible(v2_enabled=False)} == {
        c.name for c in CONNECTORS if c.tier == "core"
    }
    assert REGISTRY.visible(v2_enabled=True) == CONNECTORS


def test_broken_plugin_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    plugins = [
        EntryPoint("broken", "no_such_module_xyz:Thing", "levqor.connectors"),
        EntryPoint("notaclass", "json:dumps", "levqor.connectors"),
        EntryPoint("slack_again", "connectors.slack:SlackConnector", "levqor.connectors"),
    ]
    with caplog.at_level(logging.WARNING, logger="connectors.registry"):
        registry = ConnectorRegistry.default(plugins=plugins)
    assert len(registry) == len(CONNECTORS)
    text = caplog.text
    assert "'broken' failed to load" in text and "'notaclass' is not a Connector" in text
    assert "'slack' is defined twice" in text


def test_connectors_never_import_the_app() -> None:
    import subprocess
    import sys

    code = (
        "import sys, connectors.registry as r; r.ConnectorRegistry.default(plugins=[]);"
        "bad = [m for m in sys.modules if m.startswith(('levqor_desktop', 'PySide6'))];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
