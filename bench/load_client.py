"""The load generator of ``bench/load_serve.py``: N clients in one asyncio process.

Each client holds its own keep-alive connection (an ``httpx.AsyncClient`` of one
connection) and sends requests back to back, picking each one's kind from the mix.
Clients start spread over ``--ramp`` seconds; only requests started after the ramp
count. A request counts as an error when it times out, fails, or answers another
status than the kind expects. Prints one JSON object: per kind the latencies' p50/p99,
counts and errors, and the process's own CPU time (its share of the two cores).

    python bench/load_client.py --url URL --plan PLAN.json --clients 1000 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import ssl
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Kind:
    """One kind of request of the mix: its share and how to send it."""

    name: str
    weight: float
    method: str
    path: str
    expect: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    error_kinds: Counter[str] = field(default_factory=Counter)


def kinds_of(plan: dict[str, Any]) -> list[Kind]:
    return [Kind(**k) for k in plan["kinds"]]


async def client(
    url: str,
    kinds: list[Kind],
    tally: Tally,
    *,
    seed: int,
    start_at: float,
    count_from: float,
    stop_at: float,
    timeout: float,
    tls: ssl.SSLContext,
) -> None:
    rng = random.Random(seed)
    weights = [k.weight for k in kinds]
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout, verify=tls) as http:
        while (began := time.perf_counter()) < stop_at:
            kind = rng.choices(kinds, weights)[0]
            problem: str | None = None
            try:
                answer = await http.request(
                    kind.method, kind.path, headers=kind.headers, json=kind.body
                )
                if answer.status_code != kind.expect:
                    problem = f"HTTP {answer.status_code}"
            except httpx.TimeoutException:
                problem = "timeout"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            if began < count_from:
                continue
            if problem is None:
                tally.latencies.setdefault(kind.name, []).append(time.perf_counter() - began)
            else:
                tally.errors[kind.name] += 1
                tally.error_kinds[problem] += 1


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with open(args.plan, encoding="utf-8") as f:
        kinds = kinds_of(json.load(f))
    tally = Tally()
    # One TLS context for all clients (unused over http): httpx would build one per
    # client, ~20 ms of CPU each, which stalls the event loop while clients start.
    tls = ssl.create_default_context()
    now = time.perf_counter()
    count_from = now + args.ramp
    stop_at = count_from + args.seconds
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    tasks = [
        client(
            args.url,
            kinds,
            tally,
            seed=args.seed * 100_003 + n,
            start_at=now + args.ramp * n / args.clients * 0.8,
            count_from=count_from,
            stop_at=stop_at,
            timeout=args.timeout,
            tls=tls,
        )
        for n in range(args.clients)
    ]
    await asyncio.gather(*tasks)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - now
    out: dict[str, Any] = {"clients": args.clients, "seconds": args.seconds, "kinds": {}}
    everything: list[float] = []
    for kind in kinds:
        values = sorted(tally.latencies.get(kind.name, []))
        everything.extend(values)
        out["kinds"][kind.name] = {
            "ok": len(values),
            "errors": tally.errors[kind.name],
            "p50_ms": percentile(values, 0.5) * 1000,
            "p99_ms": percentile(values, 0.99) * 1000,
        }
    everything.sort()
    ok = len(everything)
    out.update(
        ok=ok,
        errors=sum(tally.errors.values()),
        error_kinds=dict(tally.error_kinds),
        per_s=ok / args.seconds,
        p50_ms=percentile(everything, 0.5) * 1000,
        p99_ms=percentile(everything, 0.99) * 1000,
        cpu_s=(cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
        wall_s=wall,
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", required=True, help="JSON file: the kinds of the mix")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--ramp", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
