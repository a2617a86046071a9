"""What holds the event loop, and where a payment's time goes, under a paced payment load.

Runs the app in this process (uvicorn on asyncio's own event loop, so each callback can be timed;
``sandbox serve`` uses uvloop, whose callbacks cannot be), with ``sandbox serve``'s GC tuning, on a
fresh SQLite data dir, and drives it with ``loadtests.paced_client`` in a subprocess (open loop,
``--rate`` payments per second for ``--seconds``). While the load runs it records:

- every loop callback longer than ``--threshold-ms`` of wall time, with its thread CPU time and
  what it was (the task's coroutine, the callback, the SQLite writer's batch size);
- every cyclic GC pause longer than the threshold, by generation;
- for each write unit: time queued before its unit started (behind earlier units and the COMMIT
  in flight), the unit's own run, and from its end until its caller resumed (the rest of its
  batch, its COMMIT, the answer's hop back); and each batch's size and COMMIT time;
- CPU seconds of each thread of the process.

Noise on a shared machine stretches wall times; thread CPU times and counts survive it.

    .venv/bin/python -m loadtests.stalls --rate 500 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from loadtests.commit_tail import use_checkpoints
from loadtests.inprocess import thread_cpu
from loadtests.latency import Histogram
from loadtests.process import free_port
from sandbox.app import create_app
from sandbox.ops import gctune
from sandbox.settings import Settings
from sandbox.storage import sqlite as sqlite_store
from sandbox.storage import sqlite_batch
from sandbox.storage.database import make_engine
from sandbox.storage.migrate import upgrade


class Recorder:
    """Stalls and write timings, collected while ``active``."""

    def __init__(self, threshold_s: float) -> None:
        self.threshold_s = threshold_s
        self.active = False
        self.stalls: list[tuple[str, float, float]] = []  # (kind, wall s, cpu s)
        self.callbacks = 0
        self.busy_wall = 0.0
        self.gc_pauses: list[tuple[int, float]] = []
        self.steps = {step: Histogram() for step in STEPS}
        self.batches: list[int] = []
        self.slow_units: Counter[str] = Counter()
        self.slow_unit_max: dict[str, float] = {}
        self.commits: list[tuple[float, float]] = []  # each unit's COMMIT (begin, end)
        self.checkpoints: list[tuple[float, float]] = []

    def stall(self, kind: str, wall: float, cpu: float) -> None:
        self.stalls.append((kind, wall, cpu))

    def timeline(self, marks: dict[str, float], name: str) -> None:
        order = ("enqueued", "start", "end", "batchEnd", "commitBegin", "commitEnd", "onLoop")
        if not all(k in marks for k in order):  # a unit of a failed batch, or write_sync's
            return
        times = [marks[k] for k in order] + [marks["resumed"]]
        self.commits.append((marks["commitBegin"], marks["commitEnd"]))
        for step, t0, t1 in zip(STEPS, times[:-1], times[1:], strict=True):
            self.steps[step].add((t1 - t0) * 1000.0)
        if marks["cpu"] >= self.threshold_s:  # CPU, not wall: noise does not fake it
            self.slow_units[name] += 1
            self.slow_unit_max[name] = max(self.slow_unit_max.get(name, 0.0), marks["cpu"])


def _describe(handle: asyncio.Handle) -> str:
    callback = handle._callback  # type: ignore[attr-defined]
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return f"task {getattr(coro, '__qualname__', repr(coro))}"
    name = getattr(callback, "__qualname__", repr(callback))
    args = handle._args
    if name == "SqliteDatabase._flush":
        return f"sqlite _flush|{len(args[1].items)}"
    if name == "SqliteDatabase._run_slices":
        return f"sqlite _run_slices|{len(args[0].batch)}"
    return name


def instrument_loop(rec: Recorder) -> None:
    """Time every callback of asyncio's pure-Python loop (``Handle._run``)."""
    original = asyncio.events.Handle._run
    wall_clock, cpu_clock = time.perf_counter, time.thread_time

    def timed(handle: asyncio.Handle) -> None:
        if not rec.active:
            original(handle)
            return
        kind = _describe(handle) if handle._callback is not None else ""  # type: ignore[attr-defined]
        w0, c0 = wall_clock(), cpu_clock()
        original(handle)
        wall = wall_clock() - w0
        rec.callbacks += 1
        rec.busy_wall += wall
        if wall >= rec.threshold_s:
            rec.stall(kind, wall, cpu_clock() - c0)

    asyncio.events.Handle._run = timed  # type: ignore[method-assign,assignment]


