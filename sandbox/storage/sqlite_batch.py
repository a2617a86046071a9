"""The SQLite writer's batches: the units it runs and how their callers are answered."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

log = logging.getLogger("sandbox.storage")


class BatchAbandoned(RuntimeError):
    """A batch's loop stopped before it committed (closed between two slices, or interrupted
    inside one): the batch was rolled back, and none of its units is durable."""


@dataclass(slots=True)
class Pending:
    fn: Callable[[Connection], Any]
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[Any] | concurrent.futures.Future[Any]
    result: Any = None
    error: BaseException | None = field(default=None)


@dataclass(slots=True)
class Sliced:
    """A batch the event loop is running a slice at a time (it holds ``_busy``)."""

    loop: asyncio.AbstractEventLoop
    conn: Connection
    """The write connection, in the batch's transaction (begun on its driver connection)."""
    batch: list[Pending]
    budget: float | None
    """Seconds per slice (None: the rest at once)."""
    next: int = 0


class SliceTicket:
    """The argument of a sliced batch's next-slice callback, which marks it ``used``.

    A loop that is closed between two slices (``asyncio.run`` ending, a shutdown that did not
    close the database on the loop first) drops its pending callbacks unrun: the ticket is then
    freed unused and calls ``abandon``, which rolls the batch back and frees the write
    connection. Without it the connection kept the batch's transaction open, and with it
    SQLite's write lock, for the life of the process (and ``close()`` waited for it forever).
    """

    __slots__ = ("_abandon", "used")

    def __init__(self, abandon: Callable[[], None]) -> None:
        self._abandon = abandon
        self.used = False

    def __del__(self) -> None:
        if self.used:
            return
        try:
            self._abandon()
        except Exception:  # a finaliser must not raise; the log says what was left
            log.exception("rolling back a batch its closed event loop dropped failed")


@dataclass(slots=True)
class LoopQueue:
    """Units queued on one event loop, and whether a flush is scheduled there."""

    items: list[Pending] = field(default_factory=list)
    scheduled: bool = False


def deliver(
    batch: list[Pending],
    then: dict[asyncio.AbstractEventLoop, Callable[[], None]] | None = None,
) -> None:
    """Answer the callers of a committed (or failed) batch: one wake-up per event loop, which
    also schedules that loop's ``then`` (the next batch) behind the callers it resumed."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Pending]] = {loop: [] for loop in then or {}}
    for item in batch:
        if item.loop is None:
            cfut = item.future
            assert isinstance(cfut, concurrent.futures.Future)
            if item.error is not None:
                cfut.set_exception(item.error)
            else:
                cfut.set_result(item.result)
        else:
            by_loop.setdefault(item.loop, []).append(item)
    for loop, items in by_loop.items():
        # a closed loop raises RuntimeError: nobody is waiting any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_answer, loop, items, (then or {}).get(loop))


def _answer(
    loop: asyncio.AbstractEventLoop, items: list[Pending], then: Callable[[], None] | None
) -> None:
    """On ``loop``: resume the callers, then queue ``then`` after their resumptions."""
    resolve_on_loop(items)
    if then is not None:
        loop.call_soon(then)


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def resolve_on_loop(items: list[Pending]) -> None:
    for item in items:
        fut = item.future
        assert isinstance(fut, asyncio.Future)
        if fut.done():  # the caller was cancelled; the effect is committed regardless
            continue
        if item.error is not None:
            fut.set_exception(item.error)
        else:
            fut.set_result(item.result)
