"""Where the PostgreSQL side of a parity check runs: a process of its own, or a thread.

Normalising and hashing is Python work: in one process the two sides share one core
(the GIL). For big checks the PostgreSQL side runs in a child process that joins the
parent's transaction snapshot (:mod:`.snapshot`), so it sees exactly what the parent
sees while the SQLite side runs at the same time. Small checks stay in threads:
starting a process costs more than they take. So do tables checked by row lines
(:mod:`rowlines`): the databases print those, Python only hashes.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

#: Below this many rows in all, a process is not worth its start-up.
PROCESS_MIN_ROWS = 50_000


def pool(total_rows: int, remote: bool) -> Executor:
    if remote and total_rows >= PROCESS_MIN_ROWS:
        # spawn, not fork: the parent may run Qt and other threads.
        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="levqor-verify")
