"""CPU per encrypted demographic auth against CPU per no-op, in process: the app on a fresh SQLite
data dir, driven through ``httpx.ASGITransport`` by ``--clients`` concurrent tasks, no network,
no locust. The bench's identity ratio on its one server core is about the ratio of these two.

    .venv/bin/python -m loadtests.auth_timing --requests 3000 --rounds 3

The auth requests are sealed before the clock starts (``loadtests.auth_pool``, the bench's pool),
so the figures hold the server's work plus the client's (httpx over ASGI, the same for both
kinds); their difference is what an auth costs the server beyond the framework. Reported: process
CPU per request of each kind, per round, and the median. The machine may be shared: compare two
builds by alternating runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

from loadtests.auth_pool import AUTH_PATH, AuthPool, Person, build_pool, ist_ts
from sandbox.app import create_app
from sandbox.ops import gctune
from sandbox.settings import Settings
from sandbox.storage.database import make_engine
from sandbox.storage.migrate import upgrade

Send = Callable[[httpx.AsyncClient], Coroutine[Any, Any, httpx.Response]]


async def _drive(client: httpx.AsyncClient, send: Send, requests: int, clients: int) -> float:
    """Process CPU seconds per request of ``requests`` sends by ``clients`` concurrent tasks."""
    left = iter(range(requests))

    async def worker() -> None:
        for _ in left:
            response = await send(client)
            if response.status_code != 200 or response.json().get("ret", "y") != "y":
                raise SystemExit(f"unexpected answer {response.status_code}: {response.text}")

    cpu = time.process_time()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return (time.process_time() - cpu) / requests


async def measure(requests: int, clients: int, rounds: int) -> list[tuple[float, float]]:
    """(auth, no-op) CPU seconds per request, one pair per round, after a warm-up round."""
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="auth-timing-")),
        world_residents=5,
        dispatch_webhooks=False,
        rate_limit_per_second=1_000_000.0,
        rate_limit_burst=1_000_000,
    )
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    gctune.tune(settings.gc_gen0_threshold)  # as `sandbox serve` does
    pairs: list[tuple[float, float]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            signup = {"name": "Timing", "contactEmail": "timing@example.com", "country": "IN"}
            key = (await client.post("/v1/partners", json=signup)).json()["apiKey"]
            client.headers["Authorization"] = f"Bearer {key}"
            pool = await _pool(client, requests)

            async def auth(c: httpx.AsyncClient) -> httpx.Response:
                return await c.post(AUTH_PATH, json=pool.next_body())

            async def noop(c: httpx.AsyncClient) -> httpx.Response:
                return await c.get("/healthz")

            await _drive(client, auth, min(requests, 500), clients)
            await _drive(client, noop, min(requests, 500), clients)
            for _ in range(rounds):
                pairs.append(
                    (
                        await _drive(client, auth, requests, clients),
                        await _drive(client, noop, requests, clients),
                    )
                )
    return pairs


async def _pool(client: httpx.AsyncClient, size: int) -> AuthPool:
    personas = (await client.get("/v1/sandbox/personas")).json()["personas"]
    certificate = (await client.get("/v1/identity/certificate")).json()["certificate"]
    now = (await client.get("/v1/sandbox/clock")).json()["now"]
    people = [Person(p["uid"], p["name"]) for p in personas]
    return build_pool(people, certificate, ist_ts(now), min(size, 1024))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pairs = asyncio.run(measure(args.requests, args.clients, args.rounds))
    for auth, noop in pairs:
        print(f"auth {auth * 1e6:.0f} us, no-op {noop * 1e6:.0f} us, ratio {noop / auth:.3f}")
    auth = statistics.median(a for a, _ in pairs) * 1e6
    noop = statistics.median(n for _, n in pairs) * 1e6
    print(
        f"median of {len(pairs)} rounds of {args.requests}: auth {auth:.0f} us, "
        f"no-op {noop:.0f} us, auth - no-op {auth - noop:.0f} us, ratio {noop / auth:.3f}"
    )
    # the least disturbed round: on a shared machine other work only ever adds CPU time
    auth, noop = min(a for a, _ in pairs) * 1e6, min(n for _, n in pairs) * 1e6
    print(f"minimum: auth {auth:.0f} us, no-op {noop:.0f} us, auth - no-op {auth - noop:.0f} us")


if __name__ == "__main__":
    main()
