"""A throwaway PostgreSQL database for one benchmark run, and the CPU of its backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


def _engine(url: str) -> sa.Engine:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def database_url(admin_url: str, name: str) -> str:
    """``admin_url`` with its database replaced by ``name``."""
    base = admin_url.split("?", 1)[0].rsplit("/", 1)[0]
    return f"{base}/{name}"


class ScratchDatabase:
    """``CREATE DATABASE <name>`` on the server of ``admin_url``; ``drop()`` removes it."""

    def __init__(self, admin_url: str, name: str) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"unsafe database name {name!r}")
        self.admin_url = admin_url
        self.name = name
        self.url = database_url(admin_url, name)
        self._admin = _engine(admin_url)

    def create(self) -> ScratchDatabase:
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return self

    def drop(self) -> None:
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()

    def backend_pids(self) -> list[int]:
        """Server processes serving connections to this database now."""
        with self._admin.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                {"name": self.name},
            )
            return [int(row[0]) for row in rows]


@contextmanager
def scratch_database(admin_url: str, name: str) -> Iterator[ScratchDatabase]:
    """A database that exists for the ``with`` block only."""
    database = ScratchDatabase(admin_url, name).create()
    try:
        yield database
    finally:
        database.drop()
