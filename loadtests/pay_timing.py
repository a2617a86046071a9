"""CPU per P2P payment against CPU per no-op, in process: ``loadtests.auth_timing``'s method
(the app on a fresh SQLite data dir, driven through ``httpx.ASGITransport`` by ``--clients``
concurrent tasks, no network, no locust) with the bench's P2P payment instead of the auth.

    .venv/bin/python -m loadtests.pay_timing --requests 3000 --rounds 3

Payers and payees are drawn as the bench draws them (``loadtests.parties``) in a world of
``--residents`` generated residents; each payment must settle (``SUCCESS``). The CPU counted is
the whole process's: the event loop's and the SQLite writer thread's, the client's too (the same
for both kinds). Compare two builds by alternating runs.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
from pathlib import Path

import httpx

from loadtests.auth_timing import _drive
from loadtests.parties import world_parties
from loadtests.scenarios.base import PAY_PATH
from sandbox.app import create_app
from sandbox.ops import gctune
from sandbox.settings import Settings
from sandbox.storage.database import make_engine
from sandbox.storage.migrate import upgrade


async def measure(
    requests: int, clients: int, rounds: int, residents: int
) -> list[tuple[float, float]]:
    """(payment, no-op) CPU seconds per request, one pair per round, after a warm-up round."""
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="pay-timing-")),
        world_residents=residents,
        dispatch_webhooks=False,
        rate_limit_per_second=1_000_000.0,
        rate_limit_burst=1_000_000,
    )
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    gctune.tune(settings.gc_gen0_threshold)  # as `sandbox serve` does
    parties = world_parties(residents=residents)
    rng = random.Random(7)
    pairs: list[tuple[float, float]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            signup = {"name": "Timing", "contactEmail": "timing@example.com", "country": "IN"}
            key = (await client.post("/v1/partners", json=signup)).json()["apiKey"]
            client.headers["Authorization"] = f"Bearer {key}"

            async def pay(c: httpx.AsyncClient) -> httpx.Response:
                payer, payee = parties.pair(rng)
                body = {
                    "payer": {"vpa": payer.vpa, "pin": payer.pin},
                    "payee": {"vpa": payee.vpa},
                    "amount": "1.00",
                    "note": "load test",
                }
                response = await c.post(PAY_PATH, json=body)
                if response.status_code == 200 and response.json()["status"] != "SUCCESS":
                    raise SystemExit(f"payment did not settle: {response.text}")
                return response

            async def noop(c: httpx.AsyncClient) -> httpx.Response:
                return await c.get("/healthz")

            await _drive(client, pay, min(requests, 500), clients)
            await _drive(client, noop, min(requests, 500), clients)
            for _ in range(rounds):
                pairs.append(
                    (
                        await _drive(client, pay, requests, clients),
                        await _drive(client, noop, requests, clients),
                    )
                )
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--residents", type=int, default=200)
    args = parser.parse_args()
    pairs = asyncio.run(measure(args.requests, args.clients, args.rounds, args.residents))
    for pay, noop in pairs:
        print(f"pay {pay * 1e6:.0f} us, no-op {noop * 1e6:.0f} us, ratio {noop / pay:.3f}")
    pay = statistics.median(p for p, _ in pairs) * 1e6
    noop = statistics.median(n for _, n in pairs) * 1e6
    print(
        f"median of {len(pairs)} rounds of {args.requests}: pay {pay:.0f} us, "
        f"no-op {noop:.0f} us, pay - no-op {pay - noop:.0f} us, ratio {noop / pay:.3f}"
    )
    pay, noop = min(p for p, _ in pairs) * 1e6, min(n for _, n in pairs) * 1e6
    print(f"minimum: pay {pay:.0f} us, no-op {noop:.0f} us, pay - no-op {pay - noop:.0f} us")


if __name__ == "__main__":
    main()
