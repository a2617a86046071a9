"""What one rate-limit check costs on the event loop: in-process bucket and Redis bucket.

``python -m loadtests.limiter_cost [redis://127.0.0.1:6379/0] [--calls N]`` runs N checks
one after another, then N checks 50 at a time (as under load), on uvloop, and prints wall and
CPU time per check (the CPU is this process's: the part a worker pays; Redis's own is beside).
Its keys live under a prefix of their own and expire within milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import uvloop

from sandbox.ops.ratelimit import RateLimiter, RedisRateLimiter, redis_client

IN_FLIGHT = 50


async def _measure(label: str, acquire: Callable[[str], Awaitable[float]], calls: int) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await acquire("k")
    print(
        f"{label:28} sequential: {(time.perf_counter() - wall) / calls * 1e6:8.1f} us wall, "
        f"{(time.process_time() - cpu) / calls * 1e6:6.1f} us CPU per check"
    )
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls // IN_FLIGHT):
        await asyncio.gather(*(acquire(f"k{j}") for j in range(IN_FLIGHT)))
    print(
        f"{label:28} {IN_FLIGHT} in flight: {(time.perf_counter() - wall) / calls * 1e6:8.1f} us "
        f"wall, {(time.process_time() - cpu) / calls * 1e6:6.1f} us CPU per check"
    )


async def _main(url: str, calls: int) -> None:
    await _measure("in-process bucket", RateLimiter(1e9, 10**9).acquire, calls)
    client = redis_client(url, timeout=1.0)
    try:
        limiter = RedisRateLimiter(
            client, 1e6, 10**6, prefix=f"limiter-cost-{uuid.uuid4().hex}:", name="api"
        )
        await limiter.acquire("warm-up")
        await _measure("redis bucket", limiter.acquire, calls)
        if limiter.degraded:
            print("Redis did not answer: the redis figures are the in-process fallback's")
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    uvloop.run(_main(args.url, args.calls))


if __name__ == "__main__":
    main()
