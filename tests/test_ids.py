"""Ids: two base-36 digits per division give the digits one per division gave."""

from __future__ import annotations

import random
import re

from payments.models import new_txn_id
from sandbox.kit.ids import base36, new_id


def _one_digit_at_a_time(n: int, length: int, alphabet: str) -> str:
    out = []
    for _ in range(length):
        n, digit = divmod(n, 36)
        out.append(alphabet[digit])
    return "".join(out)


def test_base36_gives_the_digits_of_one_division_per_digit() -> None:
    rng = random.Random(9)
    alphabets = ("0123456789abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    for length in (0, 1, 2, 19, 20, 32):
        for n in (
            0,
            1,
            35,
            36,
            1295,
            1296,
            36**length - 1,
            *(rng.getrandbits(170) for _ in range(200)),
        ):
            for alphabet in alphabets:
                assert base36(n, length, alphabet) == _one_digit_at_a_time(n, length, alphabet)


def test_ids_keep_their_shape() -> None:
    assert re.fullmatch(r"evt_[0-9a-z]{20}", new_id("evt"))
    assert re.fullmatch(r"SBX[A-Z0-9]{32}", new_txn_id())
