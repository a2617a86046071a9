"""Identifiers: prefixed random ids for platform objects (``prt_``, ``key_``, ``evt_``...)."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str, length: int = 20) -> str:
    """``prefix_`` followed by ``length`` random base-36 characters (about 103 bits for 20)."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
