"""A server killed under load: the requests in flight when it died, and its files afterwards.

``Traffic`` counts what a load's clients sent (``post`` answers ``None`` when the connection died
under the request, which after a SIGKILL means "maybe committed, maybe not"); the tests extend it
with what they must find again after the restart. ``sqlite_integrity`` checks the database files
the killed server left, on a copy so that the restart sees them exactly as left.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from tests.harness.server import ServerProcess


@dataclass
class Traffic:
    in_flight: int = 0
    transport_errors: int = 0  # requests the kill cut off (the clients saw the server die)
    unexpected: list[str] = field(default_factory=list)  # answers no request should get
    stopped: anyio.Event = field(default_factory=anyio.Event)  # set once the server is killed

    async def post(self, client: httpx.AsyncClient, path: str, **kw: Any) -> httpx.Response | None:
        """The answer, or ``None`` if the connection died first (unanswered: it may or may
        not have been committed)."""
        self.in_flight += 1
        try:
            return await client.post(path, **kw)
        except httpx.TransportError:
            self.transport_errors += 1
            return None
        finally:
            self.in_flight -= 1


async def kill_under_load(
    server: ServerProcess,
    traffic: Traffic,
    client: Callable[[int], Coroutine[Any, Any, None]],
    *,
    clients: int,
    seconds: float,
    enough: anyio.Event | None = None,
    max_seconds: float = 0.0,
) -> tuple[int, int]:
    """Run ``client(0)`` ... ``client(clients - 1)`` at once and SIGKILL the server after
    ``seconds`` (and, given ``enough``, once it is set, for at most ``max_seconds`` in all: a
    slow machine may need longer to send enough). Returns the requests in flight at the kill and
    the server's exit status; the clients quit at their first dead socket or ``stopped``."""
    in_flight_at_kill = status = 0
    with anyio.fail_after(max(seconds, max_seconds) + 10):
        async with anyio.create_task_group() as tg:
            for i in range(clients):
                tg.start_soon(client, i)
            await anyio.sleep(seconds)
            if enough is not None:
                with anyio.move_on_after(max_seconds - seconds):
                    await enough.wait()
            in_flight_at_kill = traffic.in_flight
            status = server.kill()
            traffic.stopped.set()
    return in_flight_at_kill, status


def sqlite_integrity(db_files: list[Path], scratch: Path) -> str:
    """``PRAGMA integrity_check`` on a copy of the database files (the originals stay as left)."""
    scratch.mkdir(parents=True, exist_ok=True)
    for path in db_files:
        if path.exists():
            shutil.copyfile(path, scratch / path.name)
    conn = sqlite3.connect(scratch / db_files[0].name)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return "\n".join(str(row[0]) for row in rows)
