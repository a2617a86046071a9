"""An idempotency key is the partner's, not a route's (Stripe's rule): one key names one request
across pay, collect, refunds, mandates and Aadhaar auth, eKYC and OTP. Reused on another route it
is a 409 that names the key, the route it was first used for and the way out, and does nothing;
another partner's world has keys of its own. docs/payments.md and identity.md say so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.http import PROBLEM, SignedUp
from tests.support.identity import easy, pid_ts
from tests.support.upi import pay

pytestmark = pytest.mark.anyio


async def _collect(
    client: httpx.AsyncClient, partner: SignedUp, amount: str, **headers: str
) -> httpx.Response:
    body = {"payee": {"vpa": "ravi@sandbox"}, "payer": {"vpa": "asha@sandbox"}, "amount": amount}
    return await client.post("/v1/upi/collect", json=body, headers={**partner.headers, **headers})


async def _count(client: httpx.AsyncClient, partner: SignedUp, kind: str) -> int:
    listed = await client.get(
        "/v1/upi/transactions", params={"type": kind}, headers=partner.headers
    )
    assert listed.status_code == 200, listed.text
    return len(listed.json()["transactions"])


def _refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = response.json()
    assert problem["type"] == "/problems/idempotency-conflict", problem
    return problem


async def test_a_pay_key_sent_to_collect_is_refused_naming_where_it_was_first_used(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    key = {"Idempotency-Key": "order-1001"}
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "10.00", headers=key)
    assert paid.status_code == 200, paid.text

    problem = _refused(await _collect(client, partner, "10.00", **key))
    assert problem["responseCode"] == "U01"
    assert problem["detail"].startswith(
        "Idempotency-Key 'order-1001' was first used for POST /v1/upi/pay, not POST /v1/upi/collect"
    ), problem
    assert "new Idempotency-Key" in problem["hint"]
    assert "to POST /v1/upi/pay unchanged" in problem["hint"]
    assert await _count(client, partner, "COLLECT") == 0  # nothing was done

    again = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "10.00", headers=key)
    assert (again.status_code, again.json()["txnId"]) == (200, paid.json()["txnId"])
    assert again.headers["Idempotent-Replayed"] == "true"
    fresh = await _collect(client, partner, "10.00", **{"Idempotency-Key": "order-1002"})
    assert fresh.status_code == 200, fresh.text


async def test_a_collect_key_sent_to_aadhaar_auth_is_refused_too(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    key = {"Idempotency-Key": "shared-7"}
    assert (await _collect(client, partner, "3.00", **key)).status_code == 200
    ts = await pid_ts(client, partner)
    body = easy({"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}, pi="y")
    refused = await client.post("/v1/identity/auth", json=body, headers={**partner.headers, **key})
    problem = _refused(refused)
    assert "first used for POST /v1/upi/collect, not POST /v1/identity/auth" in problem["detail"]

    # and the other way round: an auth's key is not a payment's
    auth_key = {"Idempotency-Key": "auth-7"}
    done = await client.post(
        "/v1/identity/auth", json=body, headers={**partner.headers, **auth_key}
    )
    assert done.status_code == 200, done.text
    problem = _refused(
        await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00", headers=auth_key)
    )
    assert "first used for POST /v1/identity/auth, not POST /v1/upi/pay" in problem["detail"]
    assert problem["responseCode"] == "U01"


async def test_the_same_route_with_another_body_says_the_body_differs(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    key = {"Idempotency-Key": "order-2001"}
    await pay(client, partner, "asha@sandbox", "ravi@sandbox", "10.00", headers=key)
    other = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "11.00", headers=key)
    problem = _refused(other)
    assert problem["detail"] == (
        "Idempotency-Key 'order-2001' was already used for POST /v1/upi/pay with a different "
        "body; nothing was done."
    )


async def test_a_txn_id_is_a_key_of_the_world_too(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    txn_id = "KEYSCOPE" + "0" * 27
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "2.00", txnId=txn_id)
    assert paid.status_code == 200, paid.text
    body = {
        "payee": {"vpa": "ravi@sandbox"},
        "payer": {"vpa": "asha@sandbox"},
        "amount": "2.00",
        "txnId": txn_id,
    }
    refused = await client.post("/v1/upi/collect", json=body, headers=partner.headers)
    problem = _refused(refused)
    assert problem["detail"].startswith(
        f"txnId '{txn_id}' was first used for POST /v1/upi/pay, not POST /v1/upi/collect"
    ), problem
    assert "new txnId" in problem["hint"]


async def test_keys_are_per_partner(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    key = {"Idempotency-Key": "order-3001"}
    mine = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "5.00", headers=key)
    theirs = await _collect(client, other_partner, "5.00", **key)
    assert (mine.status_code, theirs.status_code) == (200, 200), theirs.text
    assert "Idempotent-Replayed" not in theirs.headers
