"""Whether a payment costs the server more as a run goes on: CPU per payment, block by block.

    .venv/bin/python -m loadtests.pay_drift --blocks 15 --block 10000
    .venv/bin/python -m loadtests.pay_drift --truncate      # WAL truncated between blocks
    .venv/bin/python -m loadtests.pay_drift --gc-freeze     # gc.freeze() between blocks

``sandbox bench`` found the saturation phase that runs second 12-20% slower than the first,
whichever kind it was. Here the app runs in process (``loadtests.pay_asgi``'s ASGI calls, no
network, no locust), ``--clients`` tasks send payments of ``--kind`` at saturation, and each
block of ``--block`` payments reports per payment: the process's CPU, the CPU of the event
loop's thread, the SQLite commit thread and the checkpointer (``loadtests.inprocess.thread_cpu``),
and at the block's end the WAL's and the database's size, the writer's memory entries, and the
generation-2 collections and their time. The checkpointer runs as the server's does, beside
the writer, unless a variant says otherwise; a variant changes one candidate between blocks
(the clients idle meanwhile), so the drift that goes with it shows which candidate it follows.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import shutil
import sqlite3
import statistics
import threading
import time
import uuid
from pathlib import Path

from fastapi import FastAPI

from loadtests import callgrind
from loadtests.config import DEFAULT_HOT_MERCHANT, PAY_PATH
from loadtests.hot_timing import call
from loadtests.inprocess import migrated_settings, thread_cpu
from loadtests.parties import Parties, world_parties
from loadtests.pay_asgi import _signup, user_system
from sandbox.app import create_app
from sandbox.ops import gctune
from sandbox.storage import sqlite_engine as sqlite_storage

THREADS = ("MainThread", "sqlite-commit", "sqlite-checkpointer")

_gc_seconds = [0.0, 0.0, 0.0]
_gc_started = [0.0]


def _gc_timer(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started[0] = time.thread_time()
    else:
        _gc_seconds[info["generation"]] += time.thread_time() - _gc_started[0]


def _truncate(db_path: Path) -> float:
    """A TRUNCATE checkpoint on a connection of its own while nothing writes; its seconds."""
    start = time.monotonic()
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        for _ in range(50):  # the checkpointer's own copy may hold the checkpoint lock a moment
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return time.monotonic() - start
            time.sleep(0.1)
        raise SystemExit("TRUNCATE checkpoint busy: a reader or the writer is still active")
    finally:
        conn.close()


def _wchar(tid: int | None) -> int:
    """Bytes the thread ``tid`` has written (``/proc``: the commit thread's are the WAL's)."""
    if tid is None:
        return 0
    for line in Path(f"/proc/self/task/{tid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def _sizes(db_path: Path) -> tuple[int, int]:
    """The WAL's and the database file's size in bytes."""
    wal = db_path.with_name(db_path.name + "-wal")
    return (wal.stat().st_size if wal.exists() else 0), db_path.stat().st_size


async def run(args: argparse.Namespace) -> list[dict[str, float]]:
    if args.data_dir:  # a store an earlier run kept (--keep): its world, grown
        settings = migrated_settings("pay-drift-", residents=args.residents).model_copy(
            update={"data_dir": Path(args.data_dir)}
        )
    else:
        settings = migrated_settings("pay-drift-", residents=args.residents)
    db_path = settings.data_dir / "sandbox.db"
    key_file = settings.data_dir / "drift-key.txt"
    gc.callbacks.append(_gc_timer)
    parties = world_parties(residents=args.residents)
    rng = random.Random(7)
    rows: list[dict[str, float]] = []
    # the partner's key, signed up once: a restart (or a later run, --data-dir) serves its world
    auth: list[str] = [key_file.read_text()] if key_file.exists() else []
    every = args.restart_every or args.blocks
    try:
        while len(rows) < args.blocks:
            if rows:  # a new app (a fresh process's state) on the grown store
                _truncate(db_path)
                gc.collect()
            app = create_app(settings)
            gctune.tune(settings.gc_gen0_threshold)  # as `sandbox serve` does
            count = min(every, args.blocks - len(rows))
            await _blocks(args, app, db_path, parties, rng, rows, auth, count)
        if auth:
            key_file.write_text(auth[0])
    finally:
        if not args.keep:
            shutil.rmtree(settings.data_dir, ignore_errors=True)  # GBs of WAL otherwise
    if args.keep:
        print(f"kept: --data-dir {settings.data_dir}")
    return rows


async def _blocks(
    args: argparse.Namespace,
    app: FastAPI,
    db_path: Path,
    parties: Parties,
    rng: random.Random,
    rows: list[dict[str, float]],
    auth_kept: list[str],
    count: int,
) -> None:
    async with app.router.lifespan_context(app):
        if not auth_kept:
            auth_kept.append(await _signup(app))
        auth = auth_kept[0]
        db = app.state.sandbox.db

        async def pay(kind: str) -> None:
            payer, payee = parties.draw(rng, kind, merchant=args.merchant)
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

        async def block(kind: str, n: int, label: str = "") -> dict[str, float]:
            left = iter(range(n))

            async def worker() -> None:
                for _ in left:
                    await pay(kind)

            stats0 = gc.get_stats()
            gc0 = list(_gc_seconds)
            split = user_system()
            commit_tid = next(
                (t.native_id for t in threading.enumerate() if t.name == "sqlite-commit"), None
            )
            wchar0 = _wchar(commit_tid)
            threads, cpu, wall = thread_cpu(), time.process_time(), time.monotonic()
            with callgrind.counting(label):
                await asyncio.gather(*(worker() for _ in range(args.clients)))
            cpu, wall, after = time.process_time() - cpu, time.monotonic() - wall, thread_cpu()
            split_after = user_system()
            stats1 = gc.get_stats()
            wal_bytes, db_bytes = _sizes(db_path)
            row = {
                "cpu_us": cpu / n * 1e6,
                "wall_s": wall,
                "wal_mb": wal_bytes / 2**20,
                "db_mb": db_bytes / 2**20,
                "memory": float(len(db.memory)),
                "gen2": float(stats1[2]["collections"] - stats0[2]["collections"]),
                "gen2_ms": (_gc_seconds[2] - gc0[2]) * 1e3,
                "gen01_ms": (_gc_seconds[0] + _gc_seconds[1] - gc0[0] - gc0[1]) * 1e3,
                "objects": float(len(gc.get_objects())),
            }
            for name in THREADS:
                row[name] = (after.get(name, 0.0) - threads.get(name, 0.0)) / n * 1e6
            sys0 = split.get("sqlite-commit", (0.0, 0.0))[1]
            wchar = _wchar(commit_tid)
            row["commit_kb"] = (wchar - wchar0) / n / 1024
            row["commit_sys"] = (split_after.get("sqlite-commit", (0.0, 0.0))[1] - sys0) / n * 1e6
            row["finished"] = float(getattr(db.checkpointer, "finished", -1))
            row["held_ms"] = getattr(db.checkpointer, "held_seconds", 0.0) * 1e3
            row["held_max_ms"] = getattr(db.checkpointer, "held_max", 0.0) * 1e3
            return row

        kinds = args.kind.split(",")
        await block(kinds[0], min(args.block, 2000))  # warm-up
        for i in range(len(rows), len(rows) + count):
            kind = kinds[i % len(kinds)]
            if args.truncate:
                await asyncio.sleep(0.3)  # let the commit thread and the checkpointer finish
                _truncate(db_path)
            if args.gc_freeze:
                gc.collect()
                gc.freeze()
            counted = not args.count or str(i + 1) in args.count.split(",")
            row = await block(kind, args.block, f"block {i + 1}" if counted else "")
            row["block"] = float(i + 1)
            rows.append(row)
            if counted:
                print(_line(kind, row), flush=True)


def _line(kind: str, row: dict[str, float]) -> str:
    return (
        f"{int(row['block']):3d} {kind}: process {row['cpu_us']:.0f} us, loop "
        f"{row['MainThread']:.0f}, commit {row['sqlite-commit']:.0f} (sys "
        f"{row['commit_sys']:.0f}, {row['commit_kb']:.1f} KB written), checkpointer "
        f"{row['sqlite-checkpointer']:.0f} us/payment; {row['wall_s']:.1f} s; WAL "
        f"{row['wal_mb']:.0f} MB, db {row['db_mb']:.0f} MB; memory {row['memory']:.0f}; "
        f"gen2 {row['gen2']:.0f} ({row['gen2_ms']:.0f} ms), gen0/1 {row['gen01_ms']:.0f} ms; "
        f"objects {row['objects'] / 1e3:.0f}k; completed holding {row['finished']:.0f} "
        f"(held {row['held_ms']:.0f} ms in all, longest {row['held_max_ms']:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=15)
    parser.add_argument("--block", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--kind", default="p2p", help="p2p, p2m, or p2p,p2m (blocks alternate)")
    parser.add_argument("--merchant", default=DEFAULT_HOT_MERCHANT)
    parser.add_argument("--truncate", action="store_true", help="TRUNCATE the WAL between blocks")
    parser.add_argument(
        "--restart-every",
        type=int,
        default=0,
        help="a new app on the same store every N blocks (the WAL truncated in between)",
    )
    parser.add_argument("--count", default="", help="blocks to report (and count under callgrind)")
    parser.add_argument("--data-dir", help="serve the store a run kept (--keep) instead")
    parser.add_argument("--keep", action="store_true", help="keep the store (and print where)")
    parser.add_argument("--hold-checkpoints", action="store_true", help="no WAL checkpoints")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() between blocks")
    args = parser.parse_args()
    if args.hold_checkpoints:
        sqlite_storage.CHECKPOINT_SECONDS = 1e9  # read when the database builds its checkpointer
    rows = asyncio.run(run(args))
    if callgrind.running():
        counted = callgrind.totals()
        for label, total in sorted(counted.items(), key=lambda kv: int(kv[0].split()[1])):
            print(f"{label}: {total / args.block / 1e3:.0f} k instructions per payment")
        return
    half = len(rows) // 2
    if not half:
        return
    for column in ("cpu_us", "MainThread", "sqlite-commit", "sqlite-checkpointer"):
        first = statistics.median(r[column] for r in rows[:half])
        second = statistics.median(r[column] for r in rows[half:])
        if not first:
            continue
        print(
            f"{column}: first half {first:.0f} us, second half {second:.0f} us, "
            f"second / first {second / first:.3f}"
        )


if __name__ == "__main__":
    main()
