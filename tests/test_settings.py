"""Settings: the PostgreSQL pool sizes are settings with the former fixed values as defaults,
and a value out of range is refused with its environment variable's name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sandbox.settings import Settings
from sandbox.storage.postgres import PostgresDatabase


def test_pool_sizes_default_to_the_former_fixed_values() -> None:
    settings = Settings()
    assert (settings.pg_pool_size, settings.pg_max_overflow) == (20, 20)
    assert (settings.pg_sync_pool_size, settings.pg_sync_max_overflow) == (5, 10)


def test_pool_sizes_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_PG_POOL_SIZE", "7")
    monkeypatch.setenv("SANDBOX_PG_MAX_OVERFLOW", "0")
    settings = Settings()
    assert (settings.pg_pool_size, settings.pg_max_overflow) == (7, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pg_pool_size", 0),
        ("pg_sync_pool_size", 0),
        ("pg_max_overflow", -1),
        ("pg_sync_max_overflow", 1001),
    ],
)
def test_a_pool_size_out_of_range_is_refused_by_name(field: str, value: int) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings.model_validate({field: value})
    message = str(refused.value)
    assert f"SANDBOX_{field.upper()} is {value}" in message
    assert "max_connections" in message


def test_the_async_pool_takes_its_sizes_from_the_settings() -> None:
    settings = Settings(
        database_url="postgresql://nobody@127.0.0.1:1/none", pg_pool_size=3, pg_max_overflow=2
    )
    db = PostgresDatabase(settings)  # connects on demand only: nothing is opened here
    try:
        pool = db.async_engine.sync_engine.pool
        assert (pool.size(), pool._max_overflow) == (3, 2)  # type: ignore[attr-defined]
        assert db.engine.pool.size() == 5  # type: ignore[attr-defined]
    finally:
        db.close()
