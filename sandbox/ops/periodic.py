"""Background jobs that run every few seconds inside an API process (e.g. the payment sweeper
that settles deemed payments and expires collect requests when their world time comes).

A job is never cancelled mid-round: ``stop`` asks the loop to finish its current round and
waits for it, so no unit of work is left running in a thread while the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("sandbox.periodic")


class Periodic:
    def __init__(self, name: str, interval: float, job: Callable[[], Awaitable[int]]) -> None:
        self.name = name
        self.interval = interval
        self.job = job
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=30)
        except TimeoutError:  # a stuck round: give up on it
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.job()
            except Exception:  # a failed round is logged; the next one tries again
                log.exception("periodic job failed", extra={"job": self.name})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)
