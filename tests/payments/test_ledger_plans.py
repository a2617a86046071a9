"""SQLite's plans of every query on the ledger's entries and the day totals (the statement, the
ledger check, a reset's deletes): each searches an index by the world, none scans the table.
Migration 0014 dropped the ledger's index by transaction, which no query needed; a query that
comes to need it fails here."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import event

from payments.store.checks import ChecksStore
from payments.store.statements import StatementsStore
from sandbox.storage.database import make_engine
from sandbox.storage.schema import daily_debits, ledger_entries
from sandbox.storage.scoped import WorldStore
from tests.support.http import SignedUp
from tests.support.upi import account_of, pay

pytestmark = pytest.mark.anyio

TABLES = ("ledger_entries", "daily_debits")


def _plan(conn: sa.Connection, statement: str, params: Any) -> list[str]:
    return [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]


def _reads(conn: sa.Connection, world_id: str, account: str) -> None:
    """Run the statement's and the ledger check's queries."""
    statements = StatementsStore(conn, world_id)
    statements.entries_total_before(account, 2**62)
    statements.entries_by_day(account, 0, 2**62, 86_400_000_000)
    statements.entries_between(account, 0, 2**62)
    checks = ChecksStore(conn, world_id)
    checks.ledger_totals()
    checks.unbalanced_postings()
    checks.account_mismatches()
    checks.open_debits()


async def test_every_ledger_query_searches_an_index(
    engine_name: str, app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    if engine_name != "sqlite":
        pytest.skip("SQLite's query plans")
    for payer, payee in [("asha@sandbox", "ravi@sandbox"), ("ravi@sandbox", "kabir@sandbox")]:
        await pay(client, partner, payer, payee, "1.00")
    account = await account_of(app, partner, "ravi@sandbox")
    engine = make_engine(app.state.sandbox.settings)
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if any(t in statement for t in TABLES) and not statement.startswith("EXPLAIN"):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as conn:
            _reads(conn, partner.partner_id, account)
            store = WorldStore(conn, partner.partner_id)
            for delete in (store.delete(ledger_entries), store.delete(daily_debits)):
                compiled = delete.compile(dialect=conn.dialect)
                params = tuple(compiled.params[name] for name in compiled.positiontup or ())
                seen.append((str(compiled), params))
            assert len(seen) >= 10
            for statement, params in seen:
                plan = _plan(conn, statement, params)
                touched = [line for line in plan if any(t in line for t in TABLES)]
                assert touched, (statement, plan)
                for line in touched:
                    assert line.startswith("SEARCH"), (statement, plan)
                    assert "(world_id=?" in line, (statement, plan)
    finally:
        engine.dispose()
