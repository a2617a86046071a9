"""Identifiers: prefixed random ids for platform objects (``prt_``, ``key_``, ``evt_``...)."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str, length: int = 20) -> str:
    """``prefix_`` followed by ``length`` random base-36 characters (about 103 bits for 20)."""
    n = int.from_bytes(secrets.token_bytes(length), "big")  # 8 bits per char > log2(36)
    chars = []
    for _ in range(length):
        n, digit = divmod(n, 36)
        chars.append(_ALPHABET[digit])
    return prefix + "_" + "".join(chars)
