"""The error responses an endpoint documents in the OpenAPI document, and the body
of a successful one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.responses import Response

from levqor_desktop.core.opsapi.schemas import ErrorBody

_TEXT = {
    400: "a parameter is missing or invalid (the body names it)",
    401: "no API key, or an unknown or revoked one",
    403: "the key's role may not do this",
    404: "no such user, flag or endpoint",
    409: "the change is not possible now (for instance a flag forced by the environment)",
    428: "a change on a production deployment without X-Levqor-Confirm: <its name>",
    429: "too many requests for this key (see Retry-After)",
    503: "the database or another service is unavailable",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Responses for ``codes``, plus the 500 and 503 any endpoint may give."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in (*codes, 503):
        out[code] = {"model": ErrorBody, "description": _TEXT[code]}
    out[500] = {"model": ErrorBody, "description": "an unexpected error (details in the log)"}
    if 429 in codes:
        out[429]["headers"] = {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
        }
    return out


class ModelJSON(Response):
    """A pydantic model as the JSON body, serialized once by pydantic itself.

    Returned from an endpoint, FastAPI passes a Response through as it is; the
    endpoint's ``response_model`` still documents the body. Without it FastAPI
    validates the model it was handed against the same model again before
    serializing it (a twentieth of the server's time under load, for our own
    output).
    """

    media_type = "application/json"

    def __init__(self, model: BaseModel, status_code: int = 200) -> None:
        super().__init__(model.model_dump_json(), status_code=status_code)
