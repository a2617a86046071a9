"""What the single SQLite writer keeps in memory: hot rows it would otherwise read again and again.

In SQLite mode the process is the only writer (DESIGN section 10), so a value the writer read or
wrote inside its transaction stays true until the writer itself changes it. ``WriterMemory`` is
that knowledge: a dict of values derived from rows (a payer's party, PIN tries, today's total),
filled on first read and kept equal to the row by the stores that write it (write-through: the
row is still written in the unit, the memory is updated beside it). Only a running batch sees
it (``current()``, bound by the writer for the batch on the thread running it); PostgreSQL,
the WAL reader and everything else see ``None`` and read SQL.

Coherence rules, all enforced here and in ``sqlite.py`` rather than left to each store:

- **A unit rolled back alone** (its SAVEPOINT) forgets every key it filled or changed, so the
  next read reloads what the rolled-back row holds again.
- **A batch whose COMMIT fails** forgets everything before any caller is answered.
- **Any other write to a watched table** (a world's creation, reset or deletion, a test or an
  admin tool changing a balance through the writer) forgets everything: ``watch(table)`` names
  the tables the memory is derived from, and the writer engine's ``before_cursor_execute`` hook
  clears the memory on every SQLAlchemy INSERT, UPDATE or DELETE of one. The hot path's own
  statements run on the DBAPI cursor (``raw.py``), bypass that hook, and keep the memory right
  themselves.
- Writes from another process are not seen: SQLite mode is one API process (``sandbox serve
  --workers 2`` is refused there), and admin tools go through the running server.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

# Above this many entries the memory starts afresh (a world of a million VPAs would otherwise
# keep all of them); a reload costs one read per key.
MAX_ENTRIES = 200_000

_WATCHED: set[str] = set()
_local = threading.local()


def watch(*tables: str) -> None:
    """Declare tables that values in the memory are derived from (at import, by a store)."""
    _WATCHED.update(tables)


def watched(table: str) -> bool:
    return table in _WATCHED


def current() -> WriterMemory | None:
    """The writer's memory while a batch runs on this thread, else ``None``."""
    memory: WriterMemory | None = getattr(_local, "memory", None)
    return memory


def bind(memory: WriterMemory | None) -> None:
    """Make ``memory`` the current thread's (for the duration of a batch)."""
    _local.memory = memory


class WriterMemory:
    """Keys to values, journalled per unit of work (see the module's rules)."""

    __slots__ = ("_touched", "_values", "cleared")

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._touched: set[Hashable] = set()  # keys filled or changed by the running unit
        self.cleared = 0  # how often it started afresh (tests, metrics)

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: Hashable) -> Any:
        """The value, or ``None`` when not held (values are never ``None``)."""
        return self._values.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        if len(self._values) >= MAX_ENTRIES:
            self.clear()
        self._values[key] = value
        self._touched.add(key)

    def clear(self) -> None:
        self._values.clear()
        self._touched.clear()
        self.cleared += 1

    # -- the writer's hooks ----------------------------------------------------------------
    def unit_done(self) -> None:
        """The unit's SAVEPOINT was released: what it changed stands (until the COMMIT)."""
        self._touched.clear()

    def unit_rolled_back(self) -> None:
        """The unit's SAVEPOINT was rolled back: forget what it filled or changed."""
        for key in list(self._touched):  # a copy: a clear() from another thread cannot break it
            self._values.pop(key, None)
        self._touched.clear()

    def batch_failed(self) -> None:
        """The batch did not commit: nothing of it is durable, forget everything."""
        self.clear()
