"""What a P2P payment costs the server beyond a no-op, straight through the ASGI app.

    .venv/bin/python -m loadtests.pay_asgi --clients 1 --requests 2000 --rounds 3
    .venv/bin/python -m loadtests.pay_asgi --clients 50 --requests 2000 --rounds 3
    valgrind --tool=callgrind --instr-atstart=no .venv/bin/python -m loadtests.pay_asgi \
        --clients 1 --requests 300 --rounds 2          # instructions per request instead

``loadtests.pay_timing`` drives the app through an ``httpx`` client, which costs more than the
no-op it is compared with (~2.5 M instructions a request under callgrind, the same for every
kind): its figures are the payment's cost plus the client's. Here the requests go straight into
the app as ASGI calls (``loadtests.hot_timing.call``: one scope, one body, the answer's bytes
collected), so a request's figures are the server's own from the middleware in: the no-op is
``GET /healthz``, the payment ``POST /v1/upi/pay`` as the bench sends it (a random pair of a
world of ``--residents`` generated residents, ``loadtests.parties``, 1.00, a new
``Idempotency-Key`` each; it must settle). What an HTTP server adds (parsing, the socket) is
not counted; it is nearly the same for both.

``--clients`` tasks send at once: one gives the SQLite writer batches of one (a quiet server),
fifty batches of about fifty (saturation). Kinds take turns within each round (P2P, no-op) after
a warm-up of each. Reported per request: process CPU, and the CPU of the event loop's thread
and of the SQLite commit thread (``loadtests.inprocess.thread_cpu``), medians over rounds; under
callgrind (``loadtests.callgrind``), instructions per request (every thread's, user space only:
the kernel's share of a COMMIT is not in them). ``--profile FILE`` writes a cProfile of the last
round's payments, timed in the loop thread's CPU.

The WAL checkpointer and the sweepers run every second of wall time, so under callgrind (or
on a loaded machine) a slower run does more of their work per payment and counts more
instructions: ``--hold-checkpoints`` holds the checkpointer off for the run (as
``loadtests.pay_pages`` does), and ``SANDBOX_SWEEP_SECONDS=0 SANDBOX_OTP_SWEEP_SECONDS=0`` in
the environment stop the sweepers; then instruction counts of batches of one repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI

from loadtests import callgrind
from loadtests.config import PAY_PATH
from loadtests.hot_timing import call
from loadtests.inprocess import migrated_settings, thread_cpu
from loadtests.parties import Parties, world_parties
from sandbox.app import create_app
from sandbox.ops import gctune
from sandbox.storage import sqlite_engine as sqlite_storage

Send = Callable[[], Awaitable[None]]
NOOP, P2P = "no-op", "p2p"
THREADS = ("MainThread", "sqlite-commit")
_TICK = 1 / os.sysconf("SC_CLK_TCK")


def user_system() -> dict[str, tuple[float, float]]:
    """(user, system) CPU seconds of each of ``THREADS`` (``/proc``, in clock ticks)."""
    out: dict[str, tuple[float, float]] = {}
    for thread in threading.enumerate():
        if thread.name not in THREADS or thread.native_id is None:
            continue
        try:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        utime, stime = fields.rpartition(")")[2].split()[11:13]
        out[thread.name] = (int(utime) * _TICK, int(stime) * _TICK)
    return out


async def _signup(app: FastAPI) -> str:
    body = json.dumps({"name": "Cost", "contactEmail": "cost@example.com", "country": "IN"})
    status, answer = await call(app, "POST", "/v1/partners", body.encode())
    if status != 201:
        raise SystemExit(f"signup failed: {status} {answer!r}")
    return f"Bearer {json.loads(answer)['apiKey']}"


def _senders(app: FastAPI, auth: str, parties: Parties, rng: random.Random) -> dict[str, Send]:
    async def pay() -> None:
        payer, payee = parties.draw(rng, P2P, merchant="")
        body = {
            "payer": {"vpa": payer.vpa, "pin": payer.pin},
            "payee": {"vpa": payee},
            "amount": "1.00",
            "note": "load test",
        }
        headers = {"Authorization": auth, "Idempotency-Key": uuid.uuid4().hex}
        status, answer = await call(app, "POST", PAY_PATH, json.dumps(body).encode(), headers)
        if status != 200 or b'"status":"SUCCESS"' not in answer:
            raise SystemExit(f"payment did not settle: {status} {answer!r}")

    async def noop() -> None:
        status, answer = await call(app, "GET", "/healthz")
        if status != 200:
            raise SystemExit(f"no-op failed: {status} {answer!r}")

    return {P2P: pay, NOOP: noop}


async def _drive(send: Send, requests: int, clients: int, label: str) -> dict[str, float]:
    """CPU seconds per request of ``requests`` sends by ``clients`` tasks: the process's
    (``process``) and each of ``THREADS``'s."""
    left = iter(range(requests))

    async def worker() -> None:
        for _ in left:
            await send()

    with callgrind.counting(label):
        threads, split, cpu = thread_cpu(), user_system(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(clients)))
        cpu, after, split_after = time.process_time() - cpu, thread_cpu(), user_system()
    out = {"process": cpu / requests}
    for name in THREADS:
        out[name] = (after.get(name, 0.0) - threads.get(name, 0.0)) / requests
        before_us, after_us = split.get(name, (0.0, 0.0)), split_after.get(name, (0.0, 0.0))
        out[f"{name} sys"] = (after_us[1] - before_us[1]) / requests
    return out