def instrument_gc(rec: Recorder) -> None:
    started = 0.0

    def timed(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
        elif rec.active:
            pause = time.perf_counter() - started
            if pause >= rec.threshold_s:
                rec.gc_pauses.append((info["generation"], pause))

    gc.callbacks.append(timed)


STEPS = ("queued", "unit", "restOfBatch", "toCommitThread", "commit", "toLoop", "toCaller")
"""A write's timeline: queued behind earlier units (and the COMMIT in flight), its own run, the
rest of its batch's units, the hop to the commit thread, the COMMIT, the hop back to the loop
(``call_soon_threadsafe`` until the loop runs the answer), and from there until the caller
resumes."""


def instrument_checkpoints(mode: str, seen: list[tuple[float, float]]) -> None:
    """The checkpointer of ``loadtests.commit_tail.use_checkpoints``; each checkpoint's
    (start, end) appended to ``seen``."""
    db_class = sqlite_store.SqliteDatabase
    start = db_class.start

    def patched_start(self: Any) -> None:
        if self._writer is None:
            use_checkpoints(self, mode)
            self.checkpointer.on_checkpoint = lambda s, e, _cpu, _row: seen.append((s, e))
        start(self)

    db_class.start = patched_start  # type: ignore[method-assign]


def instrument_writes(rec: Recorder) -> None:
    """Each write unit's timeline (``STEPS``), its batch's size; units over the threshold."""
    db_class = sqlite_store.SqliteDatabase
    write, commit_then_answer = db_class.write, db_class._commit_then_answer
    begin, run_some = db_class._begin, db_class._run_some
    resolve = sqlite_batch.resolve_on_loop
    now = time.perf_counter

    async def timed_write(self: Any, fn: Callable[[Any], Any]) -> Any:
        marks: dict[str, float] = {"enqueued": now()}

        def unit(conn: Any) -> Any:
            marks["start"], marks["cpu"] = now(), time.thread_time()
            try:
                return fn(conn)
            finally:
                marks["end"], marks["cpu"] = now(), time.thread_time() - marks["cpu"]

        unit.marks = marks  # type: ignore[attr-defined]
        try:
            return await write(self, unit)
        finally:
            marks["resumed"] = now()
            if rec.active:
                rec.timeline(marks, getattr(fn, "__qualname__", repr(fn)))

    def marked(batch: list[Any], key: str) -> None:
        t = now()
        for item in batch:
            marks = getattr(item.fn, "marks", None)
            if marks is not None:
                marks[key] = t

    def timed_commit_then_answer(self: Any, conn: Any, batch: list[Any]) -> None:
        marked(batch, "commitBegin")
        commit_then_answer(self, conn, batch)

    def counted_begin(self: Any, batch: list[Any]) -> Any:
        if rec.active:
            rec.batches.append(len(batch))
        return begin(self, batch)

    def timed_run_some(self: Any, conn: Any, batch: list[Any], start: int, budget: Any) -> int:
        try:
            done: int = run_some(self, conn, batch, start, budget)
        except BaseException:
            marked(batch, "batchEnd")
            raise
        if done == len(batch):
            marked(batch, "batchEnd")
        return done

    def timed_resolve(items: list[Any]) -> None:
        marked(items, "onLoop")
        resolve(items)

    def timed_commit(self: Any, conn: Any, batch: list[Any]) -> None:
        commit(self, conn, batch)
        marked(batch, "commitEnd")

    commit = db_class._commit
    db_class.write = timed_write  # type: ignore[method-assign]
    db_class._commit_then_answer = timed_commit_then_answer  # type: ignore[method-assign]
    db_class._begin = counted_begin  # type: ignore[method-assign]
    db_class._run_some = timed_run_some  # type: ignore[method-assign]
    db_class._commit = timed_commit  # type: ignore[method-assign]
    sqlite_batch.resolve_on_loop = timed_resolve
    sqlite_store.resolve_on_loop = timed_resolve  # type: ignore[attr-defined]


async def _serve_and_load(args: argparse.Namespace, rec: Recorder) -> dict[str, Any]:
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="stalls-")),
        world_residents=args.residents,
        rate_limit_per_second=1_000_000_000.0,
        rate_limit_burst=1_000_000_000,
        log_level="WARNING",
    )
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    gctune.tune(settings.gc_gen0_threshold)  # as `sandbox serve` does
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, loop="asyncio", http="httptools", log_config=None,
        access_log=False, lifespan="on",
    )  # fmt: skip
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
        await asyncio.sleep(0.05)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = b'{"name":"Stalls","contactEmail":"stalls@example.com","country":"IN"}'
    writer.write(
        b"POST /v1/partners HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    answer = await reader.read()
    writer.close()
    api_key = json.loads(answer.split(b"\r\n\r\n", 1)[1])["apiKey"]
    command = [
        sys.executable, "-m", "loadtests.paced_client", "--port", str(port), "--api-key", api_key,
        "--rate", str(args.rate), "--seconds", str(args.seconds), "--residents",
        str(args.residents),
    ]  # fmt: skip
    client = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE)
    await asyncio.sleep(1.0)  # the client builds its parties first
    cpu0, wall0 = thread_cpu(), time.perf_counter()
    rec.active = True
    out, _ = await client.communicate()
    rec.active = False
    wall = time.perf_counter() - wall0
    cpu1 = thread_cpu()
    server.should_exit = True
    await serving
    return {
        "client": {
            k: _short(Histogram.from_json(v)) if k.endswith("Ms") else v
            for k, v in json.loads(out).items()
        },
        "wallSeconds": round(wall, 1),
        "threadCpuSeconds": {k: round(v - cpu0.get(k, 0.0), 2) for k, v in cpu1.items()},
    }


