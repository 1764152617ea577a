"""Where the vendor API descriptions live, which file belongs to which vendor, and loading.

Every document is loaded once per test session (``functools.cache``): some are 13 MB.
The folder is ``<repo>/../shared/api-specs`` unless ``LEVQOR_API_SPECS`` says otherwise;
when it is missing, spec tests skip with the reason from :func:`specs_missing_reason`.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

SPECS_ENV = "LEVQOR_API_SPECS"

SpecKind = Literal["openapi", "discovery", "telegram", "graphql"]


@dataclass(frozen=True)
class VendorSpec:
    """How to check one vendor's requests.

    ``token_params``: parameters the spec declares for the credential (Slack's ``token``)
    that we send in the ``Authorization`` header instead. The checker counts them as
    present when that header is there, and REJECTS them in the URL, where tokens leak
    into proxy and server logs.
    ``auth``: the scheme to expect when the spec declares none (GitHub's has no
    securitySchemes): "bearer", "basic" or "header:<Name>".
    ``base_paths``: path prefixes to strip besides those of the spec's servers.
    """

    folder: str
    files: tuple[str, ...]
    kind: SpecKind
    token_params: tuple[str, ...] = ()
    auth: str | None = None
    base_paths: tuple[str, ...] = ()


# One line per vendor; connectors name their vendor in their test table.
VENDORS: dict[str, VendorSpec] = {
    "asana": VendorSpec("asana", ("asana_oas.yaml",), "openapi"),
    "clickup": VendorSpec(
        "clickup", ("clickup-api-v2-reference.json", "ClickUp_PUBLIC_API_V3.yaml"), "openapi"
    ),
    "discord": VendorSpec("discord", ("openapi.json",), "openapi"),
    "github": VendorSpec("github", ("api.github.com.json",), "openapi", auth="bearer"),
    "google-sheets": VendorSpec("google-sheets", ("sheets.v4.json",), "discovery"),
    "intercom": VendorSpec("intercom", ("api.intercom.io.2.16.yaml",), "openapi"),
    "jira": VendorSpec("jira", ("swagger-v3.v3.json",), "openapi"),
    "linear": VendorSpec("linear", ("schema.graphql",), "graphql"),
    "monday": VendorSpec("monday", ("schema.graphql",), "graphql"),
    "notion": VendorSpec("notion", ("notion-openapi.json",), "openapi"),
    "salesforce": VendorSpec(
        "salesforce",
        ("salesforce.oas.v59.json.gz",),
        "openapi",
        base_paths=("/services/data/v59.0",),
    ),
    "slack": VendorSpec(
        "slack", ("slack_web_openapi_v2.json",), "openapi", token_params=("token",)
    ),
    "stripe": VendorSpec("stripe", ("spec3.yaml",), "openapi"),
    "telegram": VendorSpec("telegram", ("api.min.json",), "telegram"),
    "trello": VendorSpec("trello", ("swagger.v3.json",), "openapi"),
    "twilio": VendorSpec("twilio", ("twilio_api_v2010.json",), "openapi"),
    "zendesk": VendorSpec("zendesk", ("oas.yaml",), "openapi"),
}


def specs_dir() -> Path:
    override = os.environ.get(SPECS_ENV)
    if override:
        return Path(override)
    # tests/connectors/spec_files.py -> repo -> its parent holds shared/
    return Path(__file__).resolve().parents[2].parent / "shared" / "api-specs"


def specs_missing_reason(vendor: str | None = None) -> str | None:
    """None when the files are there, else why the spec tests must skip."""
    folder = specs_dir()
    if not folder.is_dir():
        return f"vendor API descriptions not found at {folder} (set {SPECS_ENV})"
    if vendor is not None:
        if vendor not in VENDORS:
            return f"no API description is registered for vendor {vendor!r}"
        spec = VENDORS[vendor]
        for name in spec.files:
            if not (folder / spec.folder / name).is_file():
                return f"{folder / spec.folder / name} is missing"
    return None


class _SpecLoader(yaml.CSafeLoader):
    """CSafeLoader that reads zendesk's bare ``=`` scalars as plain strings."""


def _plain_scalar(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


_SpecLoader.add_constructor("tag:yaml.org,2002:value", _plain_scalar)


@functools.cache
def load_document(path: Path) -> Any:
    if path.suffix == ".graphql":
        import graphql

        return graphql.build_schema(path.read_text(encoding="utf-8"))
    if path.name.endswith(".json.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    with path.open("rb") as fh:
        return yaml.load(fh, Loader=_SpecLoader)


def vendor_documents(vendor: str) -> list[Any]:
    spec = VENDORS[vendor]
    return [load_document(specs_dir() / spec.folder / name) for name in spec.files]


def resolve(doc: Any, node: Any) -> Any:
    """Follow local ``$ref`` chains (``#/components/...``, ``#/definitions/...``)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}
        target = doc
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        node = target
        seen += 1
    return node
