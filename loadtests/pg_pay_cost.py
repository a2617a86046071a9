"""What one payment costs on PostgreSQL, in process: round trips, statements, the worker's CPU
and the backends' CPU per payment. The app runs on a scratch database (created and dropped),
driven through ``httpx.ASGITransport`` by ``--clients`` concurrent tasks, no network, no locust.

    .venv/bin/python -m loadtests.pg_pay_cost --payments 1000 --rounds 3 [--residents 2000]

A round trip is a wait of the event loop for the server's answer (psycopg registers the
socket with ``loop.add_reader`` when a result is not there yet; nothing else in the process
uses a socket). Statements are counted at the driver (``pg_wire.Wire.send``'s commands, BEGIN
and COMMIT among them; ``AsyncCursor.execute``/``executemany``, ``AsyncConnection.commit``, and
the ``BEGIN`` psycopg sends itself before a transaction's first statement), each CTE of
``pg_queue``'s one-statement batch counted. Backend CPU is ``utime +
stime`` of the database's server processes (``/proc/<pid>/stat``, so the server must run on
this machine). On a shared machine compare two builds by alternating runs; the counts do not
depend on the machine. Under callgrind each round's payments are counted alone (dumps labelled
``round0``, ``round1``...; ``loadtests.callgrind``):

    valgrind --tool=callgrind --instr-atstart=no .venv/bin/python -m loadtests.pg_pay_cost \
        --payments 100 --rounds 2 --residents 2000
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvloop

from loadtests import callgrind
from loadtests.bench.postgres import scratch_database
from loadtests.config import PAY_PATH
from loadtests.inprocess import migrated_settings, partner_client
from loadtests.parties import world_parties
from sandbox.app import create_app

RESIDENTS = 200
_TICK = os.sysconf("SC_CLK_TCK")


class Counter:
    """Round trips and statements sent by psycopg's async connections (patched for the run)."""

    def __init__(self) -> None:
        self.round_trips = 0
        self.statements = 0

    def count_waits(self, loop: asyncio.AbstractEventLoop) -> None:
        add_reader = loop.add_reader

        def counted(fd: Any, callback: Any, *args: Any) -> None:
            self.round_trips += 1
            add_reader(fd, callback, *args)

        loop.add_reader = counted  # type: ignore[method-assign,assignment]

    def install(self) -> None:
        cursor, conn = psycopg.AsyncCursor, psycopg.AsyncConnection
        execute, executemany, commit = cursor.execute, cursor.executemany, conn.commit
        counter = self

        def _begins(cur: Any) -> None:
            pgconn = cur.connection.pgconn
            if not cur.connection.autocommit and pgconn.transaction_status == 0:  # IDLE
                counter.statements += 1

        async def counted_execute(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
            _begins(self)
            text = query if isinstance(query, str) else str(query)
            counter.statements += max(1, text.count(" AS (INSERT") + text.count(" AS (UPDATE"))
            return await execute(self, query, params, **kw)

        async def counted_many(self: Any, query: Any, rows: Any, **kw: Any) -> Any:
            _begins(self)
            rows = list(rows)
            counter.statements += len(rows)
            return await executemany(self, query, rows, **kw)

        async def counted_commit(self: Any) -> None:
            if self.pgconn.transaction_status != 0:
                counter.statements += 1
            await commit(self)

        try:
            wire = importlib.import_module("sandbox.storage.pg_wire").Wire
        except ImportError:  # a build from before pg_wire (an A/B run against an older one)
            wire = None
        wire_send = getattr(wire, "send", None)

        async def counted_send(self: Any, commands: Any, *, many: Any = (), **kw: Any) -> Any:
            for command in commands:  # BEGIN, COMMIT, or a statement (its CTEs counted)
                text = command if isinstance(command, bytes) else command[0]
                counter.statements += max(
                    1, text.count(b" AS (INSERT") + text.count(b" AS (UPDATE")
                )
            counter.statements += len(many)
            assert wire_send is not None
            return await wire_send(self, commands, many=many, **kw)

        if wire is not None:
            wire.send = counted_send
        cursor.execute = counted_execute  # type: ignore[method-assign]
        cursor.executemany = counted_many  # type: ignore[method-assign,assignment]
        conn.commit = counted_commit  # type: ignore[method-assign]


def quiet_client_imports() -> None:
    """httpx's ASGI transport tries ``import sniffio`` at every request; absent here, that is a
    full search of the import path each time (~6% of the CPU measured per payment, none of it
    the server's). A ``None`` in ``sys.modules`` makes the import fail at once, as it would."""
    if importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def backend_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) of these server processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _TICK


