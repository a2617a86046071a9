"""A partner (team, integrator, pilot) and its world's virtual clock. No I/O here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_WORLD_SEED = 2026


@dataclass(frozen=True, slots=True)
class Partner:
    id: str
    name: str
    contact_email: str
    webhook_url: str | None
    webhook_secret: str
    country: str
    world_seed: int
    world_residents: int
    clock_offset_us: int
    created_us: int

    @property
    def world_id(self) -> str:
        """A partner owns exactly one world, named by the partner's id."""
        return self.id

    @property
    def clock(self) -> WorldClock:
        return WorldClock(self.clock_offset_us)


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request: the partner and the key it used."""

    partner: Partner
    key_id: str


def real_now_us() -> int:
    return time.time_ns() // 1000


class WorldClock:
    """World time = real time + the world's offset; partners can only move it forward."""

    __slots__ = ("offset_us",)

    def __init__(self, offset_us: int = 0) -> None:
        self.offset_us = offset_us

    def now_us(self) -> int:
        return real_now_us() + self.offset_us

    def now(self) -> datetime:
        return to_datetime(self.now_us())


def to_datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def iso(us: int) -> str:
    """RFC 3339 with milliseconds and a Z, the form every timestamp on the wire takes."""
    return to_datetime(us).isoformat(timespec="milliseconds").replace("+00:00", "Z")
