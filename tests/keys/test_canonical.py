"""``compact_json``: the bytes sent are the bytes a JavaScript client rebuilds from the parsed
body, for any JSON value it accepts; values a round trip would change are refused."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.keys.canonical import MAX_SAFE_INTEGER, compact_json

_keys = st.text(min_size=1, max_size=8).filter(lambda k: not k.isdecimal())
_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_scalars = st.none() | st.booleans() | _text | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


def _stringify(parsed: Any) -> bytes:
    """``JSON.stringify`` of a parsed value, for the values ``compact_json`` accepts."""
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()


@given(_json)
def test_bytes_equal_compact_json_of_the_parsed_body(value: Any) -> None:
    sent = compact_json(value)
    assert _stringify(json.loads(sent)) == sent
    assert json.loads(sent) == value


def test_non_ascii_is_sent_as_utf8() -> None:
    assert compact_json({"name": "आशा", "sum": "₹1,250"}) == (
        '{"name":"आशा","sum":"₹1,250"}'.encode()
    )


@pytest.mark.parametrize(
    ("value", "error", "says"),
    [
        ({"amount": 1.0}, TypeError, "$.amount: a float (1.0)"),
        ([float("nan")], TypeError, "$[0]: a float (nan)"),
        ({"n": MAX_SAFE_INTEGER + 1}, ValueError, "beyond 2**53"),
        ({"n": -MAX_SAFE_INTEGER - 1}, ValueError, "beyond 2**53"),
        ({"b": 1, "10": 0}, ValueError, "key '10' would be reordered"),
        ({1: "a"}, TypeError, "not a string"),
        ({"raw": b"bytes"}, TypeError, "bytes is not JSON"),
        ({"lone": "\ud800"}, UnicodeEncodeError, "surrogate"),
    ],
)
def test_what_a_round_trip_would_change_is_refused(
    value: Any, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=re.escape(says)):
        compact_json(value)


def test_keys_that_are_not_array_indices_are_kept_in_order() -> None:
    assert compact_json({"b": 1, "01": 2, "-1": 3, "4294967295": 4, "a": 5}) == (
        b'{"b":1,"01":2,"-1":3,"4294967295":4,"a":5}'
    )
