"""What the in-process timing scripts share (``auth_timing``, ``pay_timing``, ``hot_timing``,
``pg_pay_cost``): the app on a fresh, migrated store with the benchmark's settings, a signed-up
client over ``httpx.ASGITransport`` (no network, no locust), concurrent senders timed in process
CPU, and the report of (request, no-op) pairs."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from loadtests import callgrind
from sandbox.settings import Settings
from sandbox.storage.database import make_engine
from sandbox.storage.migrate import upgrade

Send = Callable[[httpx.AsyncClient], Coroutine[Any, Any, httpx.Response]]


def migrated_settings(prefix: str, *, residents: int, database_url: str = "") -> Settings:
    """Benchmark settings (no webhook dispatch, no rate limit) on a fresh data dir, the store
    at ``database_url`` (default: SQLite in that dir) migrated to head."""
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix=prefix)),
        database_url=database_url,
        world_residents=residents,
        dispatch_webhooks=False,
        rate_limit_per_second=1_000_000.0,
        rate_limit_burst=1_000_000,
    )
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    return settings


@asynccontextmanager
async def partner_client(app: FastAPI, name: str = "Timing") -> AsyncIterator[httpx.AsyncClient]:
    """The app started (its lifespan) and a client of a partner just signed up to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            signup = {"name": name, "contactEmail": "timing@example.com", "country": "IN"}
            key = (await client.post("/v1/partners", json=signup)).json()["apiKey"]
            client.headers["Authorization"] = f"Bearer {key}"
            yield client


async def drive(
    client: httpx.AsyncClient, send: Send, requests: int, clients: int, label: str = ""
) -> float:
    """Process CPU seconds per request of ``requests`` sends by ``clients`` concurrent tasks;
    any answer but a 200 (with ``ret`` "y" where it has one) stops the script. Under callgrind
    (``callgrind.running``), only these sends are counted, dumped as ``label``."""
    left = iter(range(requests))

    async def worker() -> None:
        for _ in left:
            response = await send(client)
            if response.status_code != 200 or response.json().get("ret", "y") != "y":
                raise SystemExit(f"unexpected answer {response.status_code}: {response.text}")

    with callgrind.counting(label):
        cpu = time.process_time()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return (time.process_time() - cpu) / requests


NOOP = "no-op"


async def _noop(c: httpx.AsyncClient) -> httpx.Response:
    return await c.get("/healthz")


async def rounds_of(
    client: httpx.AsyncClient, send: Send, requests: int, clients: int, rounds: int
) -> list[tuple[float, float]]:
    """(``send``, no-op) CPU seconds per request, one pair per round, after a warm-up round."""
    found = await alternating(client, {"send": send}, requests, clients, rounds)
    return list(zip(found["send"], found[NOOP], strict=True))


async def alternating(
    client: httpx.AsyncClient, sends: dict[str, Send], requests: int, clients: int, rounds: int
) -> dict[str, list[float]]:
    """CPU seconds per request of each of ``sends`` and of the no-op (``NOOP``), one figure per
    round each, the kinds taking turns within every round (so that they share the machine's
    moments and the store's growth), after a warm-up round of each."""
    kinds = {**sends, NOOP: _noop}
    for send in kinds.values():
        await drive(client, send, min(requests, 500), clients)
    found: dict[str, list[float]] = {name: [] for name in kinds}
    for i in range(rounds):
        for name, send in kinds.items():
            found[name].append(await drive(client, send, requests, clients, f"{name} {i + 1}"))
    return found


def print_pairs(kind: str, pairs: list[tuple[float, float]], requests: int) -> None:
    """Each round, the medians, and the least disturbed round (on a shared machine other work
    only ever adds CPU time)."""
    for one, noop in pairs:
        print(f"{kind} {one * 1e6:.0f} us, no-op {noop * 1e6:.0f} us, ratio {noop / one:.3f}")
    one = statistics.median(a for a, _ in pairs) * 1e6
    noop = statistics.median(n for _, n in pairs) * 1e6
    print(
        f"median of {len(pairs)} rounds of {requests}: {kind} {one:.0f} us, "
        f"no-op {noop:.0f} us, {kind} - no-op {one - noop:.0f} us, ratio {noop / one:.3f}"
    )
    one, noop = min(a for a, _ in pairs) * 1e6, min(n for _, n in pairs) * 1e6
    print(f"minimum: {kind} {one:.0f} us, no-op {noop:.0f} us, {kind} - no-op {one - noop:.0f} us")


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each live thread of this process, by name (threads of one name summed)."""
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            clock = time.pthread_getcpuclockid(thread.ident)
        except OSError:
            continue
        out[thread.name] = out.get(thread.name, 0.0) + time.clock_gettime(clock)
    return out
