"""Keyset pagination cursors: ``<created_us>.<id>`` of the last row of the previous page.

Every list endpoint pages newest first by (creation time, id); the cursor names the last row
seen, so pages stay stable while new rows arrive. ``keyset_page`` is the whole round: parse the
cursor, read one row more than the page in a unit of work, cut the page and make the next cursor.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sandbox.errors import InvalidRequest

T = TypeVar("T")

# ASCII digits only (str.isdigit() passes "²", which int() refuses) and at most 18 of them (19
# may overflow a BIGINT bind).
_TIME = r"([0-9]{1,18})"


def make_cursor(created_us: int, row_id: str) -> str:
    return f"{created_us}.{row_id}"


def page(
    rows: Sequence[T], limit: int, key: Callable[[T], tuple[int, str]]
) -> tuple[list[T], str | None]:
    """The page of ``rows`` (fetched with ``limit + 1``, so one more means there is a next
    page) and the cursor of its last row, or None on the last page."""
    if len(rows) <= limit:
        return list(rows), None
    kept = list(rows[:limit])
    return kept, make_cursor(*key(kept[-1]))


def cursor_pattern(id_pattern: str) -> re.Pattern[str]:
    """The cursors of a listing whose rows have ids matching ``id_pattern`` (a regex)."""
    return re.compile(rf"{_TIME}\.({id_pattern})")


def parse_cursor(cursor: str | None, pattern: re.Pattern[str]) -> tuple[int, str] | None:
    """``(created_us, id)`` of a cursor this API returned; None for the first page."""
    if cursor is None:
        return None
    match = pattern.fullmatch(cursor)
    if match is None:
        raise InvalidRequest(
            "query.cursor",
            "cursor",
            "is not a cursor this API returned",
            hint="Pass `nextCursor` from the previous page unchanged.",
        )
    return int(match[1]), match[2]


Before = tuple[int, str] | None
"""``(created_us, id)`` of the last row of the previous page; None for the first page."""


async def keyset_page(
    run: Callable[[Callable[[Any], list[T]]], Awaitable[list[T]]],
    read: Callable[[Any, Before, int], list[T]],
    *,
    cursor: str | None,
    pattern: re.Pattern[str],
    limit: int,
    key: Callable[[T], tuple[int, str]],
) -> tuple[list[T], str | None]:
    """A page of a listing and the cursor of the next: ``read(conn, before, limit + 1)`` (the
    rows older than ``before``, newest first) in a unit of work of ``run`` (``db.read``, or
    ``db.write`` for listings that mark lapsed rows as they read them)."""
    before = parse_cursor(cursor, pattern)
    rows = await run(lambda conn: read(conn, before, limit + 1))
    return page(rows, limit, key)
