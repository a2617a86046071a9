"""The storage tests' fixtures: a started SQLite writer (skipped on other engines), and a skip
off PostgreSQL; the units they run are in ``tests/storage/bank_units.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.settings import Settings
from sandbox.storage.database import SqliteDatabase


@pytest.fixture
def sqlite_writer(settings: Settings, engine_name: str) -> Iterator[Callable[..., SqliteDatabase]]:
    """``sqlite_writer(**setting_updates)``: a started ``SqliteDatabase`` on the test's
    settings, closed after the test; the test is skipped on other engines."""
    if engine_name != "sqlite":
        pytest.skip("the SQLite writer")
    opened: list[SqliteDatabase] = []

    def start(**updates: Any) -> SqliteDatabase:
        database = SqliteDatabase(settings.model_copy(update=updates))
        database.start()
        opened.append(database)
        return database

    yield start
    for database in opened:
        database.close()


@pytest.fixture
def postgres_only(engine_name: str) -> None:
    """Skips the test on other engines (PostgreSQL's event-loop units and queue)."""
    if engine_name != "postgresql":
        pytest.skip("PostgreSQL's event-loop path")
