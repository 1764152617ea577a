"""The vendor-spec checker: does a recorded ``httpx.Request`` match the vendor's API file?

Written once for every connector. :func:`request_problems` returns a list of faults
(empty = conforms); :func:`assert_request_matches` fails a test with all of them. It
checks that the method and path exist (OpenAPI/Swagger path templates with the
servers' base paths stripped; Google discovery ``flatPath``; Telegram methods; GraphQL
documents validated against the schema), that required query/header/body parameters
are present (JSON and form-encoded bodies), and that the credential travels the way
the spec's security schemes say (bearer, basic, apiKey in a header or the query).

:func:`response_problems` checks a canned success body against the documented
response schema (see :mod:`tests.connectors.schema_check`).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.connectors.schema_check import schema_problems
from tests.connectors.spec_files import VENDORS, VendorSpec, resolve, vendor_documents

__all__ = [
    "Operation",
    "assert_request_matches",
    "assert_response_matches",
    "find_operation",
    "request_problems",
    "response_problems",
]

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True)
class Operation:
    doc: Any
    method: str
    template: str
    pattern: re.Pattern[str]
    op: dict[str, Any]
    path_item: dict[str, Any]


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{body}$")


def _server_prefixes(doc: dict[str, Any], extra: tuple[str, ...]) -> list[str]:
    prefixes = list(extra)
    if "basePath" in doc:
        prefixes.append(str(doc["basePath"]))
    for server in doc.get("servers") or []:
        prefixes.append(urlsplit(str(server.get("url", ""))).path)
    return sorted({p.rstrip("/") for p in prefixes if p.rstrip("/")}, key=len, reverse=True)


@functools.cache
def _openapi_index(vendor: str) -> list[tuple[list[str], list[Operation]]]:
    spec = VENDORS[vendor]
    index = []
    for doc in vendor_documents(vendor):
        ops = [
            Operation(doc, method, template, _template_regex(template), op, item)
            for template, item in (doc.get("paths") or {}).items()
            for method, op in item.items()
            if method in _METHODS and isinstance(op, dict)
        ]
        index.append((_server_prefixes(doc, spec.base_paths), ops))
    return index


def find_operation(vendor: str, method: str, path: str) -> Operation | None:
    """The operation for ``method path``; literal templates win over parameterised ones."""
    matches: list[Operation] = []
    for prefixes, ops in _openapi_index(vendor):
        for prefix in [*prefixes, ""]:
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :] or "/"
            matches += [o for o in ops if o.method == method.lower() and o.pattern.match(rest)]
        if matches:
            break
    return min(matches, key=lambda o: o.template.count("{"), default=None)


def _body(request: httpx.Request) -> dict[str, Any] | None:
    """Top-level body fields (JSON object or form), None when the body is unreadable."""
    content = request.content
    if not content:
        return {}
    ctype = request.headers.get("content-type", "")
    if "json" in ctype:
        data = json.loads(content)
        return data if isinstance(data, dict) else None
    if "x-www-form-urlencoded" in ctype:
        form = parse_qs(content.decode(), keep_blank_values=True)
        return {key.split("[", 1)[0]: values for key, values in form.items()}  # Stripe a[b]=c
    return None


def _auth_ok(request: httpx.Request, scheme: dict[str, Any]) -> bool:
    header = request.headers.get("authorization", "")
    kind = str(scheme.get("type", "")).lower()
    if kind in ("oauth2", "openidconnect") or (
        kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer"
    ):
        return header.startswith("Bearer ") and len(header) > len("Bearer ")
    if kind == "basic" or (kind == "http" and str(scheme.get("scheme", "")).lower() == "basic"):
        if not header.startswith("Basic "):
            return False
        try:
            return ":" in base64.b64decode(header[6:]).decode()
        except ValueError:
            return False
    if kind == "apikey":
        name = str(scheme.get("name", ""))
        if scheme.get("in") == "query":
            return name in request.url.params
        if scheme.get("in") == "header":
            return bool(request.headers.get(name))
    return False


def _override_scheme(auth: str) -> dict[str, Any]:
    if auth.startswith("header:"):
        return {"type": "apiKey", "in": "header", "name": auth.split(":", 1)[1]}
    return {"type": "http", "scheme": auth}


def _security_problems(request: httpx.Request, operation: Operation, spec: VendorSpec) -> list[str]:
    doc = operation.doc
    schemes = (
        (doc.get("components") or {}).get("securitySchemes") or doc.get("securityDefinitions") or {}
    )
    requirements = operation.op.get("security", doc.get("security"))
    if requirements is None:
        if spec.auth is None:
            return []
        requirements = [{"override": []}]
        schemes = {"override": _override_scheme(spec.auth)}
    if not requirements or any(not alt for alt in requirements):
        return []  # the spec says no auth is needed (or it is optional)
    for alternative in requirements:
        if all(_auth_ok(request, resolve(doc, schemes.get(name, {}))) for name in alternative):
            return []
    wanted = " | ".join("+".join(alt) for alt in requirements)
    return [f"auth: no accepted credential scheme was used (spec accepts {wanted})"]


def _openapi_problems(vendor: str, request: httpx.Request) -> list[str]:
    spec = VENDORS[vendor]
    operation = find_operation(vendor, request.method, request.url.path)
    if operation is None:
        return [f"{request.method} {request.url.path} is not in the {vendor} API description"]
    doc, problems = operation.doc, []
    body = _body(request)
    auth_header = request.headers.get("authorization", "")
    params = [resolve(doc, p) for p in operation.path_item.get("parameters", [])]
    params += [resolve(doc, p) for p in operation.op.get("parameters", [])]
    for param in params:
        name, where = param.get("name"), param.get("in")
        if name in spec.token_params:
            if name in request.url.params:
                problems.append(f"the credential {name!r} must not be sent in the URL")
            if not auth_header.startswith("Bearer "):
                problems.append(f"the credential {name!r} must travel as Authorization: Bearer")
            continue
        if not param.get("required"):
            continue
        if where == "query" and name not in request.url.params:
            problems.append(f"required query parameter {name!r} is missing")
        elif where == "header" and name not in request.headers:
            problems.append(f"required header {name!r} is missing")
        elif where == "formData" and body is not None and name not in body:
            problems.append(f"required body field {name!r} is missing")
        elif where == "body" and body is not None:
            required = resolve(doc, param.get("schema", {})).get("required", [])
            problems += [f"required body field {r!r} is missing" for r in required if r not in body]
    request_body = resolve(doc, operation.op.get("requestBody"))
    if isinstance(request_body, dict) and request_body and body is not None:
        problems += _request_body_problems(doc, request_body, request, body)
    return problems + _security_problems(request, operation, spec)


def _request_body_problems(
    doc: Any, request_body: dict[str, Any], request: httpx.Request, body: dict[str, Any]
) -> list[str]:
    if not body:
        return ["the request body is required"] if request_body.get("required") else []
    content = request_body.get("content") or {}
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    media = content.get(ctype)
    if media is None:
        return [f"content type {ctype!r} is not accepted (spec: {', '.join(content)})"]
    schema = resolve(doc, media.get("schema", {}))
    required = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        required |= set(resolve(doc, part).get("required", []))
    return [f"required body field {r!r} is missing" for r in sorted(required) if r not in body]


def _discovery_methods(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = list((node.get("methods") or {}).values())
    for child in (node.get("resources") or {}).values():
        found += _discovery_methods(child)
    return found


def _discovery_problems(vendor: str, request: httpx.Request) -> list[str]:
    doc = vendor_documents(vendor)[0]
    prefix = "/" + str(doc.get("servicePath", "")).lstrip("/")
    path = request.url.path
    rest = path[len(prefix) :] if path.startswith(prefix) else path.lstrip("/")
    for method in _discovery_methods(doc):
        template = str(method.get("flatPath") or method.get("path"))
        if method.get("httpMethod") != request.method or not _template_regex(template).match(rest):
            continue
        problems = [
            f"required query parameter {name!r} is missing"
            for name, p in (method.get("parameters") or {}).items()
            if p.get("required") and p.get("location") == "query" and name not in request.url.params
        ]
        bearer = request.headers.get("authorization", "").startswith("Bearer ")
        if not (bearer or "key" in request.url.params):
            problems.append("auth: expected an OAuth Bearer token or a key= parameter")
        return problems
    return [f"{request.method} {path} is not in the {vendor} discovery document"]


def _telegram_problems(vendor: str, request: httpx.Request) -> list[str]:
    match = re.match(r"^/bot(\d+:[A-Za-z0-9_-]+)/(\w+)$", request.url.path)
    if match is None:
        return [f"{request.url.path} is not /bot<token>/<method>"]
    methods = {name.lower(): m for name, m in vendor_documents(vendor)[0]["methods"].items()}
    method = methods.get(match.group(2).lower())
    if method is None:
        return [f"Telegram has no method {match.group(2)!r}"]
    given = set(request.url.params) | set(_body(request) or {})
    return [
        f"required field {f['name']!r} is missing"
        for f in method.get("fields", [])
        if f.get("required") and f["name"] not in given
    ]


def _graphql_problems(vendor: str, request: httpx.Request) -> list[str]:
    import graphql

    if request.method != "POST":
        return ["GraphQL calls must be POST"]
    payload = json.loads(request.content or b"{}")
    try:
        document = graphql.parse(payload.get("query", ""))
    except graphql.GraphQLError as exc:
        return [f"the GraphQL document does not parse: {exc.message}"]
    problems = [e.message for e in graphql.validate(vendor_documents(vendor)[0], document)]
    variables = payload.get("variables") or {}
    for definition in document.definitions:
        for var in getattr(definition, "variable_definitions", None) or []:
            name = var.variable.name.value
            needed = isinstance(var.type, graphql.NonNullTypeNode) and var.default_value is None
            if needed and name not in variables:
                problems.append(f"required GraphQL variable ${name} is missing")
    if not request.headers.get("authorization"):
        problems.append("auth: the Authorization header is missing")
    return problems


def request_problems(vendor: str, request: httpx.Request) -> list[str]:
    checkers = {
        "openapi": _openapi_problems,
        "discovery": _discovery_problems,
        "telegram": _telegram_problems,
        "graphql": _graphql_problems,
    }
    return checkers[VENDORS[vendor].kind](vendor, request)


def assert_request_matches(vendor: str, request: httpx.Request) -> None:
    problems = request_problems(vendor, request)
    assert not problems, f"{request.method} {request.url} vs the {vendor} spec: " + "; ".join(
        problems
    )


def _response_schema(operation: Operation, status: int) -> Any:
    responses = operation.op.get("responses") or {}
    # YAML specs (Asana, Zendesk, Intercom) load unquoted status codes as ints.
    response = (
        responses.get(str(status)) or responses.get(status) or responses.get(f"{str(status)[0]}XX")
    )
    response = resolve(operation.doc, response)
    if not isinstance(response, dict):
        return None
    if "schema" in response:  # Swagger 2
        return response["schema"]
    for ctype, media in (response.get("content") or {}).items():
        if "json" in ctype:
            return media.get("schema")
    return None


def response_problems(vendor: str, request: httpx.Request, status: int, body: Any) -> list[str]:
    """Problems of ``body`` against the documented schema (OpenAPI vendors only)."""
    if VENDORS[vendor].kind != "openapi":
        return []
    operation = find_operation(vendor, request.method, request.url.path)
    if operation is None:
        return [f"{request.method} {request.url.path} is not in the {vendor} API description"]
    schema = _response_schema(operation, status)
    if schema is None:
        return [f"the spec documents no JSON body for {operation.template} {status}"]
    return schema_problems(operation.doc, schema, body)


def assert_response_matches(vendor: str, request: httpx.Request, status: int, body: Any) -> None:
    problems = response_problems(vendor, request, status, body)
    assert not problems, f"canned {status} body for {request.url.path} vs the {vendor} spec: " + (
        "; ".join(problems)
    )
