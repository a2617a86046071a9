"""Units of work on SQLite (group commit) or PostgreSQL (a transaction per unit).

A *unit* is a plain function ``unit(conn) -> T`` holding all the SQL of one use case. Services hand
units to ``Database.write`` or ``Database.read``; routes never see a connection, and nothing
commits except a ``Database``.

``Database`` is the interface; ``open_database(settings)`` picks its implementation by engine, as
httpx's client picks a transport behind ``BaseTransport``:

- ``SqliteDatabase`` (``sqlite.py``): queued units run in groups on the event loop, each group
  committed once on a commit thread (``write_sync``'s on a writer thread), reads run
  on a WAL reader connection, a checkpointer thread copies the WAL into the file;
- ``PostgresDatabase`` (``postgres.py``): each unit runs in its own transaction on a pooled
  async psycopg connection, on the event loop (``write_sync``/``read_sync``: on the caller's
  thread), retried on serialization failures, deadlocks and connections found dead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sandbox.settings import Settings
from sandbox.storage.postgres import PostgresDatabase
from sandbox.storage.sqlite import DatabaseClosed, SqliteDatabase, sqlite_engine

__all__ = [
    "Database",
    "DatabaseClosed",
    "PostgresDatabase",
    "SqliteDatabase",
    "Unit",
    "make_engine",
    "open_database",
]

T = TypeVar("T")
Unit = Callable[[Connection], T]


class Database(Protocol):
    """Runs units of work; ``start()`` before use, ``close()`` at shutdown."""

    settings: Settings
    engine: Engine  # the write engine
    is_sqlite: bool

    def start(self) -> None: ...

    def close(self) -> None:
        """Stop taking units, finish the ones under way, release every connection."""

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a transaction; return once its effects are committed."""
        ...

    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        """``write`` for code without an event loop (CLI, tools, sync tests)."""
        ...

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` on a consistent snapshot; it must not write."""
        ...

    def read_sync(self, fn: Callable[[Connection], T]) -> T:
        """``read`` for code without an event loop."""
        ...


def open_database(settings: Settings) -> Database:
    """The ``Database`` for the configured engine (not started yet)."""
    if settings.is_sqlite:
        return SqliteDatabase(settings)
    return PostgresDatabase(settings)


def make_engine(settings: Settings) -> Engine:
    """An engine for migrations and tools (writers use ``Database``)."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return sqlite_engine(settings.sqlalchemy_url, "BEGIN IMMEDIATE")
    return sa.create_engine(settings.sqlalchemy_url, pool_pre_ping=True)
