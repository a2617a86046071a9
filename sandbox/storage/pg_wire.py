"""PostgreSQL: a unit's statements sent at the libpq level, several in one round trip.

``pg_queue`` sends a write unit's BEGIN with its first statement and its COMMIT with its last
writes. psycopg's own pipeline (``AsyncConnection.pipeline()``) does that, but pays for it in
Python at every statement and at every enter and exit (a lock, a wait and a queue of
callbacks each); counted with callgrind, a payment's two pipelines cost ~300 k instructions
of the worker more than the same messages sent by hand (docs/load-testing-history.md, "BEGIN and
COMMIT at the libpq level"). So ``Wire.send`` takes the round trip's commands, puts libpq in
pipeline mode, queues them (``BEGIN`` and ``COMMIT`` as bare commands, statements prepared
or not), ends them with one Sync and reads every result in one wait on the event loop.

What psycopg still does: the waiting (``AsyncConnection.wait`` with its generators), the
adaptation (a ``Transformer`` kept per connection dumps the parameters and loads the rows,
as a cursor would), and the prepared statements: ``Wire`` asks the connection's own
``PrepareManager`` (``AsyncConnection._prepared``, psycopg's one private attribute used here)
whether a text is prepared, under which name, and tells it what came back, exactly as a
cursor does. One manager for both paths matters: psycopg's ``rollback()`` deallocates every
prepared statement of the connection and forgets them there, and statements run through
SQLAlchemy share the names.

Errors follow the server's rule for a pipeline: the first failed command skips the rest (the
COMMIT with it), its error is raised once every result is read, the transaction is left
aborted and the unit rolls it back, as after any failed statement.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import psycopg
from psycopg import generators, pq
from psycopg._preparing import Prepare
from psycopg.abc import PQGen
from psycopg.abc import Transformer as Adaptation
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq.abc import PGconn, PGresult

Command = bytes | tuple[bytes, Sequence[Any]]
"""A bare command (``b"BEGIN"``, ``b"COMMIT"``) or a statement's ``$n`` text and parameters."""

_TEXT = pq.Format.TEXT
_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)
_SYNC = pq.ExecStatus.PIPELINE_SYNC
_PARSED = pq.ExecStatus.COMMAND_OK
_BAD = pq.ConnStatus.BAD
_AUTO = PyFormat.AUTO


class Reply:
    """What the last statement of a round trip returned: its row count and rows; and, in
    ``leading``, what the round trip's first statements returned, if ``send`` was asked."""

    __slots__ = ("_result", "_tx", "leading", "rowcount")

    def __init__(self, tx: Adaptation | None, result: PGresult | None, rowcount: int) -> None:
        self._tx = tx
        self._result = result
        self.rowcount = rowcount
        self.leading: list[Reply] = []

    @classmethod
    def empty(cls) -> Reply:
        """No statement ran (an ``executemany`` of no rows): nothing counted, no rows."""
        return cls(None, None, 0)

    def rows(self) -> list[tuple[Any, ...]]:
        result, tx = self._result, self._tx
        if result is None or tx is None or result.status != pq.ExecStatus.TUPLES_OK:
            raise psycopg.ProgrammingError("the last statement returned no rows")
        tx.set_pgresult(result)
        return tx.load_rows(0, result.ntuples, tuple)


