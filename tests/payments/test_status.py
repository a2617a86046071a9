"""ReqChkTxn: one transaction's status (U04 when unknown), and the filterable, paginated list.

The list is newest first, paginated with an opaque ``nextCursor`` (``created_us.txnId``); a
cursor the API did not return is a 422 naming ``query.cursor``, never a 500. Another partner's
transaction is a 404 exactly like an unknown id (the isolation harness,
``tests/harness/isolation.py``, runs the same case for every partner-owned resource).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.http import PROBLEM, SignedUp
from tests.support.upi import pay

pytestmark = pytest.mark.anyio

UNKNOWN = "SBX" + "0" * 32


async def listing(client: httpx.AsyncClient, partner: SignedUp, **params: Any) -> httpx.Response:
    return await client.get("/v1/upi/transactions", params=params, headers=partner.headers)


async def walk(client: httpx.AsyncClient, partner: SignedUp, **params: Any) -> list[str]:
    """Every txnId of the list, page by page."""
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        page = await listing(client, partner, **query)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["transactions"]) <= params.get("limit", 20)
        ids += [t["txnId"] for t in body["transactions"]]
        cursor = body["nextCursor"]
        if cursor is None:
            return ids
    raise AssertionError("the cursor never ended")


async def test_unknown_transaction_is_404_u04(client: httpx.AsyncClient, partner: SignedUp) -> None:
    response = await client.get(f"/v1/upi/transactions/{UNKNOWN}", headers=partner.headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["responseCode"] == "U04"
    assert UNKNOWN in problem["detail"]
    assert problem["hint"]
    malformed = await client.get("/v1/upi/transactions/not-a-txn-id", headers=partner.headers)
    assert malformed.status_code == 404
    assert malformed.json()["responseCode"] == "U04"


async def test_status_of_a_payment_is_its_answer(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    paid = (await pay(client, partner, "asha@sandbox", "ravi@sandbox", "12.34", note="tea")).json()
    declined = (await pay(client, partner, "pooja@sandbox", "ravi@sandbox", "12.34")).json()
    for answer in (paid, declined):
        status = await client.get(
            f"/v1/upi/transactions/{answer['txnId']}", headers=partner.headers
        )
        assert status.status_code == 200
        body = status.json()
        for field in ("txnId", "rrn", "status", "responseCode", "amount", "payer", "payee"):
            assert body[field] == answer[field], field
        assert body["replayed"] is False
    assert "hint" not in paid or paid["hint"] is None
    declined_status = await client.get(
        f"/v1/upi/transactions/{declined['txnId']}", headers=partner.headers
    )
    assert declined_status.json()["hint"]  # a decline always says how to get another outcome


async def test_another_partners_transaction_is_404_like_an_unknown_one(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    txn_id = (await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")).json()["txnId"]
    theirs = await client.get(f"/v1/upi/transactions/{txn_id}", headers=other_partner.headers)
    unknown = await client.get(f"/v1/upi/transactions/{UNKNOWN}", headers=other_partner.headers)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["type"] == unknown.json()["type"]
    assert theirs.json()["responseCode"] == "U04"
    assert partner.partner_id not in theirs.text
    assert await walk(client, other_partner) == []  # nor in their list
    assert await walk(client, other_partner, vpa="asha@sandbox") == []
    mine = await client.get(f"/v1/upi/transactions/{txn_id}", headers=partner.headers)
    assert mine.status_code == 200


async def test_pages_cover_every_transaction_once_newest_first(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    made = []
    for i in range(7):
        answer = await pay(client, partner, "asha@sandbox", "ravi@sandbox", f"{i + 1}.00")
        made.append(answer.json()["txnId"])
    first = (await listing(client, partner, limit=3)).json()
    assert [t["txnId"] for t in first["transactions"]] == made[::-1][:3]
    assert first["nextCursor"]
    assert await walk(client, partner, limit=3) == made[::-1]
    assert await walk(client, partner, limit=7) == made[::-1]
    assert await walk(client, partner, limit=100) == made[::-1]
    last = (await listing(client, partner, limit=7)).json()
    assert last["nextCursor"] is None  # exactly one page: no empty page after it


async def test_filters_by_vpa_status_and_type(client: httpx.AsyncClient, partner: SignedUp) -> None:
    to_ravi = (await pay(client, partner, "asha@sandbox", "ravi@sandbox", "10.00")).json()
    from_ravi = (await pay(client, partner, "ravi@sandbox", "kabir@sandbox", "5.00")).json()
    declined = (await pay(client, partner, "pooja@sandbox", "kabir@sandbox", "9.00")).json()
    deemed = (await pay(client, partner, "asha@sandbox", "kabir@sandbox", "3.91")).json()
    assert (declined["status"], deemed["status"]) == ("FAILURE", "DEEMED")

    async def ids(**params: Any) -> set[str]:
        return set(await walk(client, partner, limit=2, **params))

    assert await ids(vpa="ravi@sandbox") == {to_ravi["txnId"], from_ravi["txnId"]}
    assert await ids(vpa="RAVI@SANDBOX") == {to_ravi["txnId"], from_ravi["txnId"]}
    assert await ids(vpa="kabir@sandbox") == {
        from_ravi["txnId"],
        declined["txnId"],
        deemed["txnId"],
    }
    assert await ids(status="SUCCESS") == {to_ravi["txnId"], from_ravi["txnId"]}
    assert await ids(status="FAILURE") == {declined["txnId"]}
    assert await ids(status="DEEMED") == {deemed["txnId"]}
    assert await ids(status="PENDING") == set()
    assert len(await ids(type="PAY")) == 4
    assert await ids(type="REFUND") == set()
    assert await ids(vpa="kabir@sandbox", status="SUCCESS", type="PAY") == {from_ravi["txnId"]}
    assert await ids(vpa="nobody@sandbox") == set()
    # every listed row carries its own status and type
    rows = (await listing(client, partner, status="FAILURE")).json()["transactions"]
    assert [(r["status"], r["type"], r["responseCode"]) for r in rows] == [("FAILURE", "PAY", "Z9")]


BAD_CURSORS = (
    "garbage",
    "123",
    "123.",
    ".SBXABC",
    "abc.SBXABC",
    "-1.SBXABC",
    "1.2.3",
    "1.SBX ABC",
    "1.\u00e9",  # a non-ASCII letter
    "\u00b2\u00b3.SBXABC",  # superscripts: digits to str.isdigit(), not to int()
    "\u0661\u0662.SBXABC",  # Arabic-Indic digits
    "9999999999999999999.SBXABC",  # past a BIGINT
    "1." + "A" * 36,  # longer than any txnId
)


async def test_a_cursor_the_api_did_not_return_is_422_naming_it(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")
    for cursor in BAD_CURSORS:
        response = await listing(client, partner, cursor=cursor)
        assert response.status_code == 422, (cursor, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        problem = response.json()
        assert [e["field"] for e in problem["errors"]] == ["query.cursor"], cursor
        assert "nextCursor" in problem["hint"]


async def test_a_bad_filter_is_422_naming_it(client: httpx.AsyncClient, partner: SignedUp) -> None:
    for name, value in [("status", "DONE"), ("type", "PUSH"), ("limit", "0"), ("limit", "101")]:
        response = await listing(client, partner, **{name: value})
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [f"query.{name}"]
