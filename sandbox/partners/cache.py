"""The callers of recent API keys, in process memory: authentication without a database read.

Every request used to read its key's partner from the database (a SQL statement, and on
PostgreSQL a thread hop and a round trip); ``CallerCache`` answers it from memory instead.
It is keyed by the key's SHA-256 (the same hash the database stores: no key in clear is kept),
bounded (the oldest entry goes first), and forgets everything at once when a partner or a key
changes:

- **in this process**: the service functions that change a partner or its keys
  (``partners.service.rotate_key`` and ``update``, ``world.service.reset`` and
  ``advance_clock``) take the cache as a required keyword argument and invalidate it once their
  write has committed (or failed), inside ``forget_after``: whatever calls them (an API route,
  a console page) gets the next request read from the database, and cannot forget to;
- **in other processes** (PostgreSQL workers, the CLI): every such write also sends
  ``NOTIFY sandbox_partners`` in its own transaction (``store.touch``), which PostgreSQL delivers
  at commit; ``PartnerListener`` holds a ``LISTEN`` connection per worker and invalidates the
  worker's cache on each notification. While that connection is not listening (starting,
  lost, reconnecting), the cache is off and every request reads the database, so a missed
  notification can never leave a revoked key working;
- **a safety net** for a change that sends no notification (the CLI writing the SQLite file
  while the server runs, a hand-written UPDATE): an entry is used for ``max_age`` seconds at
  most.

A read that started before an invalidation must not refill the cache with what it read: each
entry carries the generation it was read under, and only an entry of the current generation is
used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sandbox.partners.models import Caller

log = logging.getLogger("sandbox.partners.cache")

CHANNEL = "sandbox_partners"


@dataclass(frozen=True, slots=True)
class _Entry:
    caller: Caller
    generation: int
    expires: float


class CallerCache:
    """key hash -> the caller behind it (see the module's docstring)."""

    def __init__(self, *, size: int = 10_000, max_age: float = 5.0, enabled: bool = True) -> None:
        self.size = size
        self.max_age = max_age
        self.enabled = enabled
        self.generation = 0
        self._entries: dict[str, _Entry] = {}

    def get(self, key_hash: str) -> Caller | None:
        entry = self._entries.get(key_hash)
        if entry is None or entry.generation != self.generation or not self.enabled:
            return None
        if entry.expires < time.monotonic():
            self._entries.pop(key_hash, None)
            return None
        return entry.caller

    def put(self, key_hash: str, caller: Caller, generation: int) -> None:
        """Keep ``caller``, read under ``generation`` (``self.generation`` before the read)."""
        if generation != self.generation or not self.enabled:
            return
        entries = self._entries
        if key_hash not in entries and len(entries) >= self.size:
            entries.pop(next(iter(entries)), None)  # the oldest (dicts keep insertion order)
        entries[key_hash] = _Entry(caller, generation, time.monotonic() + self.max_age)

    def invalidate(self) -> None:
        """Forget every entry: a partner or a key changed (here or in another process)."""
        self.generation += 1
        self._entries = {}

    def __len__(self) -> int:
        return len(self._entries)


@contextlib.contextmanager
def forget_after(callers: CallerCache | None) -> Iterator[None]:
    """Invalidate ``callers`` when the block ends, committed or failed (a failed write may have
    committed before its answer was lost). ``None``: a process without a cache (the CLI), which
    other processes learn of by NOTIFY."""
    try:
        yield
    finally:
        if callers is not None:
            callers.invalidate()


class PartnerListener:
    """``LISTEN sandbox_partners`` on PostgreSQL for one app: invalidates ``cache`` on every
    notification, and keeps it off while not listening (see the module's docstring).

    An asyncio task on the app's loop (psycopg's async connection): no thread, and cancelled at
    once at shutdown."""

    def __init__(self, dsn: str, cache: CallerCache, *, retry_seconds: float = 1.0) -> None:
        self.dsn = dsn
        self.cache = cache
        self.retry_seconds = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def start(self, wait: float = 5.0) -> None:
        """Start listening; wait up to ``wait`` seconds for the first LISTEN (the cache stays
        off until then, so a slow start only costs database reads)."""
        self.cache.enabled = False
        self._task = asyncio.create_task(self._run(), name="sandbox-partner-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), wait)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.cache.enabled = False

    async def _run(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    # whatever changed while nobody listened is forgotten, then the cache is on
                    self.cache.invalidate()
                    self.cache.enabled = True
                    self._listening.set()
                    async for _ in conn.notifies():
                        self.cache.invalidate()
            except (psycopg.Error, OSError) as exc:
                log.warning(
                    "partner notifications lost; API keys are read from the database until "
                    "they are back",
                    extra={"error": type(exc).__name__},
                )
            self.cache.enabled = False
            self.cache.invalidate()
            await asyncio.sleep(self.retry_seconds)
