"""Deposit statement lines, rendered once per process and kept: the seeded history of each
account, and each past or present day of its ledger.

A year's FI fetch of a busy account (Meera's CURRENT: ~1,500 seeded lines, plus a line per
payment she took) spent most of its time generating the seeded history (``history.seeded_lines``)
and turning each line, seeded or ledger, into its ``Transaction`` element, on every fetch,
though neither changes between fetches. ``LINES`` keeps them, each as ``Rendered``: the lines,
their deposit ``Transaction`` elements, in time order for a bisect by range.

- **Seeded history** (``SeededKey``): a pure function of its key (world seed, country, number,
  type, opening balance, opening time, the anchor, the currency's minor units), so there is
  nothing to invalidate. It ends at the anchor (the partner's creation), before the world's
  first ledger entry: it is all past.
- **Ledger days** (``LedgerDayKey``: world, account, its opening time, the UTC day): a day's
  entries with their running balances. Each fetch asks the ledger for the days of its range
  (``payments.service.statement.ledger_days``: one grouped query) and uses a cached day only if
  its token, (entry count, highest entry id, balance at the day's start), is the ledger's now.
  The ledger is append-only, so a new entry of that day, or of any day before it, changes the
  token: today's part (and a late commit on an earlier day) is read again; past days are not.
- **World reset**: a reset regenerates the accounts with a new opening time (the generator
  opens them relative to the reset's now), which is in both keys, so entries of the world
  before the reset are never served after it; they age out. Data-keyed entries stay right when
  another worker or host resets the world or writes the ledger, which no in-process
  invalidation hook could promise.
- **Bounded by size**: a ``cachetools.LRUCache`` whose size is the number of lines (plus one
  per entry): ``MAX_LINES`` lines at roughly 1 KB each (the line, its element, the attribute
  strings) is about 100 MB at most; least recently used first out.
- **Thread-safe**: units of work run on the SQLite writer's thread or a thread pool, so the LRU
  is used under a lock; a miss is made outside it (two threads may both make the same entry
  once; the result is the same).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from contextlib import suppress
from dataclasses import dataclass

from cachetools import LRUCache

from consent.fip.models import Line
from consent.fip.render import Element

MAX_LINES = 100_000  # ~65 busy account-years (a CURRENT account's seeded year: ~1,500 lines)


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
class LedgerDayKey:
    """One UTC day of an account's ledger (``opened_us`` changes with a world reset)."""

    world_id: str
    number: str
    opened_us: int
    minor_units: int
    day: int


@dataclass(frozen=True, slots=True)
class Rendered:
    """Lines, oldest first, each with its deposit ``Transaction``; ``token`` says which state
    of the source they were made from."""

    lines: tuple[Line, ...]
    elements: tuple[Element, ...]
    times: tuple[int, ...]  # at_us of each line, for the bisect
    token: Hashable = None

    @classmethod
    def of(
        cls, lines: Sequence[Line], render: Callable[[Line], Element], token: Hashable = None
    ) -> Rendered:
        elements = tuple(render(x) for x in lines)
        return cls(tuple(lines), elements, tuple(x.at_us for x in lines), token)

    def between(self, from_us: int, to_us: int) -> tuple[list[Line], list[Element]]:
        """The lines made in ``[from_us, to_us)`` and their elements."""
        start, end = bisect_left(self.times, from_us), bisect_left(self.times, to_us)
        return list(self.lines[start:end]), list(self.elements[start:end])


class LineCache:
    """Key -> ``Rendered``, least recently used first out, bounded by lines."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self._lru: LRUCache[Hashable, Rendered] = LRUCache(
            maxsize=max_lines, getsizeof=lambda r: len(r.lines) + 1
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, make: Callable[[], Rendered], token: Hashable = None) -> Rendered:
        """The entry of ``key`` made from the source's state ``token``; ``make()`` otherwise."""
        with self._lock:
            found = self._lru.get(key)
            if found is not None and found.token == token:
                self.hits += 1
                return found
            self.misses += 1
        made = make()
        with self._lock, suppress(ValueError):  # larger than the whole cache: served, not kept
            self._lru[key] = made
        return made

    def __len__(self) -> int:
        return len(self._lru)

    @property
    def lines(self) -> int:
        """The size in use (lines plus one per entry)."""
        return int(self._lru.currsize)


LINES = LineCache()
"""The process's cache. Every key names its world and every input, so every app of the process
may share it."""
