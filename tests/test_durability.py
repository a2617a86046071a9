"""Killing the server with SIGKILL while it writes leaves a database that starts again cleanly.

A real ``sandbox serve`` process takes concurrent signups and clock advances; every request that
got a 2xx answer is recorded as acknowledged. The server is SIGKILLed mid-load, restarted on the
same database, and every acknowledged write must be there: each acknowledged API key
authenticates and each world's clock is at least as far ahead as its acknowledged advances (and
no further than acknowledged plus unanswered ones: nothing is invented).
"""

from __future__ import annotations

import random
import signal
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from sandbox.settings import Settings
from tests.harness.crash import Traffic, kill_under_load, sqlite_integrity
from tests.harness.server import ServerProcess

pytestmark = pytest.mark.slow

CLIENTS = 8
LOAD_SECONDS = 1.5
MAX_LOAD_SECONDS = 12.0  # on a loaded machine: wait up to this for ENOUGH_ADVANCES
ENOUGH_ADVANCES = 3
REQUEST_TIMEOUT = 5.0
TEST_BUDGET_SECONDS = 30.0


@dataclass
class Ledger(Traffic):
    """What the clients were told: acknowledged writes, and writes left without an answer."""

    keys: dict[str, str] = field(default_factory=dict)  # partner id -> acknowledged API key
    acked_seconds: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    unanswered_seconds: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    acked_advances: int = 0
    # set once a few writes of each kind were acknowledged: a loaded machine may take longer
    # than LOAD_SECONDS to get there, and a kill before any acknowledgement proves nothing
    enough: anyio.Event = field(default_factory=anyio.Event)


