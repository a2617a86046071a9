"""Background jobs that run every few seconds inside an API process (e.g. the payment sweeper
that settles deemed payments and expires collect requests when their world time comes)."""

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

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.job()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed round is logged; the next one tries again
                log.exception("periodic job failed", extra={"job": self.name})
            await asyncio.sleep(self.interval)
