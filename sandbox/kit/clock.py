"""Time: the one place the real clock is read, and the forms every timestamp takes.

Every service gets a ``Clock`` as an argument (``AppState.clock`` in the app, a ``ManualClock``
in tests), never reads ``time`` itself; a world's time is that clock plus the world's offset
(``sandbox.world.context.WorldContext``). Times are integers: microseconds since the epoch.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now_us(self) -> int:
        """Real (not world) time, in microseconds since the epoch."""
        ...


class SystemClock:
    """The machine's clock."""

    __slots__ = ()

    def now_us(self) -> int:
        return time.time_ns() // 1000


class ManualClock:
    """A clock that moves only when told to: for tests of expiry, backoff and sweeping."""

    __slots__ = ("_now_us",)

    def __init__(self, start_us: int | None = None) -> None:
        self._now_us = SYSTEM_CLOCK.now_us() if start_us is None else start_us

    def now_us(self) -> int:
        return self._now_us

    def advance(self, seconds: float) -> None:
        self._now_us += int(seconds * 1_000_000)


SYSTEM_CLOCK = SystemClock()


def to_datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


_last_iso: tuple[int, str] = (0, "1970-01-01T00:00:00.000Z")


def iso(us: int) -> str:
    """RFC 3339 with milliseconds and a Z, the form every timestamp on the wire takes.

    The last one is kept: a payment writes its one instant three times (the transaction's
    ``createdAt`` and ``updatedAt``, its event's ``createdAt``)."""
    global _last_iso  # one tuple, replaced whole: any thread reads a matching pair
    last = _last_iso
    if last[0] == us:
        return last[1]
    text = to_datetime(us).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    _last_iso = (us, text)
    return text