def _short(h: Histogram) -> dict[str, float | int | None]:
    """count, p50, p99, p99.9 and max, to 0.01 ms."""
    summary = h.summary()
    return {
        k: round(v, 2) if isinstance(v, float) else v
        for k, v in summary.items()
        if k in ("count", "p50", "p99", "p999", "max")
    }


def report(rec: Recorder, result: dict[str, Any]) -> dict[str, Any]:
    by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    queued: dict[str, int] = {}
    for kind, wall, cpu in rec.stalls:
        name, _, size = kind.partition("|")
        by_kind[name].append((wall, cpu))
        if size:
            queued[name] = max(queued.get(name, 0), int(size))
    stalls = {
        kind: {
            "count": len(v),
            "maxWallMs": round(max(w for w, _ in v) * 1000, 1),
            "maxCpuMs": round(max(c for _, c in v) * 1000, 1),
            "cpuOverThreshold": sum(1 for _, c in v if c >= rec.threshold_s),
            **({"maxQueued": queued[kind]} if kind in queued else {}),
        }
        for kind, v in sorted(by_kind.items(), key=lambda kv: -len(kv[1]))
    }
    gcs = Counter(g for g, _ in rec.gc_pauses)
    during, apart, ckpt = Histogram(), Histogram(), Histogram()
    for c0, c1 in rec.commits:
        overlaps = any(s < c1 and c0 < e for s, e in rec.checkpoints)
        (during if overlaps else apart).add((c1 - c0) * 1000.0)
    for s, e in rec.checkpoints:
        ckpt.add((e - s) * 1000.0)
    sizes = sorted(rec.batches)
    return {
        **result,
        "loopCallbacks": rec.callbacks,
        "loopBusySeconds": round(rec.busy_wall, 2),
        "stallsOverMs": rec.threshold_s * 1000,
        "stalls": stalls,
        "gcPausesOverThreshold": {
            str(g): {
                "count": n,
                "maxMs": round(max(p for gg, p in rec.gc_pauses if gg == g) * 1e3, 1),
            }
            for g, n in sorted(gcs.items())
        },
        "writeStepsMs": {step: _short(h) for step, h in rec.steps.items()},
        "commitMsByCheckpoint": {"apart": _short(apart), "during": _short(during)},
        "checkpointMs": _short(ckpt),
        "unitsOverThresholdCpu": {
            name: {"count": n, "maxCpuMs": round(rec.slow_unit_max[name] * 1000, 1)}
            for name, n in rec.slow_units.most_common()
        },
        "batches": len(sizes),
        "batchSize": {
            "p50": sizes[len(sizes) // 2] if sizes else None,
            "p99": sizes[int(len(sizes) * 0.99)] if sizes else None,
            "max": sizes[-1] if sizes else None,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500.0, help="payments per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--threshold-ms", type=float, default=2.0)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument(
        "--checkpoints", choices=("gated", "beside", "off"), default="beside",
        help="the WAL checkpointer (loadtests.commit_tail.use_checkpoints)",
    )  # fmt: skip
    parser.add_argument(
        "--switch-interval-ms", type=float, default=0.0, help="sys.setswitchinterval (0: as is)"
    )
    args = parser.parse_args()
    if args.switch_interval_ms:
        sys.setswitchinterval(args.switch_interval_ms / 1000.0)
    rec = Recorder(args.threshold_ms / 1000.0)
    instrument_loop(rec)
    instrument_gc(rec)
    instrument_writes(rec)
    instrument_checkpoints(args.checkpoints, rec.checkpoints)
    result = asyncio.run(_serve_and_load(args, rec))
    print(json.dumps(report(rec, result), indent=1))


if __name__ == "__main__":
    main()
