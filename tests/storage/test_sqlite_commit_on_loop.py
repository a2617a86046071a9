"""``sqlite_commit_on_loop_max``: a batch of at most that many units COMMITs on the event loop
itself (no hand-off to the commit thread and back); a larger one on the commit thread. Either
way every caller is answered after its batch's COMMIT, and a refused COMMIT is rolled back and
forgotten before any caller hears."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from sandbox.storage.database import SqliteDatabase
from tests.storage.bank_units import bank_codes, insert_bank

pytestmark = pytest.mark.anyio


@pytest.fixture
def db(sqlite_writer: Callable[..., SqliteDatabase]) -> SqliteDatabase:
    return sqlite_writer(sqlite_commit_on_loop_max=2)


async def test_small_batches_commit_on_the_loop_large_ones_on_the_commit_thread(
    db: SqliteDatabase,
) -> None:
    commits: list[int] = []
    sa.event.listen(db.engine, "commit", lambda _conn: commits.append(threading.get_ident()))
    loop_thread = threading.get_ident()
    assert await db.write(insert_bank("ONE", remember=True)) == "ONE"
    assert list(
        await asyncio.gather(
            db.write(insert_bank("T1", remember=True)), db.write(insert_bank("T2", remember=True))
        )
    ) == [
        "T1",
        "T2",
    ]
    assert commits == [loop_thread, loop_thread]  # a batch of one, then of two: on the loop
    codes = [f"L{i:02d}" for i in range(5)]
    assert await asyncio.gather(*(db.write(insert_bank(c, remember=True)) for c in codes)) == codes
    assert len(commits) == 3
    assert commits[2] != loop_thread  # a batch of five: the commit thread's
    assert db.read_sync(bank_codes) == sorted(["ONE", "T1", "T2", *codes])


async def test_a_refused_commit_on_the_loop_answers_its_callers_after_the_rollback(
    db: SqliteDatabase,
) -> None:
    def refuse(_conn: sa.Connection) -> None:
        raise OSError("disk full")

    async def caller(code: str) -> tuple[str, int]:
        try:
            await db.write(insert_bank(code, remember=True))
        except OSError as exc:
            return str(exc), len(db.memory)  # what the memory holds the moment it is answered
        return "committed", len(db.memory)

    sa.event.listen(db.engine, "commit", refuse)
    answers = await asyncio.gather(caller("LOST1"), caller("LOST2"))
    sa.event.remove(db.engine, "commit", refuse)
    assert list(answers) == [("disk full", 0)] * 2
    # rolled back: the next batch begins and commits, the lost rows are gone
    assert await caller("AFTER") == ("committed", 1)
    assert db.read_sync(bank_codes) == ["AFTER"]