async def measure(
    requests: int, clients: int, rounds: int, residents: int, profile: str | None
) -> dict[str, list[dict[str, float]]]:
    settings = migrated_settings("pay-asgi-", residents=residents)
    app = create_app(settings)
    gctune.tune(settings.gc_gen0_threshold)  # as `sandbox serve` does
    parties = world_parties(residents=residents)
    found: dict[str, list[dict[str, float]]] = {P2P: [], NOOP: []}
    async with app.router.lifespan_context(app):
        sends = _senders(app, await _signup(app), parties, random.Random(7))
        for send in sends.values():
            await _drive(send, min(requests, 500), clients, "")
        for i in range(rounds):
            for name, send in sends.items():
                profiler = None
                if profile and name == P2P and i == rounds - 1:
                    profiler = cProfile.Profile(time.thread_time)
                    profiler.enable()
                found[name].append(await _drive(send, requests, clients, f"{name} {i + 1}"))
                if profiler is not None and profile:
                    profiler.disable()
                    profiler.dump_stats(profile)
    return found


def report(found: dict[str, list[dict[str, float]]], requests: int, clients: int) -> None:
    if callgrind.running():
        counted = callgrind.totals()
        for name, rows in found.items():
            for i, row in enumerate(rows):
                row["instructions"] = counted[f"{name} {i + 1}"] / requests
        kinds = {
            name: statistics.median(r["instructions"] for r in rows) for name, rows in found.items()
        }
        for name, rows in found.items():
            each = ", ".join(f"{r['instructions'] / 1e3:.0f}" for r in rows)
            print(f"{name}: {kinds[name] / 1e3:.0f} k instructions per request ({each})")
        print(
            f"p2p - no-op: {(kinds[P2P] - kinds[NOOP]) / 1e3:.0f} k instructions, "
            f"p2p / no-op {kinds[P2P] / kinds[NOOP]:.3f} ({clients} clients, "
            f"{len(found[P2P])} rounds of {requests})"
        )
        return
    for name, rows in found.items():
        parts = []
        for column in ("process", *(f"{t}{s}" for t in THREADS for s in ("", " sys"))):
            values = [r[column] * 1e6 for r in rows]
            each = "/".join(f"{v:.0f}" for v in values)
            parts.append(f"{column} {statistics.median(values):.0f} us ({each})")
        print(f"{name}: " + ", ".join(parts))
    pay = statistics.median(r["process"] for r in found[P2P])
    noop = statistics.median(r["process"] for r in found[NOOP])
    print(
        f"p2p - no-op: {(pay - noop) * 1e6:.0f} us of process CPU, p2p / no-op {pay / noop:.3f} "
        f"({clients} clients, {len(found[P2P])} rounds of {requests})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--profile", help="write a cProfile of the last round's payments here")
    parser.add_argument("--hold-checkpoints", action="store_true", help="no WAL checkpoints")
    args = parser.parse_args()
    if args.hold_checkpoints:
        sqlite_storage.CHECKPOINT_SECONDS = 1e9  # read when the database builds its checkpointer
    found = asyncio.run(
        measure(args.requests, args.clients, args.rounds, args.residents, args.profile)
    )
    report(found, args.requests, args.clients)


if __name__ == "__main__":
    main()
