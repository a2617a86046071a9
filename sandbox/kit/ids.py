"""Identifiers: prefixed random ids for platform objects (``prt_``, ``key_``, ``evt_``...), and
time-ordered ones for the rows every payment inserts (``evt_``, ``whd_``).

A random primary key puts each insert on a random leaf of its B-tree: once the table outgrows
the page cache, every insert reads a leaf from disk and dirties one more 4 KB page, which each
COMMIT writes to the WAL and each checkpoint writes again. A key that starts with the time it
was made appends to the right-most leaf instead (``ordered_id``, ``time_prefix``).
"""

from __future__ import annotations

import functools
import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"  # in ASCII order (see time_prefix)


@functools.cache
def _pairs(alphabet: str) -> tuple[str, ...]:
    """Every value below 36**2 as its two base-36 digits, the least significant first."""
    return tuple(alphabet[p % 36] + alphabet[p // 36] for p in range(36 * 36))


def base36(n: int, length: int, alphabet: str = _ALPHABET) -> str:
    """The ``length`` least significant base-36 digits of ``n`` in ``alphabet``, the least
    significant first: what ``length`` rounds of ``divmod(n, 36)`` give, two digits per round
    (ids are made on every payment, and the rounds in Python were most of their cost)."""
    pairs = _pairs(alphabet)
    out = []
    for _ in range(length // 2):
        n, pair = divmod(n, 36 * 36)
        out.append(pairs[pair])
    if length % 2:
        out.append(alphabet[n % 36])
    return "".join(out)


TIME_DIGITS = 9
"""Milliseconds since the epoch in 9 base-36 digits: enough until the year 5188."""


def time_prefix(now_us: int, alphabet: str = _ALPHABET) -> str:
    """``now_us`` in whole milliseconds as ``TIME_DIGITS`` base-36 digits, the most significant
    first, in an ``alphabet`` listed in ASCII order: later times give larger strings."""
    return base36(now_us // 1000, TIME_DIGITS, alphabet)[::-1]


_UNIFORM = 7 * 36
"""Random bytes below this map onto the 36 digits evenly (``byte % 36``); the rest are drawn
again."""


@functools.cache
def _digit_of_byte(alphabet: str) -> bytes:
    """``bytes.translate``'s table: byte b to the digit ``alphabet[b % 36]``."""
    return bytes(ord(alphabet[b % 36]) for b in range(256))


_UNEVEN = bytes(range(_UNIFORM, 256))


def random_digits(length: int, alphabet: str = _ALPHABET) -> str:
    """``length`` independent, uniformly drawn base-36 digits of ``alphabet`` (log2(36), about
    5.17 bits, each): random bytes translated to digits in C, the few bytes that would make
    some digits likelier (252 and above) left out. As random as ``base36`` of a random number
    of ``length`` digits, at a fraction of its cost (ids are made on every payment)."""
    table = _digit_of_byte(alphabet)
    digits = b""
    while len(digits) < length:
        digits += secrets.token_bytes(length + 8).translate(table, _UNEVEN)
    return digits[:length].decode("ascii")


def ordered_id(prefix: str, now_us: int, length: int = 20) -> str:
    """``prefix_``, the time (``time_prefix``), then ``length`` random base-36 characters
    (about 103 bits for 20): ids made later sort after, so inserts append to their index."""
    return prefix + "_" + time_prefix(now_us) + random_digits(length)


def new_id(prefix: str, length: int = 20) -> str:
    """``prefix_`` followed by ``length`` random base-36 characters (about 103 bits for 20)."""
    n = int.from_bytes(secrets.token_bytes(length), "big")  # 8 bits per char > log2(36)
    return prefix + "_" + base36(n, length)
