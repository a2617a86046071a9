"""What one payment costs the SQLite writer, in process: WAL frames, pages, CPU and statements.

    .venv/bin/python -m loadtests.pay_pages --payments 4000 --rounds 3 --preload 100000

A SQLite world of ``--residents`` generated residents (the bench's world), optionally with
``--preload`` past payments written first (``payments.service.history.fill``, as ``sandbox
bench --preload`` does, with the server stopped). Then ``--rounds`` rounds of ``--payments``
payments of ``--kind`` (``p2p`` or ``p2m``: into the hot merchant ``--merchant``, as the bench's
scenarios draw them) through the pay service itself (``pay.prepare`` + ``pay.pay``, no HTTP), sent
``--batch`` at a time so that each loop turn's units commit together, as under load; each with
an ``Idempotency-Key``, as the load generator sends them.

The checkpointer is held off during a round, so the WAL holds exactly what the round's COMMITs
wrote; after each round the script reads the WAL file itself and reports, per payment:

- ``frames``: pages written to the WAL by the COMMITs (4 KB each; each COMMIT writes every page
  its batch dirtied, so a page dirtied by every batch is one frame per batch);
- ``pages``: distinct pages among them, which the checkpoint writes once more into the database
  file (per round: what a checkpoint every round's duration would copy);
- ``cpu``: process CPU (user + system, every thread: the commit thread's fsync included);
- ``stmts``: statements the writer connection ran (BEGIN, SAVEPOINTs and COMMIT included);
- ``reads``, ``writes``: read and write system calls of the process (``/proc/self/io``): a
  page the writer's cache does not hold is one ``pread``, a WAL frame one ``pwrite``.

Then the WAL is checkpointed (TRUNCATE) before the next round. CPU is noisy on a shared machine;
frames, pages and statements are not. Compare builds by alternating runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import struct
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from loadtests.config import DEFAULT_HOT_MERCHANT
from loadtests.parties import KINDS, Parties, world_parties
from payments.schemas.pay import PayIn
from payments.service import history, pay
from sandbox.app import create_app
from sandbox.kit.clock import SYSTEM_CLOCK
from sandbox.partners.service import partner_of_world
from sandbox.settings import Settings
from sandbox.storage import sqlite_engine as sqlite_storage
from sandbox.storage.database import make_engine, open_database
from sandbox.storage.migrate import upgrade
from sandbox.world.context import WorldContext

_WAL_HEADER = 32
_FRAME_HEADER = 24


@dataclass(frozen=True)
class Round:
    frames: float
    pages: float
    cpu_us: float
    statements: float
    reads: float
    writes: float


def _io() -> tuple[int, int]:
    """(read, write) system calls of this process so far (``/proc/self/io``: pread and pwrite
    count too), or zeros where there is no such file."""
    try:
        text = Path("/proc/self/io").read_text()
    except OSError:
        return 0, 0
    fields = dict(line.split(": ") for line in text.splitlines())
    return int(fields["syscr"]), int(fields["syscw"])


def wal_frames(path: Path) -> list[int]:
    """The page number of each valid frame in the WAL file at ``path``, in order."""
    if not path.exists() or path.stat().st_size < _WAL_HEADER:
        return []
    data = path.read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    pages: list[int] = []
    at = _WAL_HEADER
    while at + _FRAME_HEADER + page_size <= len(data):
        header = data[at : at + _FRAME_HEADER]
        if header[8:16] != salts:
            break  # a frame of an earlier WAL generation: the end of this one
        pages.append(struct.unpack(">I", header[:4])[0])
        at += _FRAME_HEADER + page_size
    return pages


def by_btree(db_path: Path, frames: list[int], payments: int) -> list[tuple[str, float, float]]:
    """(table or index, frames, distinct pages) per payment, the most frames first: which
    B-trees the WAL's pages belong to (SQLite's ``dbstat``)."""
    conn = sqlite3.connect(db_path)
    try:
        owner = dict(conn.execute("SELECT pageno, name FROM dbstat").fetchall())
    finally:
        conn.close()
    counts: Counter[str] = Counter(owner.get(p, "(free)") for p in frames)
    distinct: Counter[str] = Counter(owner.get(p, "(free)") for p in set(frames))
    return [(name, n / payments, distinct[name] / payments) for name, n in counts.most_common()]


def _settings(data_dir: Path, residents: int, extra: dict[str, Any]) -> Settings:
    return Settings(
        data_dir=data_dir,
        world_residents=residents,
        dispatch_webhooks=False,
        sweep_seconds=0,
        rate_limit_per_second=1_000_000.0,
        rate_limit_burst=1_000_000,
        **extra,
    )


async def _sign_up(settings: Settings) -> str:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            signup = {"name": "Pages", "contactEmail": "pages@example.com", "country": "IN"}
            answer = (await client.post("/v1/partners", json=signup)).json()
    return str(answer["partnerId"])


def _preload(settings: Settings, world_id: str, payments: int) -> None:
    db = open_database(settings)
    db.start()
    try:
        history.fill(
            db,
            world_id,
            payments=payments,
            now_us=SYSTEM_CLOCK.now_us(),
            amount=100,
            currency="INR",
            min_balance=1000 * 100,
        )
    finally:
        db.close()


async def _rounds(
    settings: Settings, world_id: str, parties: Parties, args: argparse.Namespace
) -> list[Round]:
    import random

    rng = random.Random(1)
    wal = settings.data_dir / "sandbox.db-wal"
    statements = 0

    app = create_app(settings)
    state = app.state.sandbox

    def count(_statement: str) -> None:
        nonlocal statements
        statements += 1

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.set_trace_callback(count)

    event.listen(state.db.engine, "connect", on_connect)
    results: list[Round] = []
    async with app.router.lifespan_context(app):
        partner = await partner_of_world(state.db, world_id)
        assert partner is not None

        def one_body() -> PayIn:
            payer, payee = parties.draw(rng, args.kind, merchant=args.merchant)
            return PayIn.model_validate(
                {"payer": {"vpa": payer.vpa, "pin": payer.pin}, "payee": {"vpa": payee}}
                | {"amount": "1.00"}
            )

        async def one(body: PayIn) -> None:
            world = WorldContext.of(partner, settings.secret_key, state.clock)
            command = pay.prepare(world, body, uuid.uuid4().hex)
            answer, _ = await pay.pay(state.db, world, command)
            if answer["responseCode"] != "00":
                raise SystemExit(f"a payment was declined: {answer}")

        async def run(n: int) -> None:
            for start in range(0, n, args.batch):
                bodies = [one_body() for _ in range(min(args.batch, n - start))]
                await asyncio.gather(*(one(b) for b in bodies))

        await run(min(args.payments, 500))  # warm-up: the writer's memory, caches
        for _ in range(args.rounds):
            _checkpoint(settings)
            before = statements
            io = _io()
            cpu = time.process_time()
            await run(args.payments)
            cpu = time.process_time() - cpu
            reads, writes = (after - was for after, was in zip(_io(), io, strict=True))
            frames = wal_frames(wal)
            n = args.payments
            results.append(
                Round(
                    len(frames) / n,
                    len(set(frames)) / n,
                    cpu / n * 1e6,
                    (statements - before) / n,
                    reads / n,
                    writes / n,
                )
            )
        if args.by_btree:
            print("last round, per payment: frames, distinct pages, by table or index")
            for name, per, distinct in by_btree(wal.with_suffix(".db"), frames, n):
                print(f"  {per:6.2f} {distinct:6.2f}  {name}")
    return results


def _checkpoint(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            raw_conn = conn.connection.dbapi_connection
            assert raw_conn is not None
            busy = raw_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy[0]:
                raise SystemExit("the WAL could not be checkpointed between rounds (busy)")
    finally:
        engine.dispose()


async def measure(args: argparse.Namespace) -> list[Round]:
    extra: dict[str, Any] = {}
    for name in ("sqlite_cache_mb", "sqlite_mmap_mb"):
        value = getattr(args, name)
        if value is not None:
            extra[name] = value
    with tempfile.TemporaryDirectory(prefix="pay-pages-") as data_dir:
        return await _measure(Path(data_dir), args, extra)


async def _measure(data_dir: Path, args: argparse.Namespace, extra: dict[str, Any]) -> list[Round]:
    settings = _settings(data_dir, args.residents, extra)
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    world_id = await _sign_up(settings)
    if args.preload:
        await asyncio.to_thread(_preload, settings, world_id, args.preload)
    parties = world_parties(residents=args.residents, min_balance=1000)
    # the checkpointer waits this long between checkpoints: held off for the whole run
    sqlite_storage.CHECKPOINT_SECONDS = 1e9
    return await _rounds(settings, world_id, parties, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=4000, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32, help="payments sent at once")
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--preload", type=int, default=0, help="past payments written first")
    parser.add_argument("--kind", choices=KINDS, default="p2p", help="P2P or P2M payments")
    parser.add_argument("--merchant", default=DEFAULT_HOT_MERCHANT, help="the P2M payee")
    parser.add_argument("--by-btree", action="store_true", help="split the last round's frames")
    parser.add_argument("--sqlite-cache-mb", type=int, default=None)
    parser.add_argument("--sqlite-mmap-mb", type=int, default=None)
    args = parser.parse_args()
    rounds = asyncio.run(measure(args))
    for r in rounds:
        print(
            f"frames {r.frames:.2f}  pages {r.pages:.2f}  cpu {r.cpu_us:.0f} us  "
            f"stmts {r.statements:.1f}  reads {r.reads:.2f}  writes {r.writes:.2f}  (per payment)"
        )

    def med(values: list[float]) -> float:
        return statistics.median(values)

    print(
        f"median of {len(rounds)} rounds of {args.payments} {args.kind} (preload "
        f"{args.preload}, batch {args.batch}): frames {med([r.frames for r in rounds]):.2f}, "
        f"pages {med([r.pages for r in rounds]):.2f}, "
        f"cpu {med([r.cpu_us for r in rounds]):.0f} us "
        f"(min {min(r.cpu_us for r in rounds):.0f}), "
        f"stmts {med([r.statements for r in rounds]):.1f}, "
        f"read calls {med([r.reads for r in rounds]):.2f}, "
        f"write calls {med([r.writes for r in rounds]):.2f} per payment"
    )


if __name__ == "__main__":
    main()
