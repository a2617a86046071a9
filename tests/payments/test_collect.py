"""ReqPay COLLECT through the API: request, approve with the PIN, decline, expiry, races."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.support.clock import advance
from tests.support.http import SignedUp
from tests.support.upi import PINS, balances, ledger_ok, minor, pay
from tests.support.webhooks import events, listen

pytestmark = pytest.mark.anyio


async def collect(
    client: httpx.AsyncClient,
    partner: SignedUp,
    payee: str,
    payer: str,
    amount: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {"payee": {"vpa": payee}, "payer": {"vpa": payer}, "amount": amount, **extra}
    return await client.post(
        "/v1/upi/collect", json=body, headers={**partner.headers, **(headers or {})}
    )


async def requested(
    client: httpx.AsyncClient, partner: SignedUp, payer: str = "asha@sandbox", **extra: Any
) -> dict[str, Any]:
    response = await collect(client, partner, "meeras.kirana@sandbox", payer, "250.00", **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert (body["status"], body["responseCode"]) == ("PENDING", "01"), body
    return body


async def approve(
    client: httpx.AsyncClient, partner: SignedUp, txn_id: str, pin: str
) -> httpx.Response:
    return await client.post(
        f"/v1/upi/collect/{txn_id}/approve", json={"pin": pin}, headers=partner.headers
    )


async def decline(client: httpx.AsyncClient, partner: SignedUp, txn_id: str) -> httpx.Response:
    return await client.post(f"/v1/upi/collect/{txn_id}/decline", headers=partner.headers)


async def status_of(client: httpx.AsyncClient, partner: SignedUp, txn_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/upi/transactions/{txn_id}", headers=partner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- request -------------------------------------------------------------------------------------


async def test_collect_request_is_pending_and_needs_no_payee_pin(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    before = await balances(client, partner)
    body = await requested(client, partner, note="Groceries", refId="BILL-1")
    assert body["type"] == "COLLECT"
    assert len(body["txnId"]) == 35
    assert (body["payer"]["vpa"], body["payee"]["vpa"]) == ("asha@sandbox", "meeras.kirana@sandbox")
    assert body["expiresAt"] > body["createdAt"]
    assert (body["note"], body["refId"]) == ("Groceries", "BILL-1")
    assert await balances(client, partner) == before
    assert (await status_of(client, partner, body["txnId"]))["status"] == "PENDING"
    assert await events(client, partner) == ["collect.requested"]


async def test_unknown_payer_is_a_processed_zh_failure(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await collect(client, partner, "meeras.kirana@sandbox", "nobody@sandbox", "5.00")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["type"], body["status"], body["responseCode"]) == ("COLLECT", "FAILURE", "ZH")
    assert "nobody@sandbox" in body["detail"]
    assert body["hint"]
    approved = await approve(client, partner, body["txnId"], "1234")
    assert approved.status_code == 409


async def test_malformed_requests_are_422_naming_the_field(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    same = await collect(client, partner, "asha@sandbox", "asha@sandbox", "5.00")
    assert same.status_code == 422
    assert same.json()["errors"][0]["field"] == "body.payee.vpa"
    for seconds in (59, 60 * 86_400 + 1):
        response = await collect(
            client, partner, "ravi@sandbox", "asha@sandbox", "5.00", expiresInSeconds=seconds
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "body.expiresInSeconds"
    float_amount = await collect(client, partner, "ravi@sandbox", "asha@sandbox", 5.0)  # type: ignore[arg-type]
    assert float_amount.status_code == 422


async def test_idempotency_key_replays_the_request_and_refuses_another_body(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    key = {"Idempotency-Key": "collect-1"}
    first = await collect(client, partner, "ravi@sandbox", "asha@sandbox", "5.00", headers=key)
    again = await collect(client, partner, "ravi@sandbox", "asha@sandbox", "5.00", headers=key)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["txnId"] == first.json()["txnId"]
    other = await collect(client, partner, "ravi@sandbox", "asha@sandbox", "6.00", headers=key)
    assert other.status_code == 409
    assert other.json()["responseCode"] == "U01"
    listed = await client.get(
        "/v1/upi/transactions", params={"type": "COLLECT"}, headers=partner.headers
    )
    assert len(listed.json()["transactions"]) == 1


# -- approve -------------------------------------------------------------------------------------


async def test_approve_moves_the_money_on_the_same_transaction(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    before = await balances(client, partner)
    txn = await requested(client, partner)
    response = await approve(client, partner, txn["txnId"], PINS["asha@sandbox"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["txnId"], body["type"]) == (txn["txnId"], "COLLECT")
    assert (body["status"], body["responseCode"]) == ("SUCCESS", "00")
    assert body["rrn"] == txn["rrn"]
    after = await balances(client, partner)
    assert minor(after["asha@sandbox"]) == minor(before["asha@sandbox"]) - 25000
    assert minor(after["meeras.kirana@sandbox"]) == minor(before["meeras.kirana@sandbox"]) + 25000
    assert (await status_of(client, partner, txn["txnId"]))["status"] == "SUCCESS"
    await ledger_ok(client, partner)
    assert await events(client, partner) == ["collect.requested", "payment.succeeded"]
    again = await approve(client, partner, txn["txnId"], PINS["asha@sandbox"])
    assert again.status_code == 409
    problem = again.json()
    assert problem["type"].endswith("invalid-state")
    assert problem["currentStatus"] == "SUCCESS"
    assert "SUCCESS" in problem["detail"]
    assert await balances(client, partner) == after


@pytest.mark.parametrize(
    ("payer", "pin", "code"),
    [
        ("asha@sandbox", "9999", "ZM"),
        ("pooja@sandbox", PINS["pooja@sandbox"], "Z9"),
        ("farhan@sandbox", PINS["farhan@sandbox"], "YE"),
        ("arjun@sandbox", "1111", "AM"),
    ],
)
async def test_approve_declines_with_the_codes_of_pay(
    client: httpx.AsyncClient, partner: SignedUp, payer: str, pin: str, code: str
) -> None:
    before = await balances(client, partner)
    txn = await requested(client, partner, payer=payer)
    response = await approve(client, partner, txn["txnId"], pin)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["responseCode"]) == ("FAILURE", code)
    status = await status_of(client, partner, txn["txnId"])
    assert (status["status"], status["responseCode"]) == ("FAILURE", code)
    assert await balances(client, partner) == before
    await ledger_ok(client, partner)


async def test_third_wrong_pin_on_approvals_locks_with_z6_like_pay(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    codes = []
    for _ in range(3):
        txn = await requested(client, partner)
        codes.append((await approve(client, partner, txn["txnId"], "0000")).json()["responseCode"])
    assert codes == ["ZM", "ZM", "Z6"]
    txn = await requested(client, partner)
    right = await approve(client, partner, txn["txnId"], PINS["asha@sandbox"])
    assert right.json()["responseCode"] == "Z6"
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")
    assert paid.json()["responseCode"] == "Z6"


async def test_unknown_or_non_collect_ids_are_404(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")
    for txn_id in ("SBX" + "0" * 32, paid.json()["txnId"]):
        approved = await approve(client, partner, txn_id, "1234")
        declined = await decline(client, partner, txn_id)
        for response in (approved, declined):
            assert response.status_code == 404, response.text
            assert response.json()["responseCode"] == "U04"


# -- decline and expiry --------------------------------------------------------------------------


async def test_decline_is_za_and_moves_nothing(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    before = await balances(client, partner)
    txn = await requested(client, partner)
    response = await decline(client, partner, txn["txnId"])
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["responseCode"]) == ("FAILURE", "ZA")
    assert await balances(client, partner) == before
    assert await events(client, partner) == ["collect.requested", "collect.declined"]
    for late in (
        await approve(client, partner, txn["txnId"], PINS["asha@sandbox"]),
        await decline(client, partner, txn["txnId"]),
    ):
        assert late.status_code == 409
        assert late.json()["currentStatus"] == "FAILURE"
        assert late.json()["responseCode"] == "ZA"
    assert await balances(client, partner) == before
    await ledger_ok(client, partner)


async def test_expired_collect_answers_u69_and_status_shows_it(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    before = await balances(client, partner)
    txn = await requested(client, partner)
    await advance(client, partner, 481)
    response = await approve(client, partner, txn["txnId"], PINS["asha@sandbox"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["responseCode"]) == ("FAILURE", "U69")
    assert "expired" in body["detail"]
    status = await status_of(client, partner, txn["txnId"])
    assert (status["status"], status["responseCode"]) == ("FAILURE", "U69")
    declined = await decline(client, partner, txn["txnId"])
    assert (declined.status_code, declined.json()["responseCode"]) == (200, "U69")
    assert await balances(client, partner) == before
    assert (await events(client, partner)).count("collect.expired") == 1
    await ledger_ok(client, partner)


async def test_expiry_follows_expires_in_seconds(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    short = await requested(client, partner, expiresInSeconds=60)
    long = await requested(client, partner, expiresInSeconds=3600)
    await advance(client, partner, 61)
    assert (await decline(client, partner, short["txnId"])).json()["responseCode"] == "U69"
    assert (await decline(client, partner, long["txnId"])).json()["responseCode"] == "ZA"


async def test_within_the_window_approval_still_pays(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    txn = await requested(client, partner)
    await advance(client, partner, 470)
    response = await approve(client, partner, txn["txnId"], PINS["asha@sandbox"])
    assert response.json()["responseCode"] == "00"


async def test_concurrent_approve_and_decline_exactly_one_wins(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    before = await balances(client, partner)
    for _ in range(3):
        txn = await requested(client, partner)
        approved, declined = await asyncio.gather(
            approve(client, partner, txn["txnId"], PINS["asha@sandbox"]),
            decline(client, partner, txn["txnId"]),
        )
        assert sorted([approved.status_code, declined.status_code]) == [200, 409], (
            approved.text,
            declined.text,
        )
        winner = approved if approved.status_code == 200 else declined
        final = await status_of(client, partner, txn["txnId"])
        assert (final["status"], final["responseCode"]) == (
            winner.json()["status"],
            winner.json()["responseCode"],
        )
        assert final["responseCode"] in ("00", "ZA")
    listed = await client.get(
        "/v1/upi/transactions", params={"status": "SUCCESS"}, headers=partner.headers
    )
    successes = listed.json()["transactions"]
    after = await balances(client, partner)
    paid = 25000 * len(successes)
    assert minor(after["asha@sandbox"]) == minor(before["asha@sandbox"]) - paid
    await ledger_ok(client, partner)


async def test_concurrent_approvals_pay_once(client: httpx.AsyncClient, partner: SignedUp) -> None:
    before = await balances(client, partner)
    txn = await requested(client, partner)
    answers = await asyncio.gather(
        *(approve(client, partner, txn["txnId"], PINS["asha@sandbox"]) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    after = await balances(client, partner)
    assert minor(after["asha@sandbox"]) == minor(before["asha@sandbox"]) - 25000
    await ledger_ok(client, partner)
