"""Idempotent ReqPay: a retry never moves money twice, a changed body is refused and moves none.

Two keys guard a payment (payments/service/idempotency.py): the ``Idempotency-Key`` header and a
client-chosen ``txnId``. Same key and body: the first answer again, with ``replayed: true`` and
the ``Idempotent-Replayed: true`` header, and exactly one DEBIT posting however many retries
arrive, one after another or all at once. Same key, different body: 409 problem+json with UPI
``responseCode`` U01 and nothing posted. Declines are answers too: a replayed Z9 or ZM is the
stored answer, not a second decision.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from sandbox.storage.schema import ledger_entries, pin_state, upi_transactions
from tests.support.http import PROBLEM, SignedUp
from tests.support.upi import balances, ledger_ok, pay

pytestmark = pytest.mark.anyio

CONCURRENT = 20


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


def client_txn_id() -> str:
    return ("TEST" + uuid.uuid4().hex.upper())[:35].ljust(35, "0")


def without_replayed(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "replayed"}


async def counts(app: FastAPI, partner: SignedUp) -> tuple[int, int]:
    """(transactions, DEBIT postings) in the partner's world."""

    def unit(conn: sa.Connection) -> tuple[int, int]:
        t, e = upi_transactions, ledger_entries
        txns = conn.execute(
            sa.select(sa.func.count()).where(t.c.world_id == partner.partner_id)
        ).scalar_one()
        debits = conn.execute(
            sa.select(sa.func.count(sa.distinct(e.c.posting_id))).where(
                e.c.world_id == partner.partner_id, e.c.leg == "DEBIT"
            )
        ).scalar_one()
        return int(txns), int(debits)

    result: tuple[int, int] = await app.state.sandbox.db.read(unit)
    return result


def assert_u01(response: httpx.Response, field: str) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["responseCode"] == "U01"
    assert field in problem["detail"]
    assert problem["hint"]


# -- sequential replays --------------------------------------------------------------------------


async def test_replay_by_idempotency_key_answers_the_first_result_once(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    headers = key()
    first = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "250.00", headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["replayed"] is False
    assert "Idempotent-Replayed" not in first.headers
    after_first = await balances(client, partner)

    for _ in range(3):
        again = await pay(
            client, partner, "asha@sandbox", "ravi@sandbox", "250.00", headers=headers
        )
        assert again.status_code == 200, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["replayed"] is True
        assert without_replayed(again.json()) == without_replayed(first.json())

    assert await balances(client, partner) == after_first
    assert await counts(app, partner) == (1, 1)
    await ledger_ok(client, partner)


async def test_replay_by_client_txn_id_answers_the_first_result_once(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    txn_id = client_txn_id()
    first = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "75.50", txnId=txn_id)
    assert first.json()["txnId"] == txn_id
    assert first.json()["replayed"] is False
    again = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "75.50", txnId=txn_id)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["replayed"] is True
    assert without_replayed(again.json()) == without_replayed(first.json())
    assert await counts(app, partner) == (1, 1)
    await ledger_ok(client, partner)


async def test_replay_survives_a_day_of_world_time(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Keys are kept at least 24 h (upi.md, sandbox conventions): a retry 25 h later replays."""
    headers = key()
    first = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "10.00", headers=headers)
    advanced = await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": 25 * 3600}, headers=partner.headers
    )
    assert advanced.status_code == 200
    again = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "10.00", headers=headers)
    assert again.json()["replayed"] is True
    assert without_replayed(again.json()) == without_replayed(first.json())
    assert await counts(app, partner) == (1, 1)


# -- concurrent replays --------------------------------------------------------------------------


async def _concurrent_identical(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, **how: Any
) -> None:
    before = await balances(client, partner)
    answers = await asyncio.gather(
        *(
            pay(client, partner, "asha@sandbox", "ravi@sandbox", "99.99", **how)
            for _ in range(CONCURRENT)
        )
    )
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers][:3]
    bodies = [a.json() for a in answers]
    assert [b["replayed"] for b in bodies].count(False) == 1  # the one that ran
    assert {a.headers.get("Idempotent-Replayed") for a in answers} == {None, "true"}
    first = without_replayed(bodies[0])
    assert all(without_replayed(b) == first for b in bodies)
    assert first["responseCode"] == "00"
    assert await counts(app, partner) == (1, 1)
    after = await balances(client, partner)
    assert int(before["asha@sandbox"].replace(".", "")) - 9999 == int(
        after["asha@sandbox"].replace(".", "")
    )
    await ledger_ok(client, partner)


async def test_concurrent_identical_requests_with_a_key_post_once(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await _concurrent_identical(app, client, partner, headers=key())


async def test_concurrent_identical_requests_with_a_txn_id_post_once(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await _concurrent_identical(app, client, partner, txnId=client_txn_id())


async def test_concurrent_requests_with_one_key_and_two_bodies_run_one(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Half the racers send 10.00, half 20.00 under one key: one body wins and runs once; its
    twins replay it, the others get U01."""
    headers = key()
    amounts = ["10.00", "20.00"] * (CONCURRENT // 2)
    answers = await asyncio.gather(
        *(
            pay(client, partner, "asha@sandbox", "ravi@sandbox", amount, headers=headers)
            for amount in amounts
        )
    )
    winners = {a.json()["amount"] for a in answers if a.status_code == 200}
    assert len(winners) == 1, [a.text for a in answers][:4]
    (winner,) = winners
    for amount, answer in zip(amounts, answers, strict=True):
        if amount == winner:
            assert answer.status_code == 200, answer.text
        else:
            assert_u01(answer, "Idempotency-Key")
    assert await counts(app, partner) == (1, 1)
    await ledger_ok(client, partner)


# -- a different body is refused -----------------------------------------------------------------


async def test_same_key_different_amount_is_409_u01_and_posts_nothing(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    headers = key()
    first = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "100.00", headers=headers)
    assert first.status_code == 200
    before = await balances(client, partner)
    changed = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "100.01", headers=headers)
    assert_u01(changed, "Idempotency-Key")
    other_payee = await pay(
        client, partner, "asha@sandbox", "kabir@sandbox", "100.00", headers=headers
    )
    assert_u01(other_payee, "Idempotency-Key")
    assert await balances(client, partner) == before
    assert await counts(app, partner) == (1, 1)
    # the original still replays
    again = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "100.00", headers=headers)
    assert again.json()["replayed"] is True
    await ledger_ok(client, partner)


