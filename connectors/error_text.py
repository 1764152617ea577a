"""Vendor error bodies the shared error table cannot read, given to it in its own shape.

:func:`connectors.http_errors.vendor_message` finds a vendor's words under ``message``,
``error``, ``errors``... Jira's ``{"errorMessages": [...], "errors": {"field": "text"}}``
ClickUp's ``{"err": "...", "ECODE": "..."}`` and Zendesk's per-field ``details`` keep
them elsewhere, so their 4xx
errors would read "the request was rejected as invalid" with no reason. A connector
installs :func:`readable_errors_hook` with an ``extract`` function for its shape: on a
non-retried 4xx the hook raises the shared table's error for that status, carrying the
vendor's text (redacted). 429 and 5xx are left to the shared retry logic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from connectors.http import error_from_response

__all__ = ["clickup_error_text", "jira_error_text", "readable_errors_hook", "zendesk_error_text"]

Extract = Callable[[Any], str | None]


def jira_error_text(body: Any) -> str | None:
    """``errorMessages`` and per-field ``errors`` of a Jira error body, joined."""
    if not isinstance(body, dict):
        return None
    parts = [str(m) for m in body.get("errorMessages") or [] if m]
    fields = body.get("errors")
    if isinstance(fields, dict):
        parts += [f"{name}: {text}" for name, text in fields.items() if text]
    return "; ".join(parts) or None


def clickup_error_text(body: Any) -> str | None:
    """``err`` (and its ``ECODE``) of a ClickUp error body."""
    if not isinstance(body, dict) or not body.get("err"):
        return None
    code = body.get("ECODE")
    return f"{body['err']} ({code})" if code else str(body["err"])


def zendesk_error_text(body: Any) -> str | None:
    """``description`` and per-field ``details`` of a Zendesk error (beyond its ``error``)."""
    if not isinstance(body, dict) or not isinstance(body.get("description"), str):
        return None  # {"error": "..."} alone: the shared table reads it
    parts = [f"{body.get('error') or 'error'}: {body['description']}"]
    details = body.get("details")
    if isinstance(details, dict):
        for name, problems in details.items():
            for problem in problems if isinstance(problems, list) else []:
                if isinstance(problem, dict) and problem.get("description"):
                    parts.append(f"{name}: {problem['description']}")
    return "; ".join(parts)


def readable_errors_hook(
    extract: Extract, secrets: Iterable[str] = ()
) -> Callable[[httpx.Response], None]:
    """A response hook raising the mapped error with the text ``extract`` finds."""
    known = tuple(secrets)

    def hook(response: httpx.Response) -> None:
        status = response.status_code
        if not 400 <= status < 500 or status == 429:
            return
        try:
            text = extract(json.loads(response.read()))
        except ValueError:
            return
        if not text:
            return
        response.close()
        stand_in = httpx.Response(status, json={"message": text}, request=response.request)
        raise error_from_response(stand_in, secrets=known)

    return hook