def wal_position(admin_url: str) -> int:
    """Bytes of WAL the server has written so far (every database's: on a server of its own
    the difference over a round is the payments' WAL)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')").fetchone()
    assert row is not None
    return int(row[0])


async def measure(
    admin_url: str,
    payments: int,
    clients: int,
    rounds: int,
    residents: int = RESIDENTS,
    keys: bool = False,
) -> list[dict[str, float]]:
    name = f"pg_pay_cost_{uuid.uuid4().hex[:8]}"
    with scratch_database(admin_url, name) as db:
        settings = migrated_settings("pg-pay-cost-", residents=residents, database_url=db.url)
        quiet_client_imports()
        counter = Counter()
        counter.install()
        counter.count_waits(asyncio.get_running_loop())
        parties = world_parties(residents=residents)
        rng = random.Random(7)
        app = create_app(settings)
        results: list[dict[str, float]] = []
        async with partner_client(app, "PgCost") as client:

            async def pay(c: httpx.AsyncClient) -> None:
                payer, payee = parties.pair(rng)
                body = {
                    "payer": {"vpa": payer.vpa, "pin": payer.pin},
                    "payee": {"vpa": payee.vpa},
                    "amount": "1.00",
                    "note": "cost",
                }
                headers = {"Idempotency-Key": uuid.uuid4().hex} if keys else None
                response = await c.post(PAY_PATH, json=body, headers=headers)
                if response.status_code != 200 or response.json().get("status") != "SUCCESS":
                    raise SystemExit(f"unexpected answer {response.status_code}: {response.text}")

            async def drive(n: int, label: str = "") -> dict[str, float]:
                left = iter(range(n))

                async def worker() -> None:
                    for _ in left:
                        await pay(client)

                pids = db.backend_pids()
                trips, stmts = counter.round_trips, counter.statements
                wal = wal_position(admin_url)
                cpu, backend = time.process_time(), backend_cpu(pids)
                sys_cpu = resource.getrusage(resource.RUSAGE_SELF).ru_stime
                with callgrind.counting(label):
                    await asyncio.gather(*(worker() for _ in range(clients)))
                cpu = time.process_time() - cpu
                sys_cpu = resource.getrusage(resource.RUSAGE_SELF).ru_stime - sys_cpu
                backend = backend_cpu(db.backend_pids()) - backend
                wal = wal_position(admin_url) - wal
                return {
                    "round_trips": (counter.round_trips - trips) / n,
                    "statements": (counter.statements - stmts) / n,
                    "worker_us": cpu / n * 1e6,
                    "worker_sys_us": sys_cpu / n * 1e6,  # of which in the kernel
                    "backend_us": backend / n * 1e6,
                    "wal_bytes": wal / n,
                }

            await drive(min(payments, 300))  # warm-up: pools filled, statements prepared
            for i in range(rounds):
                results.append(await drive(payments, f"round{i}"))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    # 2000: the world of ``sandbox bench``; a small world's tables are planned differently
    # (PostgreSQL's generic plans scan a table of a few pages rather than descend an index)
    parser.add_argument("--residents", type=int, default=RESIDENTS)
    # each payment with an Idempotency-Key, as ``sandbox bench``'s payments by default
    parser.add_argument("--keys", action="store_true")
    # on uvloop, the event loop ``sandbox serve`` runs (a round trip's wait costs less there)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    run = measure(
        args.admin_url, args.payments, args.clients, args.rounds, args.residents, args.keys
    )
    rows = uvloop.run(run) if args.uvloop else asyncio.run(run)
    for row in rows:
        print(
            f"round trips {row['round_trips']:.2f}, statements {row['statements']:.2f}, "
            f"worker CPU {row['worker_us']:.0f} us (kernel {row['worker_sys_us']:.0f}), "
            f"backend CPU {row['backend_us']:.0f} us, WAL {row['wal_bytes']:.0f} bytes"
        )
    least = {k: min(r[k] for r in rows) for k in rows[0]}
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(
        f"median of {len(rows)} rounds of {args.payments} payments: round trips "
        f"{med['round_trips']:.2f}, statements {med['statements']:.2f}, worker CPU "
        f"{med['worker_us']:.0f} us (kernel {med['worker_sys_us']:.0f}), backend CPU "
        f"{med['backend_us']:.0f} us, WAL {med['wal_bytes']:.0f} bytes per payment"
    )
    if callgrind.running():
        counted = callgrind.totals()
        per_round = [counted[f"round{i}"] / args.payments / 1000 for i in range(args.rounds)]
        print(
            "worker instructions per payment (callgrind, each round): "
            + ", ".join(f"{k:.0f} k" for k in per_round)
        )
    # the least disturbed round: on a shared machine other work only ever adds CPU time
    print(
        f"minimum: worker CPU {least['worker_us']:.0f} us, "
        f"backend CPU {least['backend_us']:.0f} us per payment"
    )


if __name__ == "__main__":
    main()
