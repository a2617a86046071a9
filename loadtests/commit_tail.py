"""The SQLite writer's tail at a paced load, and what the WAL checkpointer adds to it.

No HTTP, no payment: write ``--rate`` units per second for ``--seconds`` (open loop: unit ``i`` is
due at ``i / rate`` whatever happened before it) through ``SqliteDatabase.write``, on a fresh
data dir whose ``banks`` table was filled with ``--rows`` rows first, so that a unit (two rows
updated at random, two inserted: ~10 pages, as a payment) dirties pages all over the file and
a checkpoint has as many distinct pages to copy as at the bench's half load. Records each
write's latency from when it was due, each COMMIT's wall time, and each checkpoint's start and
end, and splits the COMMITs by whether a checkpoint ran during them.

``--checkpoints`` picks the checkpointer: ``gated`` (``sqlite_checkpoints="held"``: every
``HELD_CHECKPOINT_SECONDS``, once the writer is idle, holding it), ``beside`` (the storage's
default: a PASSIVE checkpoint every second beside the writer, not holding it) or ``off``.

    .venv/bin/python -m loadtests.commit_tail --rate 300 --seconds 15 --checkpoints beside

``--saturate S`` writes at full speed (32 callers) for ``S`` seconds before the paced part, as
the bench's saturation phases do before its half load (the WAL then holds a GB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from loadtests.inprocess import migrated_settings
from loadtests.latency import Histogram
from sandbox.storage.database import SqliteDatabase
from sandbox.storage.sqlite_engine import Checkpointer

_INSERT = "INSERT INTO banks (world_id, code, name, psp_handle, online) VALUES (?, ?, ?, ?, 1)"
_UPDATE = "UPDATE banks SET name = ? WHERE rowid = ?"


def _fill(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            _INSERT,
            (
                ("w" + uuid.uuid4().hex[:6], uuid.uuid4().hex[:10], "Bank" * 20, "b")
                for _ in range(rows)
            ),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _unit(rows: int, rng: random.Random):  # type: ignore[no-untyped-def]
    def unit(conn: sa.Connection) -> int:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        for _ in range(2):
            raw.execute(_UPDATE, ("Bank" * 20 + uuid.uuid4().hex[:4], rng.randrange(1, rows)))
            raw.execute(_INSERT, ("w" + uuid.uuid4().hex[:6], uuid.uuid4().hex[:10], "B", "b"))
        return 1

    return unit


class Record:
    def __init__(self) -> None:
        self.commits: list[tuple[float, float]] = []
        self.checkpoints: list[tuple[float, float, tuple[int, int, int]]] = []
        self.checkpoint_cpu = 0.0
        self.wal_max = 0
        self.burst_per_second = 0.0


def use_checkpoints(db: SqliteDatabase, mode: str) -> None:
    """Before ``db.start()``: ``gated`` (the held checkpointer, ``sqlite_checkpoints="held"``),
    ``beside`` (a PASSIVE checkpoint every second beside the writer, the storage's default) or
    ``off``."""
    url = db.settings.sqlalchemy_url
    if mode == "beside":
        db.checkpointer = Checkpointer(url)
    elif mode == "gated":
        db.checkpointer = Checkpointer(url, hold=db._gate.hold_when_idle, release=db._release)
    elif mode == "off":
        db.checkpointer.interval = 1e9


def _instrument(db: SqliteDatabase, rec: Record, mode: str, wal: Path) -> None:
    commit = db._commit

    def timed_commit(conn: Any, batch: list[Any]) -> None:
        t0 = time.monotonic()
        commit(conn, batch)
        rec.commits.append((t0, time.monotonic()))

    db._commit = timed_commit  # type: ignore[method-assign]
    use_checkpoints(db, mode)

    def seen(start: float, end: float, cpu: float, result: tuple[int, int, int]) -> None:
        rec.checkpoints.append((start, end, result))
        rec.checkpoint_cpu += cpu
        rec.wal_max = max(rec.wal_max, wal.stat().st_size)

    db.checkpointer.on_checkpoint = seen


async def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = migrated_settings("commit-tail-", residents=10)
    path = (settings.data_dir / "sandbox.db").resolve()
    _fill(path, args.rows)
    db = SqliteDatabase(settings)
    rec = Record()
    wal = Path(f"{path}-wal")
    _instrument(db, rec, args.checkpoints, wal)
    if args.interval:
        db.checkpointer.interval = args.interval
    db.start()
    rng = random.Random(7)
    unit = _unit(args.rows, rng)
    latency = Histogram()
    try:
        for _ in range(200):  # warm-up
            await db.write(unit)
        if args.saturate:  # as the bench's saturation phases before the half load
            end = time.perf_counter() + args.saturate

            burst = 0

            async def caller() -> None:
                nonlocal burst
                while time.perf_counter() < end:
                    await db.write(unit)
                    burst += 1

            await asyncio.gather(*(caller() for _ in range(32)))
            rec.burst_per_second = burst / args.saturate
        rec.commits.clear()
        rec.checkpoints.clear()
        rec.checkpoint_cpu = 0.0
        tasks = set()
        total = int(args.rate * args.seconds)
        start = time.perf_counter()

        async def one(due: float) -> None:
            await db.write(unit)
            latency.add((time.perf_counter() - due) * 1000.0)

        for i in range(total):
            due = start + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        wal_end = wal.stat().st_size  # noqa: ASYNC240 - after the measured writes
    finally:
        db.close()
    return _report(rec, latency, wal_end)


def _short(h: Histogram) -> dict[str, float | int | None]:
    return {
        k: round(v, 2) if isinstance(v, float) else v
        for k, v in h.summary().items()
        if k in ("count", "p50", "p99", "p999", "max")
    }


def _report(rec: Record, latency: Histogram, wal_end: int) -> dict[str, Any]:
    spans = [(s, e) for s, e, _ in rec.checkpoints]
    during, apart = Histogram(), Histogram()
    for c0, c1 in rec.commits:
        overlaps = any(s < c1 and c0 < e for s, e in spans)
        (during if overlaps else apart).add((c1 - c0) * 1000.0)
    ckpt = Histogram()
    for s, e in spans:
        ckpt.add((e - s) * 1000.0)
    frames = [r[1] for _, _, r in rec.checkpoints if r[1] > 0]
    over = {
        f"over{ms}ms": sum(n for k, n in latency.buckets.items() if _lower_ms(k) >= ms)
        for ms in (10, 20, 50)
    }
    return {
        "burstWritesPerSecond": round(rec.burst_per_second),
        "writeMs": {**_short(latency), **over},
        "commitMs": {"apartFromCheckpoints": _short(apart), "duringCheckpoints": _short(during)},
        "checkpointMs": _short(ckpt),
        "checkpointCpuMs": round(rec.checkpoint_cpu * 1000.0),
        "walFramesAtCheckpoint": round(sum(frames) / len(frames)) if frames else 0,
        "walBytes": {"end": wal_end, "maxSeen": rec.wal_max},
    }


def _lower_ms(key: int) -> float:
    return math.exp(key / 100) / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300.0, help="writes per second")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rows", type=int, default=200_000, help="rows filled in first")
    parser.add_argument(
        "--saturate", type=float, default=0.0, help="seconds of writes at full speed first"
    )
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between checkpoints")
    parser.add_argument("--checkpoints", choices=("gated", "beside", "off"), default="beside")
    args = parser.parse_args()
    print(json.dumps({"checkpoints": args.checkpoints, **asyncio.run(run(args))}))


if __name__ == "__main__":
    main()
