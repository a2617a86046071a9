"""Units and statements the storage tests run: insert a bank, read the banks' codes."""

from __future__ import annotations

import threading
from collections.abc import Callable

import sqlalchemy as sa

from sandbox.storage import writer_memory
from sandbox.storage.raw import Raw
from sandbox.storage.schema import banks

ADD_BANK = Raw(
    "INSERT INTO banks (world_id, code, name, psp_handle, online) "
    "VALUES (:world_id, :code, 'Bank', 'bank', true)"
)
"""A bank of ``code`` in ``world_id``, as one raw statement (the PostgreSQL queue's tests)."""


def insert_bank(
    code: str, *, seen: list[int] | None = None, remember: bool = False
) -> Callable[[sa.Connection], str]:
    """A unit inserting bank ``code``; ``seen`` gets the thread it ran on, ``remember`` puts an
    entry in the writer's memory beside the row (as a store does)."""

    def unit(conn: sa.Connection) -> str:
        if seen is not None:
            seen.append(threading.get_ident())
        conn.execute(
            banks.insert().values(
                world_id="w1", code=code, name="Bank", psp_handle="bank", online=True
            )
        )
        if remember:
            memory = writer_memory.current()
            assert memory is not None
            memory.put(("seen", code), 1)
        return code

    return unit


def bank_codes(conn: sa.Connection) -> list[str]:
    return sorted(r.code for r in conn.execute(sa.select(banks.c.code)))
