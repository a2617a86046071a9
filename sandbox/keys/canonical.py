"""The bytes of a signed JSON answer.

Real FIU clients verify the AA's detached JWS against ``JSON.stringify(parsedBody)``, not the
bytes received, so the sandbox sends exactly what that gives back: no spaces after ``,`` and
``:``, non-ASCII as UTF-8 (not ``\\u`` escapes), keys in insertion order. Values whose text a
JavaScript round trip would change are refused instead of signed wrongly:

- floats (``1.0`` comes back as ``1``, ``1e+16`` as ``10000000000000000``): the specs carry
  amounts as strings;
- integers beyond 2**53, which ``JSON.parse`` rounds;
- object keys that are array indices (``"0"``, ``"12"``), which a JavaScript object puts first,
  whatever the order they were sent in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1
_INDEX_KEY = re.compile(r"0|[1-9][0-9]{0,9}")  # JavaScript array indices go up to 2**32 - 2


def compact_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON; ``TypeError``/``ValueError`` for what would not survive
    ``JSON.stringify(JSON.parse(...))`` unchanged."""
    _check(value, "$")
    return _ENCODER.encode(value).encode()


# json.dumps with these arguments builds an encoder per call; one serves every call alike
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _check(value: Any, path: str) -> None:
    """Raise for what would not round-trip; the common shapes (a dict of strings, None, small
    ints, lists) are judged by exact type first, without building paths: a signed answer is
    checked on every request of the hot routes (the auth), and ``isinstance`` against the
    ``Mapping``/``Sequence`` ABCs and a path string per item cost more than the JSON itself."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (key[:1].isdigit() and _INDEX_KEY.fullmatch(key)):
                _check_slowly(value, path)  # names the key that fails
            if not (type(item) is str or item is None):
                _check(item, f"{path}.{key}")
        return
    if kind is list:
        for index, item in enumerate(value):
            if not (type(item) is str or item is None):
                _check(item, f"{path}[{index}]")
        return
    _check_slowly(value, path)


def _check_slowly(value: Any, path: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"{path}: {value} is beyond 2**53; send it as a string")
        return
    if isinstance(value, float):
        raise TypeError(f"{path}: a float ({value!r}) does not round-trip; send it as a string")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: key {key!r} is not a string")
            if _INDEX_KEY.fullmatch(key) and int(key) < 2**32 - 1:
                raise ValueError(f"{path}: key {key!r} would be reordered by JSON.parse")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    raise TypeError(f"{path}: {type(value).__name__} is not JSON")
