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

import httpx

from loadtests.config import PAY_PATH
from loadtests.inprocess import migrated_settings, partner_client, print_pairs, rounds_of
from loadtests.parties import world_parties
from sandbox.app import create_app
from sandbox.ops import gctune


async def measure(
    requests: int, clients: int, rounds: int, residents: int
) -> list[tuple[float, float]]:
    """(payment, no-op) CPU seconds per request, one pair per round, after a warm-up round."""
    settings = migrated_settings("pay-timing-", residents=residents)
    app = create_app(settings)
    gctune.tune(settings.gc_gen0_threshold)  # as `sandbox serve` does
    parties = world_parties(residents=residents)
    rng = random.Random(7)
    async with partner_client(app) as client:

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

        return await rounds_of(client, pay, requests, clients, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--residents", type=int, default=200)
    args = parser.parse_args()
    pairs = asyncio.run(measure(args.requests, args.clients, args.rounds, args.residents))
    print_pairs("pay", pairs, args.requests)


if __name__ == "__main__":
    main()
