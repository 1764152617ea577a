"""The baseline of ``bench/load_serve.py``: a bare Starlette app with the same four routes.

No API keys, no rate limit, no FastAPI: health (a ``SELECT 1`` and a JSON body),
metrics (prometheus_client's default registry), a read of one job row from the same
database, and a write that inserts a row (and, with Redis, hands an RQ job over, as
the rq backend does). Sync endpoints, so Starlette runs them on its thread pool as
FastAPI runs Levqor's. Configured by environment: ``LOAD_DB_URL`` (SQLAlchemy URL),
``LOAD_REDIS_URL`` (optional). Served by ``bench/load_serve.py`` with uvicorn.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

from prometheus_client import REGISTRY, generate_latest
from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

engine = create_engine(os.environ["LOAD_DB_URL"])
with engine.begin() as setup:
    setup.execute(
        text(
            "CREATE TABLE IF NOT EXISTS bench_load_rows "
            "(id INTEGER PRIMARY KEY, payload TEXT NOT NULL, created_at TIMESTAMP NOT NULL)"
            if engine.dialect.name == "sqlite"
            else "CREATE TABLE IF NOT EXISTS bench_load_rows (id BIGSERIAL PRIMARY KEY, "
            "payload TEXT NOT NULL, created_at TIMESTAMP NOT NULL)"
        )
    )
queue = None
if os.environ.get("LOAD_REDIS_URL"):
    import redis
    from rq import Queue

    queue = Queue(
        "bench-load-baseline", connection=redis.Redis.from_url(os.environ["LOAD_REDIS_URL"])
    )


def health(_: Request) -> Response:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok", "time": dt.datetime.now(dt.UTC).isoformat()})


def metrics(_: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type="text/plain; version=0.0.4")


def read_job(request: Request) -> Response:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, workflow_name, status, created_at FROM jobs WHERE id = :id"),
            {"id": int(request.path_params["job_id"])},
        ).one_or_none()
    if row is None:
        return JSONResponse({"error": "no such job"}, status_code=404)
    return JSONResponse(
        {"id": row[0], "workflow": row[1], "status": row[2], "created_at": str(row[3])}
    )


def write_row(_: Request) -> Response:
    with engine.begin() as conn:
        new_id = conn.execute(
            text("INSERT INTO bench_load_rows (payload, created_at) VALUES (:p, :t) RETURNING id"),
            {"p": uuid.uuid4().hex, "t": dt.datetime.now(dt.UTC).replace(tzinfo=None)},
        ).scalar_one()
    if queue is not None:
        queue.enqueue("bench.jobs.noop", new_id)
    return JSONResponse({"id": new_id}, status_code=201)


app = Starlette(
    routes=[
        Route("/ops/health", health),
        Route("/metrics", metrics),
        Route("/api/v1/jobs/{job_id:int}", read_job),
        Route("/api/v1/jobs", write_row, methods=["POST"]),
    ]
)
