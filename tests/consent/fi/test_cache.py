"""The seeded-history cache (``consent.fip.cache``): a fetch served from it gives the same
document, byte for byte, as one generated afresh; its key holds every input, so another world
or another opening balance is another entry; it stays within its size, least recently used out."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi import FastAPI

from consent.fip.cache import SeededCache, SeededHistory, SeededKey
from consent.fip.history import DAY_US
from consent.fip.models import Line
from consent.fip.render import Element
from tests.consent.fi.test_fip import ASHA, documents, world_of
from tests.support.http import SignedUp

pytestmark = pytest.mark.anyio


async def test_a_cached_history_renders_the_same_document(
    app: FastAPI, partner: SignedUp, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await world_of(app, partner)
    fresh = SeededCache()
    monkeypatch.setattr("consent.fip.payload.SEEDED", fresh)
    for fmt in ("xml", "json"):
        first = await documents(app, world, ASHA, fmt=fmt)
        again = await documents(app, world, ASHA, fmt=fmt)
        assert [d.payload for d in again] == [d.payload for d in first]
    assert fresh.misses == 1  # Asha's one deposit account, generated once, then served
    assert fresh.hits == 3
    # a range in the middle of the history: the bisect keeps exactly the lines inside it
    from_us, to_us = world.now_us - 200 * DAY_US, world.now_us - 100 * DAY_US
    (doc,) = await documents(app, world, ASHA, from_us=from_us, to_us=to_us)
    monkeypatch.setattr("consent.fip.payload.SEEDED", SeededCache())
    (uncached,) = await documents(app, world, ASHA, from_us=from_us, to_us=to_us)
    assert doc.payload == uncached.payload
    assert doc.payload.count(b"<Transaction ") > 10


def _history(n: int, at: int = 0) -> SeededHistory:
    lines = [Line(f"S{i}", "CREDIT", "UPI", 1, 1, at + i, "x", "r") for i in range(n)]
    return SeededHistory.of(lines, lambda line: Element("Transaction", {"t": line.txn_id}))


def test_the_key_holds_every_input_and_the_size_is_bounded() -> None:
    lru = SeededCache(max_lines=25)
    key = SeededKey("w1", 7, "IN", "001", "SAVINGS", 100, 0, 10, 2)
    made = lru.get(key, lambda: _history(10))
    assert lru.get(key, lambda: _history(99)) is made  # served from the cache
    other = dataclasses.replace(key, opening_balance=200)  # as after a reset with new values
    assert lru.get(other, lambda: _history(12)) is not made
    assert lru.lines == 11 + 13
    lru.get(dataclasses.replace(key, world_id="w2"), lambda: _history(5))
    assert lru.lines <= 25  # the least recently used (key) went out
    assert len(lru.get(key, lambda: _history(3)).lines) == 3
    huge = lru.get(dataclasses.replace(key, number="002"), lambda: _history(40))
    assert len(huge.lines) == 40  # served, not kept
    assert lru.lines <= 25


def test_between_is_half_open() -> None:
    history = _history(10, at=100)
    lines, elements = history.between(103, 107)
    assert [x.at_us for x in lines] == [103, 104, 105, 106]
    assert [e.attrs["t"] for e in elements] == [x.txn_id for x in lines]
