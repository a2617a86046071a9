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

import httpx

from loadtests.auth_pool import AUTH_PATH, AuthPool, Person, build_pool, ist_ts
from loadtests.inprocess import migrated_settings, partner_client, print_pairs, rounds_of
from sandbox.app import create_app
from sandbox.ops import gctune


async def measure(requests: int, clients: int, rounds: int) -> list[tuple[float, float]]:
    """(auth, no-op) CPU seconds per request, one pair per round, after a warm-up round."""
    settings = migrated_settings("auth-timing-", residents=5)
    app = create_app(settings)
    gctune.tune(settings.gc_gen0_threshold)  # as `sandbox serve` does
    async with partner_client(app) as client:
        pool = await _pool(client, requests)

        async def auth(c: httpx.AsyncClient) -> httpx.Response:
            return await c.post(AUTH_PATH, json=pool.next_body())

        return await rounds_of(client, auth, requests, clients, rounds)


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
    print_pairs(
        "auth", asyncio.run(measure(args.requests, args.clients, args.rounds)), args.requests
    )


if __name__ == "__main__":
    main()
