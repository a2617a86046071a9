"""Migrations: down to nothing and up again on each engine, the schema they build matches the
tables declared in ``sandbox.storage.schema``, and the ``account_balances`` view states the
balance rule (applied plus queued credits)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from sandbox.settings import Settings
from sandbox.storage.database import make_engine
from sandbox.storage.migrate import downgrade, upgrade
from sandbox.storage.schema import account_balances, accounts, credit_queue, metadata
from tests.support.engines import PG_ADMIN_URL, EngineInfo


@pytest.fixture
def blank_engine(
    engine_info: EngineInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An engine on a database of its own with no schema at all."""
    if engine_info.name == "sqlite":
        engine = make_engine(Settings(data_dir=tmp_path_factory.mktemp("blank")))
        yield engine
        engine.dispose()
        return
    name = f"sandbox_migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(Settings(database_url=PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Tables made by migrations after 0002 (0005: identity and the inbox; 0006: VIDs, UID tokens;
# 0007: AUA signing certificates; 0008: KUA encryption certificates; 0009: consents, the
# consent log, AA settings).
ADDED_AFTER_0002 = {
    "inbox_messages",
    "otp_requests",
    "auth_records",
    "vids",
    "uid_tokens",
    "aua_certificates",
    "kua_encryption_certificates",
    "consents",
    "consent_log",
    "aa_settings",
    "fi_sessions",
}


def _names(engine: Engine) -> tuple[set[str], set[str]]:
    inspector = sa.inspect(engine)
    return set(inspector.get_table_names()) - {"alembic_version"}, set(inspector.get_view_names())


