"""The Aadhaar code table covers every code the identity issue names, each with a hint."""

from __future__ import annotations

import pytest

from identity.codes import ACTIONS, CODES
from identity.errors import AuthRefused, InvalidPid

REQUIRED = [
    "100",
    "110",
    "111",
    "112",
    "200",
    "300",
    "330",
    "331",
    "400",
    "402",
    "403",
    "500",
    "501",
    "502",
    "503",
    "510",
    "511",
    "512",
    "514",
    "515",
    "517",
    "530",
    "540",
    "541",
    "550",
    "561",
    "562",
    "563",
    "564",
    "567",
    "568",
    "569",
    "570",
    "710",
    "720",
    "721",
    "740",
    "810",
    "901",
    "902",
    "910",
    "911",
    "913",
    "950",
    "952",
    "996",
    "997",
    "998",
    "999",
]


def test_every_required_code_has_a_meaning_and_a_hint() -> None:
    missing = [code for code in REQUIRED if code not in CODES]
    assert missing == []
    for code in CODES.values():
        assert code.meaning
        assert code.hint.endswith((".", ")")), code.code


def test_998_carries_its_action() -> None:
    error = AuthRefused("998", "no such number", actn="A201")
    assert (error.code, error.actn, error.extra) == ("998", "A201", {"err": "998", "actn": "A201"})
    assert set(ACTIONS) == {"A201", "A202"}
    assert error.hint == CODES["998"].hint
    assert error.meaning == "Invalid Aadhaar number or VID"


def test_unknown_codes_and_actions_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="not an Aadhaar error code"):
        InvalidPid("123", "x")
    with pytest.raises(ValueError, match="not an Aadhaar action"):
        AuthRefused("998", "x", actn="A999")