async def writer(base_url: str, ledger: Ledger, seed: int) -> None:
    """Sign up, advance the new world's clock a few times, repeat; quit at the first dead socket."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        n = 0
        while not ledger.stopped.is_set():
            n += 1
            response = await ledger.post(
                client,
                "/v1/partners",
                json={"name": f"Load {seed}-{n}", "contactEmail": f"load{seed}.{n}@example.com"},
            )
            if response is None:
                return
            if response.status_code != 201:
                ledger.unexpected.append(f"signup {response.status_code} {response.text[:200]}")
                continue
            body = response.json()
            partner_id, api_key = body["partnerId"], body["apiKey"]
            ledger.keys[partner_id] = api_key
            headers = {"Authorization": f"Bearer {api_key}"}
            for _ in range(rng.randint(1, 6)):
                if ledger.stopped.is_set():
                    return
                seconds = rng.randint(1, 3600)
                ledger.unanswered_seconds[partner_id] += seconds
                response = await ledger.post(
                    client, "/v1/sandbox/clock/advance", json={"seconds": seconds}, headers=headers
                )
                if response is None:
                    return  # unanswered: it may or may not have been committed
                if response.status_code != 200:
                    ledger.unexpected.append(
                        f"advance {response.status_code} {response.text[:200]}"
                    )
                    continue  # counted as unanswered: an error answer promises nothing
                ledger.unanswered_seconds[partner_id] -= seconds
                ledger.acked_seconds[partner_id] += seconds
                ledger.acked_advances += 1
                if ledger.acked_advances >= ENOUGH_ADVANCES:
                    ledger.enough.set()


async def load_then_kill(server: ServerProcess) -> tuple[Ledger, int, int]:
    """Run the writers, SIGKILL the server mid-load; return the ledger, in-flight count, status."""
    ledger = Ledger()

    async def client(seed: int) -> None:
        await writer(server.base_url, ledger, seed)

    in_flight_at_kill, status = await kill_under_load(
        server,
        ledger,
        client,
        clients=CLIENTS,
        seconds=LOAD_SECONDS,
        enough=ledger.enough,
        max_seconds=MAX_LOAD_SECONDS,
    )
    return ledger, in_flight_at_kill, status


async def verify(base_url: str, ledger: Ledger) -> list[str]:
    """Every acknowledged key authenticates; every clock is within [acked, acked + unanswered]."""
    problems: list[str] = []
    limiter = anyio.Semaphore(CLIENTS)

    async def check(client: httpx.AsyncClient, partner_id: str, api_key: str) -> None:
        headers = {"Authorization": f"Bearer {api_key}"}
        async with limiter:
            me = await client.get("/v1/partners/me", headers=headers)
            if me.status_code != 200 or me.json().get("partnerId") != partner_id:
                problems.append(f"{partner_id}: /me answered {me.status_code} {me.text[:200]}")
                return
            clock = await client.get("/v1/sandbox/clock", headers=headers)
        if clock.status_code != 200:
            problems.append(f"{partner_id}: /clock answered {clock.status_code}")
            return
        offset = clock.json()["offsetSeconds"]
        low = ledger.acked_seconds[partner_id]
        high = low + ledger.unanswered_seconds[partner_id]
        if not low <= offset <= high:
            problems.append(f"{partner_id}: clock offset {offset} s outside [{low}, {high}]")

    with anyio.fail_after(15):
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client,
            anyio.create_task_group() as tg,
        ):
            for partner_id, api_key in ledger.keys.items():
                tg.start_soon(check, client, partner_id, api_key)
    return problems


async def new_writes_work(base_url: str, ledger: Ledger) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        created = await client.post(
            "/v1/partners", json={"name": "After restart", "contactEmail": "after@example.com"}
        )
        assert created.status_code == 201, created.text
        fresh = {"Authorization": f"Bearer {created.json()['apiKey']}"}
        advanced = await client.post(
            "/v1/sandbox/clock/advance", json={"seconds": 60}, headers=fresh
        )
        assert advanced.status_code == 200, advanced.text
        clock = await client.get("/v1/sandbox/clock", headers=fresh)
        assert clock.json()["offsetSeconds"] == 60
        # a world written before the crash takes new writes too
        partner_id, api_key = next(iter(ledger.keys.items()))
        old = {"Authorization": f"Bearer {api_key}"}
        before = (await client.get("/v1/sandbox/clock", headers=old)).json()["offsetSeconds"]
        advanced = await client.post("/v1/sandbox/clock/advance", json={"seconds": 7}, headers=old)
        assert advanced.status_code == 200, advanced.text
        assert advanced.json()["offsetSeconds"] == before + 7, partner_id


def test_sigkill_mid_write_loses_no_acknowledged_write(
    make_settings: Any, engine_name: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    settings: Settings = make_settings(world_residents=3)
    db_path = settings.data_dir / "sandbox.db"
    db_files = [db_path, db_path.with_name("sandbox.db-wal")]
    first = ServerProcess(settings, tmp_path / "server-1.log")
    second = ServerProcess(settings, tmp_path / "server-2.log")
    try:
        first.start()
        first.wait_ready(timeout=15)
        ledger, in_flight_at_kill, status = anyio.run(load_then_kill, first)

        assert status == -signal.SIGKILL, first.log_tail()
        assert not ledger.unexpected, ledger.unexpected[:10]
        assert ledger.keys, f"no signup was acknowledged before the kill:\n{first.log_tail()}"
        assert ledger.acked_advances > 0, "no clock advance was acknowledged before the kill"
        assert in_flight_at_kill > 0, "the kill did not land while requests were in flight"
        assert ledger.transport_errors > 0  # the clients did see the server die

        if engine_name == "sqlite":
            assert sqlite_integrity(db_files, tmp_path / "crashed-copy") == "ok"

        second.start()
        second.wait_ready(timeout=15)
        problems = anyio.run(verify, second.base_url, ledger)
        assert not problems, f"{len(problems)} of {len(ledger.keys)} partners: {problems[:10]}"
        anyio.run(new_writes_work, second.base_url, ledger)

        # graceful stop (uvicorn re-raises the SIGTERM it handled, hence -15 rather than 0)
        assert second.stop() in (0, -signal.SIGTERM), second.log_tail()
        assert "Application shutdown complete" in second.log_tail(), second.log_tail()
        if engine_name == "sqlite":
            assert sqlite_integrity(db_files, tmp_path / "final-copy") == "ok"
    finally:
        for server in (first, second):
            if server.proc is not None:
                server.kill()
    elapsed = time.monotonic() - started
    assert elapsed < TEST_BUDGET_SECONDS, f"took {elapsed:.1f} s"
