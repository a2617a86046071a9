"""CPU per payment against CPU per no-op, in process: ``loadtests.auth_timing``'s method (the
app on a fresh SQLite data dir, driven through ``httpx.ASGITransport`` by ``--clients``
concurrent tasks, no network, no locust) with the bench's payments instead of the auth.

    .venv/bin/python -m loadtests.pay_timing --requests 3000 --rounds 3
    .venv/bin/python -m loadtests.pay_timing --kind p2p,p2m --residents 2000 --rounds 6

``--kind``: ``p2p`` (a random party pays another, the bench's ``p2p`` phase), ``p2m`` (a
random party pays the hot merchant ``--merchant``, its ``p2m`` phase), or both, which then take
turns within each round (P2P, P2M, no-op), so both kinds see the same machine and the same
growing store; the report adds CPU per P2M payment over CPU per P2P payment, round by round.
Payers and payees are drawn as the bench draws them (``loadtests.parties``) in a world of
``--residents`` generated residents; each payment has an ``Idempotency-Key`` (as the load
generator sends it) and must settle (``SUCCESS``). The CPU counted is the whole process's: the
event loop's and the SQLite commit and checkpointer threads', the client's too (the same for
every kind). Compare two builds by alternating runs. Run under ``valgrind --tool=callgrind
--instr-atstart=no`` (``loadtests.callgrind``), it reports instructions per request instead.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import uuid

import httpx

from loadtests import callgrind
from loadtests.config import DEFAULT_HOT_MERCHANT, PAY_PATH
from loadtests.inprocess import NOOP, Send, alternating, migrated_settings, partner_client
from loadtests.parties import KINDS, Parties, world_parties
from sandbox.app import create_app
from sandbox.ops import gctune


def sender(parties: Parties, rng: random.Random, kind: str, merchant: str) -> Send:
    """One payment of ``kind`` per call, drawn as the bench's scenario of that kind draws it."""

    async def pay(c: httpx.AsyncClient) -> httpx.Response:
        payer, payee = parties.draw(rng, kind, merchant=merchant)
        body = {
            "payer": {"vpa": payer.vpa, "pin": payer.pin},
            "payee": {"vpa": payee},
            "amount": "1.00",
            "note": "load test",
        }
        response = await c.post(PAY_PATH, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        if response.status_code == 200 and response.json()["status"] != "SUCCESS":
            raise SystemExit(f"payment did not settle: {response.text}")
        return response

    return pay


async def measure(
    kinds: list[str], requests: int, clients: int, rounds: int, residents: int, merchant: str
) -> dict[str, list[float]]:
    """CPU seconds per request of each kind and of the no-op, one figure per round each."""
    settings = migrated_settings("pay-timing-", residents=residents)
    app = create_app(settings)
    gctune.tune(settings.gc_gen0_threshold)  # as `sandbox serve` does
    parties = world_parties(residents=residents)
    rng = random.Random(7)
    sends = {kind: sender(parties, rng, kind, merchant) for kind in kinds}
    async with partner_client(app) as client:
        return await alternating(client, sends, requests, clients, rounds)


def report(found: dict[str, list[float]], requests: int) -> None:
    """Each round, then the medians and minima (other work on a shared machine only ever adds
    CPU time), and P2M over P2P where both ran; under callgrind, instructions instead of CPU."""
    if callgrind.running():
        counted = callgrind.totals()
        found = {
            k: [counted[f"{k} {i + 1}"] / requests / 1e9 for i in range(len(v))]
            for k, v in found.items()
        }
        print("(counted by callgrind: read 'us' as thousands of instructions per request)")
    noops = found[NOOP]
    kinds = [k for k in found if k != NOOP]
    for i, noop in enumerate(noops):
        line = "  ".join(f"{k} {found[k][i] * 1e6:.0f} us" for k in kinds)
        ratios = "  ".join(f"no-op/{k} {noop / found[k][i]:.3f}" for k in kinds)
        extra = f"  p2m/p2p {found['p2m'][i] / found['p2p'][i]:.3f}" if len(kinds) == 2 else ""
        print(f"round {i + 1}: {line}  no-op {noop * 1e6:.0f} us  {ratios}{extra}")
    median = {k: statistics.median(v) * 1e6 for k, v in found.items()}
    least = {k: min(v) * 1e6 for k, v in found.items()}
    for name, figures in (("median", median), ("minimum", least)):
        parts = [f"{k} {figures[k]:.0f} us ({figures[k] - figures[NOOP]:+.0f})" for k in kinds]
        print(
            f"{name} of {len(noops)} rounds of {requests}: {', '.join(parts)}, "
            f"no-op {figures[NOOP]:.0f} us"
        )
    if len(kinds) == 2:
        each = [p2m / p2p for p2m, p2p in zip(found["p2m"], found["p2p"], strict=True)]
        print(
            f"per P2M / per P2P: median {statistics.median(each):.3f}, "
            f"of medians {median['p2m'] / median['p2p']:.3f}, "
            f"of minima {least['p2m'] / least['p2p']:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--kind", default="p2p", help=f"one of {', '.join(KINDS)} or both, comma")
    parser.add_argument("--merchant", default=DEFAULT_HOT_MERCHANT, help="the P2M payee")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.kind.split(",") if k.strip()]
    if not kinds or set(kinds) - set(KINDS) or len(set(kinds)) != len(kinds):
        parser.error(f"--kind: one or more of {', '.join(KINDS)}, comma-separated, once each")
    found = asyncio.run(
        measure(kinds, args.requests, args.clients, args.rounds, args.residents, args.merchant)
    )
    report(found, args.requests)


if __name__ == "__main__":
    main()
