"""What one write costs the SQLite writer alone, batch by batch: no HTTP, no payment.

``--callers`` tasks each await ``SqliteDatabase.write`` of a small unit (three raw inserts)
``--writes`` times in all, on a fresh, migrated SQLite data dir. One caller makes every batch a
batch of one, as a quiet half load does (what a batch's own BEGIN, hand-off to the commit thread,
COMMIT and answer cost); many callers make large batches (what a write costs once those are
shared). Prints, per round, the process's and each thread's CPU per write and the wall time of a
write.

    .venv/bin/python -m loadtests.writer_cost --writes 1000 --callers 1 --rounds 3

Thread CPU on a shared machine moves by a third from run to run; instruction counts do not.
``--wait-file F`` lets callgrind count the measured writes only: after the warm-up it writes
``READY`` to ``F`` and waits until ``F`` says ``GO`` (switch callgrind's instrumentation on
then), runs one round, writes ``DONE`` and waits for ``EXIT`` (switch it off first). The script
that drives it is in docs/load-testing-history.md ("A batch of one").
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

import sandbox.storage.sqlite_engine as sqlite_store
from loadtests.inprocess import migrated_settings, thread_cpu
from sandbox.storage.database import SqliteDatabase

_INSERT = "INSERT INTO banks (world_id, code, name, psp_handle, online) VALUES (?, ?, ?, ?, 1)"


def _unit(conn: sa.Connection) -> int:
    """Three rows at random places of one table and its indexes: a few pages, as a payment."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    for _ in range(3):
        raw.execute(_INSERT, ("w" + uuid.uuid4().hex[:6], uuid.uuid4().hex[:10], "Bank", "bank"))
    return 1


async def _writes(db: SqliteDatabase, count: int, callers: int) -> list[float]:
    """Wall seconds of each of ``count`` writes by ``callers`` concurrent tasks."""
    left = iter(range(count))
    walls: list[float] = []

    async def caller() -> None:
        for _ in left:
            start = time.perf_counter()
            await db.write(_unit)
            walls.append(time.perf_counter() - start)

    await asyncio.gather(*(caller() for _ in range(callers)))
    return sorted(walls)


def _handshake(path: Path, say: str, until: str) -> None:
    """Write ``say`` to ``path``, then block (the loop has nothing else to run) until it reads
    ``until``: the script driving callgrind answers there."""
    path.write_text(say)
    while path.read_text() != until:
        time.sleep(0.2)


async def measure(writes: int, callers: int, rounds: int, wait_file: Path | None) -> None:
    if wait_file is not None:
        sqlite_store.CHECKPOINT_SECONDS = 3600.0  # its work would follow the run's wall time
    db = SqliteDatabase(migrated_settings("writer-cost-", residents=10))
    db.start()
    try:
        await _writes(db, 300, callers)  # warm-up: caches, statements, the WAL's first pages
        if wait_file is not None:
            _handshake(wait_file, "READY", "GO")
            await _writes(db, writes, callers)
            _handshake(wait_file, "DONE", "EXIT")
            return
        for _ in range(rounds):
            cpu0, process0 = thread_cpu(), time.process_time()
            walls = await _writes(db, writes, callers)
            cpu1, process1 = thread_cpu(), time.process_time()
            threads = {
                name: round((seconds - cpu0.get(name, 0.0)) / writes * 1e6)
                for name, seconds in cpu1.items()
                if seconds - cpu0.get(name, 0.0) > 0.001
            }
            print(
                f"callers {callers}: process {(process1 - process0) / writes * 1e6:.0f} us per "
                f"write, by thread {threads}; wall p50 {walls[len(walls) // 2] * 1e3:.2f} ms, "
                f"p99 {walls[int(len(walls) * 0.99)] * 1e3:.2f} ms",
                flush=True,
            )
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--callers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wait-file", type=Path, default=None)
    args = parser.parse_args()
    asyncio.run(measure(args.writes, args.callers, args.rounds, args.wait_file))


if __name__ == "__main__":
    main()
