"""The AA rows of GET /v1/sandbox/magic: served, and each code asserted through its trigger by a
test of tests/consent (an ``"errorCode"`` comparison with the code in that file)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from consent import magic

pytestmark = pytest.mark.anyio

HERE = Path(__file__).parent


async def test_the_magic_listing_has_the_aa_rows(client: httpx.AsyncClient) -> None:
    served = (await client.get("/v1/sandbox/magic")).json()
    rows = [m for m in served["magic"] if m["kind"] == "aa"]
    assert len(rows) == len(magic.ROWS)
    assert {r["responseCode"] for r in rows} <= set(served["codes"])
    assert "DataGone" in served["codes"]


@pytest.mark.parametrize("code", sorted(magic.codes()))
def test_every_aa_code_is_reached_by_a_consent_test(code: str) -> None:
    texts = [p.read_text() for p in HERE.glob("test_*.py") if p.name != "test_magic.py"]
    pattern = re.compile(rf'"{code}"')
    assert any(pattern.search(t) for t in texts), f"no test of tests/consent asserts {code}"
