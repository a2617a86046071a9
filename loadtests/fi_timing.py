"""Time year-long FI fetches of Meera's CURRENT account in process: the app on a fresh SQLite
data dir, driven through ``httpx.ASGITransport`` by the Python client, no network, no locust.

    .venv/bin/python -m loadtests.fi_timing --fetches 30 --payments 1500

``--payments`` P2M payments go to ``meeras.kirana@sandbox`` first (ledger lines of today, as the
bench's P2M phase leaves them); then one consent (a year's FIDataRange) serves ``--fetches``
cycles of FI request + FI fetch. Reported per fetch: wall time and process CPU time (server
and client share the process; the client does not verify signatures or decrypt). The machine
may be shared: compare two builds by alternating runs, never across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import timedelta

import httpx

from loadtests.consent_pool import BUSY_CUSTOMER, RANGE_DAYS, USES_PER_CONSENT
from loadtests.inprocess import migrated_settings
from sandbox.app import create_app
from sandbox.client import AsyncSandbox, consent_detail
from sandbox.client.calls import parse_time, stamp

PAYERS = (("asha@sandbox", "1234"), ("ravi@sandbox", "4321"))


async def measure(fetches: int, payments: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each fetch after the first (which fills the caches)."""
    settings = migrated_settings("fi-timing-", residents=5)
    app = create_app(settings)
    walls: list[float] = []
    cpus: list[float] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with AsyncSandbox(transport=transport, verify_signatures=False) as sb:
            await sb.signup("Timing", "timing@example.com")
            for i in range(payments):
                payer, pin = PAYERS[i % len(PAYERS)]
                await sb.pay(payer, pin, "meeras.kirana@sandbox", "1.00")
            now = parse_time((await sb.clock())["now"])
            detail = consent_detail(
                BUSY_CUSTOMER,
                now,
                FIDataRange={"from": stamp(now - timedelta(days=RANGE_DAYS)), "to": stamp(now)},
                Frequency={"unit": "MONTH", "value": USES_PER_CONSENT},
            )
            handle = (await sb.request_consent(detail=detail))["ConsentHandle"]
            consent_id = (await sb.approve_consent(handle))["consentId"]
            assert consent_id is not None
            for i in range(min(fetches + 1, USES_PER_CONSENT)):
                session = await sb.fi_request(consent_id)
                wall, cpu = time.perf_counter(), time.process_time()
                await sb.fi_fetch(session.answer["sessionId"])
                if i:
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fetches", type=int, default=20)
    parser.add_argument("--payments", type=int, default=0)
    args = parser.parse_args()
    walls, cpus = asyncio.run(measure(args.fetches, args.payments))
    cpu, wall = statistics.median(cpus) * 1000, statistics.median(walls) * 1000
    print(f"{len(cpus)} fetches after {args.payments} payments: CPU {cpu:.1f} ms, wall {wall:.1f}")


if __name__ == "__main__":
    main()