def test_every_migration_goes_down_and_up_again(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    tables, views = _names(blank_engine)
    assert tables == set(metadata.tables)
    assert views == {"account_balances"}

    downgrade(blank_engine, "0002")
    assert _names(blank_engine) == (set(metadata.tables) - ADDED_AFTER_0002, set())

    downgrade(blank_engine, "base")
    assert _names(blank_engine) == (set(), set())

    upgrade(blank_engine)
    assert _names(blank_engine) == (tables, views)


def test_the_migrations_build_exactly_the_declared_tables(blank_engine: Engine) -> None:
    """A table moved between schema modules, or a column changed without a migration, fails
    here (the comparison ``sandbox migrate``'s autogenerate would make)."""
    upgrade(blank_engine)
    with blank_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_view_is_no_table_of_the_metadata() -> None:
    """Fixtures truncate, and a world reset deletes from, every table of ``metadata``."""
    assert "account_balances" not in metadata.tables
    assert account_balances.metadata is not metadata


def test_a_balance_is_the_applied_balance_plus_the_queued_credits(settings: Settings) -> None:
    engine = make_engine(settings)
    account = {
        "resident_uid": "100000000001",
        "bank_code": "SBXB",
        "ifsc": "SBXB0000001",
        "type": "SAVINGS",
        "currency": "INR",
        "opening_balance": 1_000,
        "balance": 1_000,
        "status": "ACTIVE",
        "opened_us": 0,
    }
    try:
        with engine.begin() as conn:
            for world, number in [("w1", "A1"), ("w1", "A2"), ("w2", "A1")]:
                conn.execute(accounts.insert().values(world_id=world, number=number, **account))
            conn.execute(
                credit_queue.insert(),
                [
                    {"world_id": "w1", "account_number": "A1", "amount": 250},
                    {"world_id": "w1", "account_number": "A1", "amount": 5},
                    {"world_id": "w2", "account_number": "A2", "amount": 7},  # no such account
                ],
            )
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(account_balances).order_by(
                    account_balances.c.world_id, account_balances.c.number
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            ("w1", "A1", 1_255),
            ("w1", "A2", 1_000),
            ("w2", "A1", 1_000),
        ]
        assert all(type(r.balance) is int for r in rows)
    finally:
        engine.dispose()


def _event_indexes(engine: Engine) -> set[str]:
    return {str(ix["name"]) for ix in sa.inspect(engine).get_indexes("webhook_events")}


def test_0013_drops_the_unread_event_index_and_its_downgrade_restores_it(
    blank_engine: Engine,
) -> None:
    """Events are read by their primary key only; the index by world and time was one more
    entry per payment (0013). Down to 0012 it is back, as 0001 made it."""
    upgrade(blank_engine)
    assert "ix_webhook_events_world_id_created_us" not in _event_indexes(blank_engine)
    downgrade(blank_engine, "0012")
    assert "ix_webhook_events_world_id_created_us" in _event_indexes(blank_engine)
    upgrade(blank_engine)
    assert "ix_webhook_events_world_id_created_us" not in _event_indexes(blank_engine)


def _without_rowid(engine: Engine) -> set[str]:
    """SQLite: the tables stored in their primary key's B-tree (``WITHOUT ROWID``)."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        return {name for name, sql in rows if sql.rstrip().upper().endswith("WITHOUT ROWID")}


def test_the_tables_without_rowid_are_the_declared_ones(blank_engine: Engine) -> None:
    """``compare_metadata`` does not see a table's storage: the migrations and the declarations
    (``sqlite_with_rowid=False``) must agree on it here."""
    if blank_engine.dialect.name != "sqlite":
        pytest.skip("a SQLite storage option")
    upgrade(blank_engine)
    declared = {
        name
        for name, table in metadata.tables.items()
        if table.dialect_options["sqlite"].get("with_rowid") is False
    }
    assert declared == {"daily_debits"}
    assert _without_rowid(blank_engine) == declared


def _ledger_indexes(engine: Engine) -> set[str]:
    return {str(ix["name"]) for ix in sa.inspect(engine).get_indexes("ledger_entries")}


def test_0014_keeps_the_rows_both_ways(blank_engine: Engine) -> None:
    """0014 drops the ledger's unread index by transaction and (SQLite) moves ``daily_debits``
    into its key's B-tree; the rows of a store in use survive the upgrade and the downgrade."""
    upgrade(blank_engine, "0013")
    day = {"world_id": "w1", "account_number": "A1", "day": 20_000, "total": 12_345}
    entry = {
        "world_id": "w1",
        "posting_id": "T1:DEBIT",
        "txn_id": "T1",
        "leg": "DEBIT",
        "account": "A1",
        "amount": -100,
        "created_us": 1,
    }
    dd, le = sa.table("daily_debits", *map(sa.column, day)), sa.table("ledger_entries")
    with blank_engine.begin() as conn:
        conn.execute(sa.insert(dd), [day, {**day, "day": 20_001, "total": 5}])
        conn.execute(sa.insert(sa.table("ledger_entries", *map(sa.column, entry))), entry)

    def rows() -> tuple[list[tuple[Any, ...]], int]:
        with blank_engine.connect() as conn:
            days = conn.execute(sa.select(sa.text("*")).select_from(dd).order_by(sa.text("day")))
            entries = conn.execute(sa.select(sa.func.count()).select_from(le)).scalar_one()
            return [tuple(r) for r in days], entries

    before = rows()
    assert before == ([("w1", "A1", 20_000, 12_345), ("w1", "A1", 20_001, 5)], 1)
    sqlite = blank_engine.dialect.name == "sqlite"

    upgrade(blank_engine)
    assert "ix_ledger_entries_world_id_txn_id" not in _ledger_indexes(blank_engine)
    assert "ix_ledger_entries_world_id_account" in _ledger_indexes(blank_engine)
    if sqlite:
        assert _without_rowid(blank_engine) == {"daily_debits"}
    assert rows() == before
    with blank_engine.connect() as conn:  # the key still refuses a second row for the day
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.insert(dd), day)
        conn.rollback()

    downgrade(blank_engine, "0013")
    assert "ix_ledger_entries_world_id_txn_id" in _ledger_indexes(blank_engine)
    if sqlite:
        assert _without_rowid(blank_engine) == set()
    assert rows() == before
