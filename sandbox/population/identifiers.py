"""Identifiers of generated residents and accounts: ID numbers, PINs, account numbers.

Resident ``i`` of a world built from ``seed`` has ID number ``generated_uid(seed, i)``: an 11-digit
body from a keyed permutation of ``i`` (a Feistel network on 36 bits, so distinct for every
``i`` without remembering the ones already given), starting 2-8, plus a Verhoeff check digit.
Persona numbers start with ``9999`` and can never be produced.
"""

from __future__ import annotations

import hashlib
import random

from sandbox.population.personas import OFFLINE_BANK_INDEX

MAX_RESIDENTS = 1 << 36
"""Generated residents a world can hold: the size of the ID number permutation."""

UID_BODY_BASE = 20_000_000_000
_HALF_BITS = 18
_HALF_MASK = (1 << _HALF_BITS) - 1

_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def verhoeff_check_digit(body: str) -> str:
    """The Verhoeff check digit to append to ``body`` (same result as ``stdnum.verhoeff``)."""
    check = 0
    for position, digit in enumerate(reversed(body), start=1):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][ord(digit) - 48]]
    return str(_VERHOEFF_INV[check])


def uid_round_keys(seed: int) -> tuple[int, ...]:
    """The Feistel round keys of a world."""
    rng = random.Random(f"uid-permutation:{seed}")
    return tuple(rng.getrandbits(32) for _ in range(4))


def permute(index: int, keys: tuple[int, ...]) -> int:
    """A keyed bijection on 36-bit integers (a 4-round Feistel network)."""
    left, right = index >> _HALF_BITS, index & _HALF_MASK
    for key in keys:
        mixed = ((right ^ key) * 0x9E3779B1) & 0xFFFFFFFF
        mixed ^= mixed >> 15
        mixed = (mixed * 0x85EBCA6B) & 0xFFFFFFFF
        mixed ^= mixed >> 13
        left, right = right, left ^ (mixed & _HALF_MASK)
    return (left << _HALF_BITS) | right


def generated_uid(seed: int, index: int) -> str:
    """ID number of generated resident ``index`` (0-based) in a world built from ``seed``."""
    if not 0 <= index < MAX_RESIDENTS:
        raise ValueError(f"resident index must be in [0, {MAX_RESIDENTS}), got {index}")
    return uid_from_body(UID_BODY_BASE + permute(index, uid_round_keys(seed)))


def uid_from_body(body_value: int) -> str:
    """An 11-digit body and its Verhoeff check digit."""
    body = str(body_value)
    return body + verhoeff_check_digit(body)


def generated_pin(seed: int, uid: str) -> str:
    """The 4-digit UPI PIN of a generated resident (all their VPAs share it)."""
    digest = hashlib.blake2b(f"pin:{seed}:{uid}".encode(), digest_size=8).digest()
    return f"{int.from_bytes(digest, 'big') % 10_000:04d}"


def account_number(bank_index: int, serial: int) -> str:
    """14 digits: a 2-digit bank number (11, 12, ...; 99 for the offline bank), then a serial."""
    bank_number = 99 if bank_index == OFFLINE_BANK_INDEX else 11 + bank_index
    return f"{bank_number}{serial:012d}"
