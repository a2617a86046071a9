"""Identifiers: prefixed random ids for platform objects (``prt_``, ``key_``, ``evt_``...), and
time-ordered ones for the rows every payment inserts (``evt_``, ``whd_``), and the random
bytes they are drawn from (``random_bytes``).

A random primary key puts each insert on a random leaf of its B-tree: once the table outgrows
the page cache, every insert reads a leaf from disk and dirties one more 4 KB page, which each
COMMIT writes to the WAL and each checkpoint writes again. A key that starts with the time it
was made appends to the right-most leaf instead (``ordered_id``, ``time_prefix``).
"""

from __future__ import annotations

import functools
import os
import threading

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


POOL_BYTES = 4096
"""How many bytes ``random_bytes`` draws from the operating system at a time."""


class _Pool:
    """Bytes from ``os.urandom``, handed out once each, ``POOL_BYTES`` drawn at a time."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Empty (a forked child must not hand out the bytes its parent or a sibling will)."""
        self.lock = threading.Lock()
        self.data = b""
        self.at = 0

    def take(self, n: int) -> bytes:
        with self.lock:
            if self.at + n > len(self.data):
                self.data, self.at = os.urandom(max(POOL_BYTES, n)), 0
            out = self.data[self.at : self.at + n]
            self.at += n
        return out


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.reset)


def random_bytes(n: int) -> bytes:
    """``n`` random bytes from the operating system's CSPRNG, as ``secrets.token_bytes(n)``,
    but read ``POOL_BYTES`` at a time: each ``os.urandom`` is a ``getrandom`` system call that
    releases the GIL, and a payment made four of them on the event loop, each a point where a
    waiting thread (the SQLite commit thread) took the GIL, and the loop then waited to get it
    back (decisions doc, "GIL hand-offs on the loop"). Each byte is handed out once; a forked
    child starts a pool of its own."""
    return _pool.take(n)


def random_below(n: int) -> int:
    """A uniformly drawn integer in ``[0, n)`` for ``0 < n <= 2**32``, as ``secrets.randbelow``,
    from ``random_bytes`` (values that would favour the low numbers are drawn again)."""
    limit = (1 << 32) - (1 << 32) % n
    while (r := int.from_bytes(random_bytes(4), "big")) >= limit:
        pass
    return r % n


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
        digits += random_bytes(length + 8).translate(table, _UNEVEN)
    return digits[:length].decode("ascii")


def ordered_id(prefix: str, now_us: int, length: int = 20) -> str:
    """``prefix_``, the time (``time_prefix``), then ``length`` random base-36 characters
    (about 103 bits for 20): ids made later sort after, so inserts append to their index."""
    return prefix + "_" + time_prefix(now_us) + random_digits(length)


def new_id(prefix: str, length: int = 20) -> str:
    """``prefix_`` followed by ``length`` random base-36 characters (about 103 bits for 20)."""
    n = int.from_bytes(random_bytes(length), "big")  # 8 bits per char > log2(36)
    return prefix + "_" + base36(n, length)