async def test_same_txn_id_different_body_is_409_u01(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    txn_id = client_txn_id()
    first = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "40.00", txnId=txn_id)
    assert first.status_code == 200
    changed = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "41.00", txnId=txn_id)
    assert_u01(changed, "txnId")
    with_a_key = await pay(
        client, partner, "asha@sandbox", "ravi@sandbox", "41.00", txnId=txn_id, headers=key()
    )
    assert_u01(with_a_key, "txnId")
    assert await counts(app, partner) == (1, 1)
    # a new Idempotency-Key on the unchanged body still finds the txnId's answer
    same = await pay(
        client, partner, "asha@sandbox", "ravi@sandbox", "40.00", txnId=txn_id, headers=key()
    )
    assert same.status_code == 200, same.text
    assert same.json()["replayed"] is True
    assert await counts(app, partner) == (1, 1)
    await ledger_ok(client, partner)


async def test_one_key_on_two_endpoints_is_409_u01_and_does_nothing(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    headers = key()
    first = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "30.00", headers=headers)
    assert first.status_code == 200
    as_collect = await client.post(
        "/v1/upi/collect",
        json={
            "payer": {"vpa": "asha@sandbox"},
            "payee": {"vpa": "ravi@sandbox"},
            "amount": "30.00",
        },
        headers={**partner.headers, **headers},
    )
    assert_u01(as_collect, "Idempotency-Key")
    assert await counts(app, partner) == (1, 1)


async def test_keys_belong_to_one_world(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    """The same Idempotency-Key and txnId in another partner's world is a new payment there."""
    headers, txn_id = key(), client_txn_id()
    mine = await pay(
        client, partner, "asha@sandbox", "ravi@sandbox", "5.00", headers=headers, txnId=txn_id
    )
    theirs = await pay(
        client, other_partner, "asha@sandbox", "ravi@sandbox", "6.00", headers=headers, txnId=txn_id
    )
    assert mine.status_code == theirs.status_code == 200
    assert theirs.json()["replayed"] is False
    assert theirs.json()["amount"] == "6.00"
    assert await counts(app, partner) == (1, 1)
    assert await counts(app, other_partner) == (1, 1)


# -- declines are answers too ----------------------------------------------------------------------


async def test_a_replayed_z9_is_not_decided_again(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    headers = key()
    declined = await pay(client, partner, "pooja@sandbox", "ravi@sandbox", "50.00", headers=headers)
    assert declined.json()["responseCode"] == "Z9"
    funded = await pay(client, partner, "asha@sandbox", "pooja@sandbox", "500.00")
    assert funded.json()["responseCode"] == "00"
    # a fresh decision would now succeed; the replay is still the first answer
    again = await pay(client, partner, "pooja@sandbox", "ravi@sandbox", "50.00", headers=headers)
    assert again.json()["replayed"] is True
    assert without_replayed(again.json()) == without_replayed(declined.json())
    assert (await balances(client, partner))["pooja@sandbox"] == "501.00"
    fresh = await pay(client, partner, "pooja@sandbox", "ravi@sandbox", "50.00", headers=key())
    assert fresh.json()["responseCode"] == "00"
    await ledger_ok(client, partner)


async def test_a_replayed_wrong_pin_counts_one_try(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Retrying a ZM answer five times is one wrong PIN, not five (no Z6 lock from retries)."""
    headers = key()
    for _ in range(5):
        wrong = await pay(
            client, partner, "ravi@sandbox", "asha@sandbox", "1.00", pin="0000", headers=headers
        )
        assert wrong.json()["responseCode"] == "ZM", wrong.text

    def failures(conn: sa.Connection) -> int:
        return int(
            conn.execute(
                sa.select(pin_state.c.failures).where(
                    pin_state.c.world_id == partner.partner_id, pin_state.c.vpa == "ravi@sandbox"
                )
            ).scalar_one()
        )

    assert await app.state.sandbox.db.read(failures) == 1
    right = await pay(client, partner, "ravi@sandbox", "asha@sandbox", "1.00")
    assert right.json()["responseCode"] == "00"
    await ledger_ok(client, partner)
