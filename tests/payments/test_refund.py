"""Refunds through the API: full, partial, never beyond what is left, and their declines."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.support.http import SignedUp
from tests.support.upi import PINS, balances, ledger_ok, minor, pay
from tests.support.webhooks import events, listen

pytestmark = pytest.mark.anyio


async def refund(
    client: httpx.AsyncClient,
    partner: SignedUp,
    original: str,
    amount: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {"originalTxnId": original, **extra}
    if amount is not None:
        body["amount"] = amount
    return await client.post(
        "/v1/upi/refunds", json=body, headers={**partner.headers, **(headers or {})}
    )


async def paid(
    client: httpx.AsyncClient, partner: SignedUp, amount: str, payee: str = "meeras.kirana@sandbox"
) -> str:
    response = await pay(client, partner, "asha@sandbox", payee, amount)
    assert response.json()["responseCode"] == "00", response.text
    return str(response.json()["txnId"])


async def refunded(client: httpx.AsyncClient, partner: SignedUp, txn_id: str) -> str:
    response = await client.get(f"/v1/upi/transactions/{txn_id}", headers=partner.headers)
    return str(response.json()["refundedAmount"])


async def test_full_refund_returns_everything_once(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    before = await balances(client, partner)
    original = await paid(client, partner, "500.00")
    response = await refund(client, partner, original, note="Returned item")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["type"], body["status"], body["responseCode"]) == ("REFUND", "SUCCESS", "00")
    assert body["originalTxnId"] == original
    assert body["txnId"] != original
    assert (body["payer"]["vpa"], body["payee"]["vpa"]) == ("meeras.kirana@sandbox", "asha@sandbox")
    assert body["amount"] == "500.00"
    assert await balances(client, partner) == before
    assert await refunded(client, partner, original) == "500.00"
    await ledger_ok(client, partner)
    assert await events(client, partner) == ["payment.succeeded", "refund.succeeded"]
    again = await refund(client, partner, original)
    assert again.status_code == 409
    assert again.json()["type"].endswith("not-refundable")
    assert again.json()["reason"] == "fully_refunded"
    assert await balances(client, partner) == before


async def test_partial_refunds_up_to_the_total_then_refused(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    before = await balances(client, partner)
    original = await paid(client, partner, "100.00")
    first = await refund(client, partner, original, "30.00")
    assert (first.json()["status"], first.json()["amount"]) == ("SUCCESS", "30.00")
    assert await refunded(client, partner, original) == "30.00"
    second = await refund(client, partner, original, "70.00")
    assert (second.json()["status"], second.json()["amount"]) == ("SUCCESS", "70.00")
    assert await refunded(client, partner, original) == "100.00"
    assert await balances(client, partner) == before
    third = await refund(client, partner, original, "0.01")
    assert third.status_code == 409
    await ledger_ok(client, partner)


async def test_refund_over_the_remainder_is_refused_and_moves_nothing(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    original = await paid(client, partner, "100.00")
    assert (await refund(client, partner, original, "60.00")).json()["responseCode"] == "00"
    before = await balances(client, partner)
    over = await refund(client, partner, original, "40.01")
    assert over.status_code == 409, over.text
    problem = over.json()
    assert problem["reason"] == "exceeds_remaining"
    assert problem["remainingAmount"] == "40.00"
    assert "40.00" in problem["hint"]
    assert await balances(client, partner) == before
    assert await refunded(client, partner, original) == "60.00"
    rest = await refund(client, partner, original)  # no amount: what is left
    assert (rest.json()["status"], rest.json()["amount"]) == ("SUCCESS", "40.00")
    await ledger_ok(client, partner)


async def test_only_successful_payments_can_be_refunded(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    failed = await pay(client, partner, "pooja@sandbox", "ravi@sandbox", "50.00")
    assert failed.json()["responseCode"] == "Z9"
    response = await refund(client, partner, failed.json()["txnId"])
    assert response.status_code == 409
    assert response.json()["reason"] == "not_successful"
    assert "Z9" in response.json()["detail"]
    original = await paid(client, partner, "10.00")
    the_refund = (await refund(client, partner, original, "5.00")).json()["txnId"]
    of_refund = await refund(client, partner, the_refund)
    assert of_refund.status_code == 409
    assert of_refund.json()["reason"] == "not_a_payment"


async def test_refund_when_the_payee_lacks_funds_fails_with_z9(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    original = await paid(client, partner, "50.00", payee="pooja@sandbox")  # pooja: 1.00 + 50.00
    spent = await pay(client, partner, "pooja@sandbox", "ravi@sandbox", "50.50")
    assert spent.json()["responseCode"] == "00", spent.text
    before = await balances(client, partner)
    response = await refund(client, partner, original)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["type"], body["status"], body["responseCode"]) == ("REFUND", "FAILURE", "Z9")
    assert body["hint"]
    assert await balances(client, partner) == before
    assert await refunded(client, partner, original) == "0.00"  # the failed refund gave it back
    assert (await events(client, partner))[-1] == "refund.failed"
    await ledger_ok(client, partner)


async def test_refund_of_an_approved_collect(client: httpx.AsyncClient, partner: SignedUp) -> None:
    before = await balances(client, partner)
    requested = await client.post(
        "/v1/upi/collect",
        json={
            "payee": {"vpa": "meeras.kirana@sandbox"},
            "payer": {"vpa": "asha@sandbox"},
            "amount": "75.00",
        },
        headers=partner.headers,
    )
    txn_id = requested.json()["txnId"]
    approved = await client.post(
        f"/v1/upi/collect/{txn_id}/approve",
        json={"pin": PINS["asha@sandbox"]},
        headers=partner.headers,
    )
    assert approved.json()["responseCode"] == "00"
    response = await refund(client, partner, txn_id, "75.00")
    assert response.json()["responseCode"] == "00", response.text
    assert await balances(client, partner) == before
    await ledger_ok(client, partner)


async def test_idempotency_key_refunds_once(client: httpx.AsyncClient, partner: SignedUp) -> None:
    original = await paid(client, partner, "100.00")
    key = {"Idempotency-Key": "refund-1"}
    first = await refund(client, partner, original, "10.00", headers=key)
    again = await refund(client, partner, original, "10.00", headers=key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["txnId"] == first.json()["txnId"]
    assert await refunded(client, partner, original) == "10.00"
    other = await refund(client, partner, original, "20.00", headers=key)
    assert (other.status_code, other.json()["responseCode"]) == (409, "U01")
    before = minor((await balances(client, partner))["asha@sandbox"])
    txn_id = "SBXREFUNDTEST0000000000000000000001"
    made = await refund(client, partner, original, "1.00", txnId=txn_id)
    assert made.json()["txnId"] == txn_id
    replay = await refund(client, partner, original, "1.00", txnId=txn_id)
    assert replay.json()["replayed"] is True
    assert minor((await balances(client, partner))["asha@sandbox"]) == before + 100
    await ledger_ok(client, partner)


async def test_unknown_or_foreign_originals_are_404(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    original = await paid(client, partner, "10.00")
    for who, txn_id in ((partner, "SBX" + "0" * 32), (other_partner, original)):
        response = await refund(client, who, txn_id)
        assert response.status_code == 404, response.text
        assert response.json()["responseCode"] == "U04"
    assert await refunded(client, partner, original) == "0.00"
    malformed = await refund(client, partner, "short")
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "body.originalTxnId"
    zero = await refund(client, partner, original, "0.00")
    assert (zero.status_code, zero.json()["errors"][0]["field"]) == (422, "body.amount")


async def test_concurrent_refunds_never_exceed_the_payment(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    original = await paid(client, partner, "100.00")
    answers = await asyncio.gather(*(refund(client, partner, original, "40.00") for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [200, 200, 409, 409]
    assert await refunded(client, partner, original) == "80.00"
    await ledger_ok(client, partner)
