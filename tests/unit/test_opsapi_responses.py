"""``ModelJSON`` sends the body FastAPI's own serialization of the model would."""

from __future__ import annotations

import datetime as dt
import json

from fastapi.encoders import jsonable_encoder

from levqor_desktop.core.opsapi.responses import ModelJSON
from levqor_desktop.core.opsapi.schemas import JobOut


def test_model_json_matches_fastapis_encoding() -> None:
    job = JobOut(
        id=7, workflow="wf \u00e9", status="failed", backend="rq", queue="default", attempts=2,
        created_at=dt.datetime(2026, 12, 7, 12, 0, 0, 123456, tzinfo=dt.UTC),
        started_at=dt.datetime(2026, 12, 7, 12, 0, 1, tzinfo=dt.UTC), finished_at=None,
        error='a "quoted" error',
    )  # fmt: skip
    response = ModelJSON(job, status_code=201)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert json.loads(bytes(response.body)) == jsonable_encoder(job)
    assert int(response.headers["content-length"]) == len(response.body)
