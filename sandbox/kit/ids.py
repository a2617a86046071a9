"""Identifiers: prefixed random ids for platform objects (``prt_``, ``key_``, ``evt_``...)."""

from __future__ import annotations

import functools
import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


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


def new_id(prefix: str, length: int = 20) -> str:
    """``prefix_`` followed by ``length`` random base-36 characters (about 103 bits for 20)."""
    n = int.from_bytes(secrets.token_bytes(length), "big")  # 8 bits per char > log2(36)
    return prefix + "_" + base36(n, length)
