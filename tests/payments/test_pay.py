"""ReqPay PAY through the API: success, declines with their codes, the ledger after each."""

from __future__ import annotations

import httpx
import pytest

from tests.support.http import SignedUp
from tests.support.upi import balances, ledger_ok, minor, pay

pytestmark = pytest.mark.anyio


async def test_successful_payment_moves_money_and_balances(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    before = await balances(client, partner)
    response = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "150.25", note="Lunch")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["responseCode"]) == ("SUCCESS", "00")
    assert len(body["txnId"]) == 35
    assert len(body["rrn"]) == 12
    assert body["rrn"].isdigit()
    assert body["amount"] == "150.25"
    assert body["currency"] == "INR"
    after = await balances(client, partner)

    assert minor(after["asha@sandbox"]) == minor(before["asha@sandbox"]) - 15025
    assert minor(after["ravi@sandbox"]) == minor(before["ravi@sandbox"]) + 15025
    status = await client.get(f"/v1/upi/transactions/{body['txnId']}", headers=partner.headers)
    assert status.json()["status"] == "SUCCESS"
    await ledger_ok(client, partner)


async def test_insufficient_funds_is_z9_and_nothing_moves(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    before = await balances(client, partner)
    response = await pay(client, partner, "pooja@sandbox", "ravi@sandbox", "5.00")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["responseCode"]) == ("FAILURE", "Z9")
    assert response.json()["hint"]
    assert await balances(client, partner) == before
    await ledger_ok(client, partner)


async def test_float_amount_is_refused_with_a_named_field(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await client.post(
        "/v1/upi/pay",
        json={
            "payer": {"vpa": "asha@sandbox", "pin": "1234"},
            "payee": {"vpa": "ravi@sandbox"},
            "amount": 100.0,
        },
        headers=partner.headers,
    )
    wrong_digits = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "100.5")
    # the schema refuses both (the float by type, the digits by the pattern the OpenAPI states),
    # naming the field the same way; the digits' message teaches the form
    for refused in (response, wrong_digits):
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "body.amount"
        assert "body.amount: " in refused.json()["detail"]
    error = wrong_digits.json()["errors"][0]
    assert error["rule"] == "decimal_amount"
    assert error["message"] == 'must be a positive amount with exactly 2 decimals, like "100.00"'
    assert '"100.00"' in wrong_digits.json()["hint"]