class Wire:
    """One driver connection's way to the server at the libpq level."""

    __slots__ = ("_tx", "driver")

    def __init__(self, driver: psycopg.AsyncConnection[Any]) -> None:
        self.driver = driver
        self._tx = Transformer(driver)

    async def send(
        self, commands: Sequence[Command], *, many: Sequence[Any] = (), leading: int = 0
    ) -> Reply:
        """Send ``commands`` in one round trip, then return what the last statement returned.

        ``many``: more parameter rows for the last statement, each one more execution in the
        same round trip (its row count is then their sum, as ``executemany``'s). ``leading``:
        how many of the first statements' results to return too, in the reply's ``leading``
        (reads sent ahead with the round trip, ``pg_queue.read_ahead``)."""
        driver = self.driver
        pgconn = driver.pgconn
        prepared = driver._prepared  # psycopg-private: see the module docstring
        sends: list[Callable[[], None]] = []
        expect: list[_Expect | _Parse | None] = []  # per message sent: a statement's, or None
        last = max((i for i, c in enumerate(commands) if not isinstance(c, bytes)), default=-1)
        kept: list[PGresult] = []
        for i, command in enumerate(commands):
            if isinstance(command, bytes):
                sends.append(partial(pgconn.send_query_params, command, None))
                expect.append(None)
                continue
            text, params = command
            keep = leading > 0
            leading -= keep
            for row in (params, *many) if i == last else (params,):
                self._queue(prepared, pgconn, text, row, sends, expect, last=i == last, keep=keep)
        async with driver.lock:
            results = await driver.wait(_exchange(pgconn, sends))
        error: psycopg.Error | None = None
        reply: PGresult | None = None
        rowcount = 0
        for expected, result in zip(expect, results, strict=True):
            pending = expected if isinstance(expected, _Expect) else None
            if isinstance(expected, _Parse) and (not result or result[0].status != _PARSED):
                # skipped after an earlier error (or failed): the server has no such
                # statement, whatever the manager was told when it was queued
                prepared._names.pop(expected.key, None)
            if pending is not None and pending.key is not None:
                prepared.validate(pending.key, pending.prep, pending.name, result)
            if not result or result[0].status not in _OK:
                if error is None:
                    error = _error(driver, result[0] if result else None)
                continue
            if pending is None:
                continue
            if pending.keep:
                kept.append(result[0])
            if pending.last:
                reply = result[0]
                count = reply.command_tuples
                rowcount += count if count is not None else 0
        if error is not None:
            # the transaction is aborted: no DEALLOCATE now (it would fail and hide this
            # error); psycopg's rollback that follows deallocates them all, ``pg_queue``'s
            # keeps them (the manager was told above which Parses the server skipped)
            raise error
        if prepared._to_flush:  # statements the manager evicted: deallocate them
            async with driver.lock:
                await driver.wait(prepared.maintain_gen(driver))
        answer = Reply(self._tx, reply, rowcount if reply is not None else -1)
        answer.leading = [Reply(self._tx, r, r.command_tuples or 0) for r in kept]
        return answer

    def _queue(
        self,
        prepared: Any,
        pgconn: PGconn,
        text: bytes,
        params: Sequence[Any],
        sends: list[Callable[[], None]],
        expect: list[_Expect | _Parse | None],
        *,
        last: bool,
        keep: bool = False,
    ) -> None:
        tx = self._tx
        values = tx.dump_sequence(params, [_AUTO] * len(params))
        query = _Query(text, tx.types or (), tx.formats)
        prep, name = prepared.get(query, None)
        if prep is Prepare.NO:
            sends.append(
                partial(
                    pgconn.send_query_params,
                    text,
                    values,
                    param_formats=query.formats,
                    param_types=query.types,
                    result_format=_TEXT,
                )
            )
        else:
            if prep is Prepare.SHOULD:
                sends.append(partial(pgconn.send_prepare, name, text, param_types=query.types))
                expect.append(_Parse(prepared.key(query)))
            sends.append(
                partial(
                    pgconn.send_query_prepared,
                    name,
                    values,
                    param_formats=query.formats,
                    result_format=_TEXT,
                )
            )
        key = prepared.maybe_add_to_cache(query, prep, name)
        expect.append(_Expect(key, prep, name, last, keep))


class _Expect:
    """A statement's execution in a round trip: what to tell psycopg's ``PrepareManager``
    of its result (``key`` None: nothing), whether it is the last statement's, and whether its
    result is returned too (``keep``)."""

    __slots__ = ("keep", "key", "last", "name", "prep")

    def __init__(self, key: Any, prep: Prepare, name: bytes, last: bool, keep: bool) -> None:
        self.key = key
        self.prep = prep
        self.name = name
        self.last = last
        self.keep = keep  # one of the round trip's leading statements (``send``'s ``leading``)


class _Parse:
    """A statement's preparation in a round trip (``Prepare.SHOULD``): the manager already
    counts it as prepared under its name; a Parse the server skipped or refused is forgotten."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key


class _Query:
    """What psycopg's ``PrepareManager`` reads of a query: its text and parameter types."""

    __slots__ = ("formats", "query", "types")

    def __init__(self, query: bytes, types: tuple[int, ...], formats: Any) -> None:
        self.query = query
        self.types = types
        self.formats = formats


def _exchange(pgconn: PGconn, sends: list[Callable[[], None]]) -> PQGen[list[list[PGresult]]]:
    """The commands in pipeline mode, one Sync, every result read (one list per command)."""
    pgconn.enter_pipeline_mode()
    results: list[list[PGresult]] = []
    try:
        for send in sends:
            send()
        pgconn.pipeline_sync()
        yield from generators.send(pgconn)
        while True:
            got = yield from generators.fetch_many(pgconn)
            if got and got[0].status == _SYNC:
                break
            results.append(got)
    except BaseException:
        # a broken connection or an interrupted wait: results may be left unread, and
        # leaving pipeline mode then fails; the error on its way out is the one to raise
        # (the unit's connection is then rolled back, or found broken and replaced)
        if pgconn.status != _BAD:
            with contextlib.suppress(psycopg.OperationalError):
                pgconn.exit_pipeline_mode()
        raise
    pgconn.exit_pipeline_mode()
    return results


def _error(driver: psycopg.AsyncConnection[Any], result: PGresult | None) -> psycopg.Error:
    if result is None:
        return psycopg.errors.InternalError("the server sent no result for a command")
    if result.status == pq.ExecStatus.PIPELINE_ABORTED:
        return psycopg.errors.PipelineAborted("pipeline aborted")
    return psycopg.errors.error_from_result(result, encoding=driver.info.encoding)
