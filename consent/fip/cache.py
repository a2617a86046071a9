"""The seeded history of deposit accounts, generated once per process and kept rendered.

A year's FI fetch of a busy account (Meera's CURRENT: ~1,500 lines) spent about a third of its
time generating the seeded history (``history.seeded_lines``) and another third turning each
line into its ``Transaction`` element, on every fetch, although both are a pure function of the
account: the world seed, country, number, type, opening balance, opening time, the anchor (the
partner's creation) and the currency's minor units. ``SeededCache`` keeps, per such key, the
lines and their deposit ``Transaction`` elements, in time order for a bisect by range.

- **Nothing to invalidate.** The key holds every input of the generation, so a world reset that
  regenerates an account with another opening balance or opening time finds another key (and
  one that regenerates the same values finds the same, still right, history). The seeded part
  ends at the anchor, before the world's first ledger entry: it is all past, never "today". The
  ledger's lines (the live part) are not cached; ``payload.deposit_lines`` reads them per fetch.
  Data-keyed entries stay right when another worker or host resets the world, which no
  in-process invalidation hook could promise.
- **Bounded by size.** A ``cachetools.LRUCache`` whose size is the number of lines (plus one per
  entry): ``MAX_LINES`` lines at roughly 1 KB each (the line, its element, the attribute
  strings) is about 100 MB at most; least recently used accounts go first.
- **Thread-safe.** Units of work run on the SQLite writer's thread or a thread pool, so the
  LRU is used under a lock; a miss generates outside it (two threads may both generate the same
  history once; the result is the same).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from cachetools import LRUCache

from consent.fip.models import Line
from consent.fip.render import Element

MAX_LINES = 100_000  # ~65 busy account-years (a CURRENT account's year: ~1,500 lines)


@dataclass(frozen=True, slots=True)
class SeededKey:
    """Every input of ``history.seeded_lines`` and of the lines' rendering, and the world."""

    world_id: str
    seed: int
    country: str
    number: str
    account_type: str
    opening_balance: int
    opened_us: int
    anchor_us: int
    minor_units: int


@dataclass(frozen=True, slots=True)
class SeededHistory:
    """An account's seeded lines, oldest first, each with its deposit ``Transaction``."""

    lines: tuple[Line, ...]
    elements: tuple[Element, ...]
    times: tuple[int, ...]  # at_us of each line, for the bisect

    @classmethod
    def of(cls, lines: list[Line], render: Callable[[Line], Element]) -> SeededHistory:
        return cls(tuple(lines), tuple(render(x) for x in lines), tuple(x.at_us for x in lines))

    def between(self, from_us: int, to_us: int) -> tuple[list[Line], list[Element]]:
        """The lines made in ``[from_us, to_us)`` and their elements."""
        start, end = bisect_left(self.times, from_us), bisect_left(self.times, to_us)
        return list(self.lines[start:end]), list(self.elements[start:end])


class SeededCache:
    """``SeededKey`` -> ``SeededHistory``, least recently used first out, bounded by lines."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self._lru: LRUCache[SeededKey, SeededHistory] = LRUCache(
            maxsize=max_lines, getsizeof=lambda h: len(h.lines) + 1
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: SeededKey, make: Callable[[], SeededHistory]) -> SeededHistory:
        with self._lock:
            found = self._lru.get(key)
            if found is not None:
                self.hits += 1
                return found
            self.misses += 1
        made = make()
        with self._lock, suppress(ValueError):  # larger than the whole cache: not kept
            self._lru[key] = made
        return made

    def __len__(self) -> int:
        return len(self._lru)

    @property
    def lines(self) -> int:
        """The size in use (lines plus one per entry)."""
        return int(self._lru.currsize)


SEEDED = SeededCache()
"""The process's cache: a memo of a pure function (its key is every input), so every app of
the process may share it."""
