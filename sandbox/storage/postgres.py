"""PostgreSQL: a transaction per unit, on a pooled connection in a worker thread.

Concurrent sessions already share WAL flushes, so there is no group commit to build; units use
conditional updates instead of locks, and a unit that loses a serialization race or a deadlock
(40001, 40P01) is run again from the start. Reads run at REPEATABLE READ, one snapshot each.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sandbox.settings import Settings

T = TypeVar("T")

_RETRYABLE = ("40001", "40P01")  # serialization_failure, deadlock_detected


class PostgresDatabase:
    """Runs units of work on PostgreSQL; ``start()`` before use, ``close()`` at shutdown."""

    is_sqlite = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = sa.create_engine(
            settings.sqlalchemy_url, pool_size=10, max_overflow=30, pool_pre_ping=True
        )
        # Units running on worker threads; ``close`` waits for them (see there).
        self._in_flight = 0
        self._idle = threading.Condition()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Nothing to start: the pool connects on demand."""

    def close(self) -> None:
        # A caller cancelled while its unit runs on a worker thread (a periodic job stopped at
        # shutdown) leaves the unit running; disposing under it would strand its connection
        # outside the pool, open until garbage collection.
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=30)
        self.engine.dispose()

    # -- units -----------------------------------------------------------------------------
    async def write(self, fn: Callable[[Connection], T]) -> T:
        return await anyio.to_thread.run_sync(self.write_sync, fn)

    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        with self._unit_in_flight():
            for attempt in range(5):
                try:
                    with self.engine.begin() as conn:
                        return fn(conn)
                except sa.exc.OperationalError as exc:
                    code = getattr(exc.orig, "sqlstate", None)
                    if code not in _RETRYABLE or attempt == 4:
                        raise
        raise AssertionError("unreachable")

    async def read(self, fn: Callable[[Connection], T]) -> T:
        return await anyio.to_thread.run_sync(self.read_sync, fn)

    def read_sync(self, fn: Callable[[Connection], T]) -> T:
        """One snapshot for the whole read (REPEATABLE READ), as SQLite's WAL reader has: a
        read of several statements (the ledger check) never sees half a payment."""
        with self._unit_in_flight(), self.engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                return fn(conn)

    @contextlib.contextmanager
    def _unit_in_flight(self) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()
