"""A Redis database index of the bench's own, claimed as the test suite claims one.

``tests/conftest.py`` takes an index 1-15 by setting ``levqor-test-db-lock:<n>`` (NX,
an hour's expiry) in the base URL's database, flushes it, and deletes the lock after.
A benchmark does the same, so it never flushes a test session's data, nor a test
session the bench's, and RQ's keys (which take no prefix) cannot meet anyone else's.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

LOCK_PREFIX = "levqor-test-db-lock:"


@contextlib.contextmanager
def own_redis_database(base_url: str) -> Iterator[str]:
    """The URL of a free, flushed database index; flushed and released after."""
    import redis

    client = redis.Redis.from_url(base_url)
    token = f"bench-{os.getpid()}-{uuid.uuid4().hex}"
    for index in range(1, 16):
        if client.set(f"{LOCK_PREFIX}{index}", token, nx=True, ex=3600):
            break
    else:
        raise RuntimeError(f"no free Redis database index (1-15) at {base_url}")
    # redis://host:port/0 -> redis://host:port/<index>; redis://host:port -> .../<index>
    root = base_url.rsplit("/", 1)[0] if base_url.count("/") > 2 else base_url
    url = f"{root}/{index}"
    own = redis.Redis.from_url(url)
    own.flushdb()
    try:
        yield url
    finally:
        own.flushdb()
        own.close()
        if client.get(f"{LOCK_PREFIX}{index}") == token.encode():
            client.delete(f"{LOCK_PREFIX}{index}")
        client.close()
