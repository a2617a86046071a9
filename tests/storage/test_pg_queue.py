"""PostgreSQL's event-loop path: a payment's round trips, its blind writes and their errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Connection

from sandbox.settings import Settings
from sandbox.storage import pg_queue, raw
from sandbox.storage.database import open_database
from sandbox.storage.postgres import PostgresDatabase
from sandbox.storage.raw import Raw
from tests.storage.bank_units import ADD_BANK
from tests.support.http import SignedUp
from tests.support.upi import account_of, balances, ledger_ok, pay

pytestmark = pytest.mark.anyio


class RoundTrips:
    """Counts round trips to the server from psycopg's waits on the event loop: a round trip
    of ``pg_wire`` (its commands, BEGIN and COMMIT among them, end with one Sync), a
    statement outside a pipeline (two when psycopg opens the transaction with it: its BEGIN),
    a pipeline's sync or COMMIT, a pipeline left with unsynced sends. A COMMIT or ROLLBACK
    with no transaction open sends nothing."""

    def __init__(self) -> None:
        self.count = 0
        self.rollbacks = 0  # psycopg's own ROLLBACKs (its prepared statements deallocated)
        self.in_pipeline = False
        self.unsynced = False

    def saw(self, name: str, idle: bool) -> None:
        step = name.rsplit(".", 1)[-1]
        if step == "_exchange":  # pg_wire: one Sync
            self.count += 1
        elif step == "_enter_gen":
            self.in_pipeline, self.unsynced = True, False
        elif step == "_exit_gen":
            self.count += self.unsynced
            self.in_pipeline = False
        elif step in ("_commit_gen", "_rollback_gen"):
            if not idle:
                self.count += 1
                self.rollbacks += step == "_rollback_gen"
                self.unsynced = False
        elif step == "_sync_gen":
            self.count += 1
            self.unsynced = False
        elif self.in_pipeline:
            self.unsynced = True
        else:  # a statement; psycopg sends the BEGIN first when none is open
            self.count += 2 if idle else 1


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> RoundTrips:
    counted = RoundTrips()
    real = psycopg.AsyncConnection.wait

    async def wait(self: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
        idle = self.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        counted.saw(getattr(gen, "__qualname__", ""), idle)
        return await real(self, gen, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "wait", wait)
    return counted


@pytest.mark.usefixtures("postgres_only")
async def test_a_payment_takes_two_round_trips(
    client: httpx.AsyncClient, partner: SignedUp, trips: RoundTrips
) -> None:
    """The BEGIN with the key's lookup and both parties with their PIN tries; then the payer's
    hold with its limits and the debit (a guarded statement), every blind write in one
    statement and the COMMIT: two, where the thread path took about eighteen (a ping, then a
    round trip per statement), the event loop's first version eight (its own BEGIN and COMMIT,
    the lock and the day's total apart), the next five (the lock with the day's total, then
    the debit), the next four (the key's lookup in a round trip of its own) and the next three
    (the debit's answer awaited before the writes)."""
    await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")  # connections warm
    trips.count = 0
    response = await pay(
        client, partner, "asha@sandbox", "ravi@sandbox", "1.00", headers={"Idempotency-Key": "k1"}
    )
    assert response.json()["responseCode"] == "00"
    assert trips.count == 2
    trips.count = 0
    again = await pay(
        client, partner, "asha@sandbox", "ravi@sandbox", "1.00", headers={"Idempotency-Key": "k1"}
    )
    assert again.json() == {**response.json(), "replayed": True}
    # the try that found its key used (its first round trip, then the rollback), then the key
    # read first (two)
    assert trips.count == 2 + 2
    await ledger_ok(client, partner)


# what a payment left in the world: its legs and events, its row, and the world's queued
# credits and the payer's day total
_LEFT = Raw("""
    SELECT
        (SELECT count(*) FROM ledger_entries WHERE world_id = :world_id AND txn_id = :txn_id),
        (SELECT count(*) FROM webhook_events
         WHERE world_id = :world_id AND payload -> 'data' ->> 'txnId' = :txn_id),
        (SELECT status || ' ' || response_code FROM upi_transactions
         WHERE world_id = :world_id AND txn_id = :txn_id),
        (SELECT count(*) FROM credit_queue WHERE world_id = :world_id),
        (SELECT coalesce(sum(total), 0) FROM daily_debits
         WHERE world_id = :world_id AND account_number = :number)
""")


@pytest.mark.usefixtures("postgres_only")
async def test_a_debit_not_taken_writes_nothing_sent_with_it_and_is_decided_again(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, trips: RoundTrips
) -> None:
    """Pooja has 1.00: her payment of 5.00 is sent as if its debit succeeded, the guarded
    debit divides by zero in the server, which skips the writes sent after it (the legs, the
    payee's credit, the SUCCESS row, its event, the key) and the COMMIT. The unit is rolled
    back and run again unguarded, which declines it as before (Z9, the day's total given
    back): two round trips for the guess, one for the rollback, four for the decline (the
    reads, the debit, the queued credits rolled up, the writes with the COMMIT)."""
    await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")  # connections warm
    number = await account_of(app, partner, "pooja@sandbox")
    before = await balances(client, partner)
    db = app.state.sandbox.db

    def left(txn_id: str) -> Any:
        params = {"world_id": partner.partner_id, "txn_id": txn_id, "number": number}
        return db.read(lambda conn: raw.fetchone(conn, _LEFT, params))

    _, _, _, queued, day_total = await left("none")
    trips.count = 0
    response = await pay(
        client, partner, "pooja@sandbox", "ravi@sandbox", "5.00", headers={"Idempotency-Key": "z9"}
    )
    body = response.json()
    assert (body["status"], body["responseCode"]) == ("FAILURE", "Z9")
    assert "has less than" in body["detail"]
    assert trips.count == 2 + 1 + 4
    assert trips.rollbacks == 0
    assert await left(body["txnId"]) == (0, 1, "FAILURE Z9", queued, day_total)
    assert await balances(client, partner) == before
    await ledger_ok(client, partner)
    again = await pay(
        client, partner, "pooja@sandbox", "ravi@sandbox", "5.00", headers={"Idempotency-Key": "z9"}
    )
    assert again.json() == {**body, "replayed": True}


_BANKS = Raw("SELECT count(*) FROM banks WHERE world_id = :world_id")
_NO_BANKS_GUARD = Raw(  # divides by zero when the world has no bank
    "SELECT 1 / (SELECT count(*) FROM banks WHERE world_id = :world_id)::int"
)


@pytest.mark.usefixtures("postgres_only")
async def test_a_guard_that_fails_skips_what_went_after_it_and_the_unit_runs_again(
    settings: Settings, trips: RoundTrips
) -> None:
    """A guarded statement that divides by zero makes the server skip the rest of its round
    trip (the write queued after it, the COMMIT); the unit is rolled back at the libpq level
    and run again, unguarded, on the same connection. The write was due to be prepared in
    that round trip (its third run): the server skipped its Parse, so psycopg's manager must
    forget the name, or the run again would execute a statement that does not exist."""
    db = open_database(settings)
    try:
        runs: list[bool] = []

        def unit(conn: Connection) -> int:
            runs.append(pg_queue.speculating(conn))
            raw.guard(conn, _NO_BANKS_GUARD, {"world_id": "w-none"})  # unguarded: not sent
            raw.send(conn, ADD_BANK, {"world_id": "w-guard", "code": f"G{len(runs)}"})
            return len(runs)

        def warm(code: str) -> Callable[[Connection], None]:
            return lambda conn: raw.send(conn, ADD_BANK, {"world_id": "w-warm", "code": code})

        for code in ("W1", "W2"):  # run twice: psycopg prepares it at its next run
            await db.write(warm(code))
        trips.count = 0
        assert await db.write(unit) == 2
        assert runs == [True, False]
        assert trips.count == 1 + 1 + 1  # the guess, the ROLLBACK, the unit unguarded
        assert trips.rollbacks == 0  # not psycopg's (it deallocates every statement)
        codes = await db.read(
            lambda conn: (
                conn.execute(sa.text("SELECT code FROM banks WHERE world_id = 'w-guard'"))
                .scalars()
                .all()
            )
        )
        assert codes == ["G2"]
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_a_read_sent_ahead_goes_with_the_next_round_trip(
    settings: Settings, trips: RoundTrips
) -> None:
    """``read_ahead``: the read goes out with the unit's next round trip, before the writes
    queued after it; alone, it is sent when its rows are asked for; once writes are queued,
    none is taken (it would overtake them)."""
    db = open_database(settings)
    try:

        def unit(conn: Connection) -> tuple[Any, ...]:
            first = pg_queue.read_ahead(conn, _BANKS.pg, {"world_id": "w-ahead"})
            assert first is not None
            assert first.rows is None
            raw.send(conn, ADD_BANK, {"world_id": "w-ahead", "code": "A1"})
            after = raw.fetchone(conn, _BANKS, {"world_id": "w-ahead"})
            with_statement = trips.count
            assert first.rows is not None  # came back with that statement
            second = pg_queue.read_ahead(conn, _BANKS.pg, {"world_id": "w-ahead"})
            assert second is not None
            raw.send(conn, ADD_BANK, {"world_id": "w-ahead", "code": "A2"})
            refused = pg_queue.read_ahead(conn, _BANKS.pg, {"world_id": "w-ahead"})
            alone = pg_queue.arrived(conn, second)  # sent now, before the write after it
            return first.rows[0][0], after, with_statement, alone[0][0], trips.count, refused

        await db.write(lambda conn: raw.fetchone(conn, _BANKS, {"world_id": "w"}))  # warm
        trips.count = 0
        assert await db.write(unit) == (0, (1,), 1, 1, 2, None)
        assert trips.count == 3  # and the COMMIT with the second write
        assert await db.read(lambda conn: raw.fetchone(conn, _BANKS, {"world_id": "w-ahead"})) == (
            2,
        )
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_a_blind_write_that_fails_fails_its_unit_at_the_flush(settings: Settings) -> None:
    """A queued INSERT that breaks a unique key raises IntegrityError (what ``write_once``
    retries on) when the queue is sent, and nothing of the unit is committed."""
    db = open_database(settings)
    assert isinstance(db, PostgresDatabase)
    try:

        def twice(conn: Connection) -> None:
            raw.send(conn, ADD_BANK, {"world_id": "w-none", "code": "DUP"})
            raw.send(conn, ADD_BANK, {"world_id": "w-none", "code": "DUP"})

        with pytest.raises(sa.exc.IntegrityError):
            await db.write(twice)

        def count(conn: Connection) -> int:
            found = conn.execute(sa.text("SELECT count(*) FROM banks WHERE code = 'DUP'"))
            return int(found.scalar_one())

        assert await db.read(count) == 0
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_queued_writes_run_in_the_order_queued(settings: Settings) -> None:
    """One batch's rows get their serial ids in the order the unit queued them (a payment's
    DEBIT legs before its REVERSAL legs), though the batch is one statement of CTEs."""
    db = open_database(settings)
    post = Raw(
        "INSERT INTO ledger_entries (world_id, posting_id, txn_id, leg, account, amount,"
        " created_us) VALUES (:world_id, :leg, 'T-ORDER', :leg, 'A', 0, 0)"
    )
    legs = ["DEBIT", "CREDIT", "REVERSAL", "TCC"]
    try:

        def unit(conn: Connection) -> list[str]:
            for leg in legs:
                raw.send(conn, post, {"world_id": "w-order", "leg": leg})
            found = conn.execute(
                sa.text("SELECT leg FROM ledger_entries WHERE world_id = 'w-order' ORDER BY id")
            )
            return [r.leg for r in found]

        assert await db.write(unit) == legs
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_a_statement_reads_what_the_queued_writes_wrote(settings: Settings) -> None:
    """Raw and SQLAlchemy statements both run after the writes queued before them."""
    db = open_database(settings)
    try:

        def unit(conn: Connection) -> tuple[int, int]:
            raw.send(conn, ADD_BANK, {"world_id": "w-none", "code": "Q1"})
            seen_raw = raw.fetchone(
                conn, Raw("SELECT count(*) FROM banks WHERE code = :code"), {"code": "Q1"}
            )
            raw.send(conn, ADD_BANK, {"world_id": "w-none", "code": "Q2"})
            seen_core = conn.execute(sa.text("SELECT count(*) FROM banks WHERE code = 'Q2'"))
            assert seen_raw is not None
            return int(seen_raw[0]), int(seen_core.scalar_one())

        assert await db.write(unit) == (1, 1)
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_a_connection_killed_in_the_pool_is_replaced_and_the_unit_runs(
    settings: Settings,
) -> None:
    """No ping per checkout: a unit that meets a dead connection before its COMMIT runs again
    on a new one."""
    db = open_database(settings)
    try:
        pid = await db.read(lambda conn: conn.execute(sa.text("SELECT pg_backend_pid()")).scalar())
        db.write_sync(
            lambda conn: conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        )
        again = await db.read(
            lambda conn: conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        )
        assert again != pid
        assert (
            await db.write(lambda conn: raw.execute(conn, ADD_BANK, {"world_id": "w", "code": "K"}))
            == 1
        )
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("first", ["raw", "many", "core", "queued"])
async def test_a_unit_that_fails_after_its_first_statement_leaves_nothing(
    settings: Settings, first: str
) -> None:
    """The loop's connections are in autocommit at the driver and a unit sends its own BEGIN
    with its first statement: whichever kind that is (raw, raw executemany, SQLAlchemy Core, or
    a queued write followed by a read), a unit that then fails commits none of it."""
    db = open_database(settings)
    assert isinstance(db, PostgresDatabase)
    code = f"F{first[0].upper()}"
    try:

        def fails(conn: Connection) -> None:
            params = {"world_id": "w-none", "code": code}
            if first == "raw":
                raw.execute(conn, ADD_BANK, params)
            elif first == "many":
                raw.executemany(conn, ADD_BANK, [params])
            elif first == "core":
                conn.execute(
                    sa.text(
                        "INSERT INTO banks (world_id, code, name, psp_handle, online) "
                        "VALUES ('w-none', :code, 'Bank', 'bank', true)"
                    ),
                    {"code": code},
                )
            else:
                raw.send(conn, ADD_BANK, params)
                raw.fetchone(conn, Raw("SELECT 1 WHERE :world_id = :world_id"), params)
            raise RuntimeError("the unit fails after its first statement")

        with pytest.raises(RuntimeError):
            await db.write(fails)

        def count(conn: Connection) -> int:
            found = conn.execute(sa.text("SELECT count(*) FROM banks WHERE code = :c"), {"c": code})
            return int(found.scalar_one())

        assert await db.read(count) == 0
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_statements_past_psycopgs_cache_are_deallocated_and_errors_stay_themselves(
    settings: Settings,
) -> None:
    """``pg_wire`` prepares through psycopg's own ``PrepareManager``: past its 100 statements
    per connection the oldest are deallocated (the server keeps no more than that), a unit's
    error is still its own (IntegrityError, not a failed DEALLOCATE in an aborted
    transaction), and the connection serves the next unit."""
    db = open_database(settings)
    try:

        def many(conn: Connection) -> list[int]:
            seen = []
            for _ in range(2):  # the second run of each text prepares it
                for n in range(130):
                    row = raw.fetchone(conn, Raw(f"SELECT {n} WHERE :w = :w"), {"w": "x"})
                    assert row is not None
                    seen.append(int(row[0]))
            return seen

        assert await db.write(many) == [*range(130), *range(130)]

        def prepared(conn: Connection) -> int:
            found = conn.execute(sa.text("SELECT count(*) FROM pg_prepared_statements"))
            return int(found.scalar_one())

        assert await db.write(prepared) <= 101

        def fails(conn: Connection) -> None:
            many(conn)
            raw.send(conn, ADD_BANK, {"world_id": "w-none", "code": "E1"})
            raw.send(conn, ADD_BANK, {"world_id": "w-none", "code": "E1"})
            raw.fetchone(conn, Raw("SELECT 1 WHERE :w = :w"), {"w": "x"})

        with pytest.raises(sa.exc.IntegrityError):
            await db.write(fails)
        assert len(await db.write(many)) == 260
    finally:
        db.close()
