"""The statement-line cache (``consent.fip.cache``): a fetch served from it gives the same
document, byte for byte, as one made afresh; a payment today is in the next fetch (the day's
token changed) while past days and the seeded history are served again; every key names the
world and its inputs, so another opening balance is another entry; it stays within its size,
least recently used out."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from fastapi import FastAPI

from consent.fip import render
from consent.fip.cache import LineCache, Rendered, SeededKey
from consent.fip.history import DAY_US
from consent.fip.models import Line
from consent.fip.render import Element
from tests.consent.fi.test_fip import ASHA, documents, transactions
from tests.support.aa import world_of
from tests.support.http import SignedUp
from tests.support.upi import pay

pytestmark = pytest.mark.anyio


async def test_a_cached_statement_is_the_same_document_and_sees_todays_payment(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, monkeypatch: pytest.MonkeyPatch
) -> None:
    paid = await pay(client, partner, "ravi@sandbox", "asha@sandbox", "7.00")
    assert paid.json()["status"] == "SUCCESS", paid.text
    world = await world_of(app, partner)
    lines = LineCache()
    monkeypatch.setattr("consent.fip.payload.LINES", lines)
    for fmt in ("xml", "json"):
        first = await documents(app, world, ASHA, fmt=fmt)
        again = await documents(app, world, ASHA, fmt=fmt)
        assert [d.payload for d in again] == [d.payload for d in first]
    assert (lines.misses, lines.hits) == (2, 6)  # seeded history and today: made once
    # a payment today changes today's token only: the day is read again, the rest served
    paid = await pay(client, partner, "ravi@sandbox", "asha@sandbox", "8.00")
    assert paid.json()["status"] == "SUCCESS", paid.text
    world = await world_of(app, partner)
    (doc,) = await documents(app, world, ASHA)
    assert (lines.misses, lines.hits) == (3, 7)
    assert [t["amount"] for t in transactions(doc.payload)[-2:]] == ["7.00", "8.00"]
    monkeypatch.setattr("consent.fip.payload.LINES", LineCache())
    (uncached,) = await documents(app, world, ASHA)
    assert doc.payload == uncached.payload
    # a range in the middle of the history: the bisect keeps exactly the lines inside it
    from_us, to_us = world.now_us - 200 * DAY_US, world.now_us - 100 * DAY_US
    (middle,) = await documents(app, world, ASHA, from_us=from_us, to_us=to_us)
    monkeypatch.setattr("consent.fip.payload.LINES", LineCache())
    (uncached,) = await documents(app, world, ASHA, from_us=from_us, to_us=to_us)
    assert middle.payload == uncached.payload
    assert middle.payload.count(b"<Transaction ") > 10


def _rendered(n: int, at: int = 0) -> Rendered:
    lines = [Line(f"S{i}", "CREDIT", "UPI", 1, 1, at + i, "x", "r") for i in range(n)]
    return Rendered.of(lines, lambda line: Element("Transaction", {"t": line.txn_id}))


def test_the_key_and_token_choose_the_entry_and_the_size_is_bounded() -> None:
    lru = LineCache(max_lines=25)
    key = SeededKey("w1", 7, "IN", "001", "SAVINGS", 100, 0, 10, 2)
    made = lru.get(key, lambda: _rendered(10))
    assert lru.get(key, lambda: _rendered(99)) is made  # served from the cache
    assert len(lru.get(key, lambda: _rendered(4), token=(1, 2, 3)).lines) == 4  # another state
    other = dataclasses.replace(key, opening_balance=200)  # as after a reset with new values
    assert lru.get(other, lambda: _rendered(12)) is not made
    assert lru.lines == 5 + 13
    lru.get(dataclasses.replace(key, world_id="w2"), lambda: _rendered(9))
    assert lru.lines <= 25  # the least recently used (key) went out
    assert len(lru.get(key, lambda: _rendered(3)).lines) == 3
    huge = lru.get(dataclasses.replace(key, number="002"), lambda: _rendered(40))
    assert len(huge.lines) == 40  # served, not kept
    assert lru.lines <= 25


def test_between_is_half_open() -> None:
    rendered = _rendered(10, at=100)
    lines, elements = rendered.between(103, 107)
    assert [x.at_us for x in lines] == [103, 104, 105, 106]
    assert [e.attrs["t"] for e in elements] == [x.txn_id for x in lines]


def test_serialized_lines_splice_into_the_same_bytes_lxml_writes() -> None:
    odd = "UPI/1/CR/a&b<c>\"é\n\t\r' ]]> ₹ 😀 >@@serialized@@<"
    lines = [
        Line(f"T{i}", "CREDIT", "UPI", 100 + i, 1000, i * DAY_US, odd, str(i)) for i in range(3)
    ]
    items = [render.transaction_element(x, str, deposit=True) for x in lines]
    holder = Element("Profile", {}, (Element("Holders", {"type": "SINGLE"}),))

    def document(transactions: list[Element]) -> bytes:
        account = Element(
            "Account",
            {"type": "deposit"},
            (holder, render.transactions_element(transactions, 0, DAY_US)),
        )
        return render.to_xml(account, "deposit")

    built = document(items)
    assert document([render.serialized(e, "deposit") for e in items]) == built
    assert built.count(b"<Transaction ") == 3
    assert document([]).endswith(b'endDate="1970-01-02"/></Account>')
