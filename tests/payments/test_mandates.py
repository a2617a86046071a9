"""UPI AutoPay mandates through the API: the whole lifecycle, the 24 h pre-debit notice, the
AutoPay PIN limit and the QA / QB / QC / QD declines (the rules: test_mandate_rules.py)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.support.clock import advance, later
from tests.support.http import SignedUp
from tests.support.mandates import (
    DAY,
    MERCHANT,
    PAYER,
    act,
    active,
    create,
    created,
    execute,
    mandate,
    notice,
    notify,
    outcome,
    parse,
)
from tests.support.upi import balances, ledger_ok, minor, pay
from tests.support.webhooks import events, listen

pytestmark = pytest.mark.anyio

# -- the lifecycle -----------------------------------------------------------------------------


async def test_lifecycle_create_approve_notify_execute_pause_resume_revoke(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    response = await create(client, partner, recurrence="MONTHLY")
    assert response.status_code == 201, response.text
    made = response.json()
    umn = made["umn"]
    assert len(umn) == 40
    assert umn.endswith("@sandbox")
    assert made["status"] == "PENDING_APPROVAL"
    assert (made["amountLimit"], made["currency"], made["recurrence"]) == (
        "1000.00",
        "INR",
        "MONTHLY",
    )
    assert made["pinRequiredAbove"] == "15000.00"

    approved = await act(client, partner, umn, "approve", pin="1234")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["responseCode"]) == ("ACTIVE", "00")

    before = await balances(client, partner)
    sent = await notify(client, partner, umn, "750.00")
    assert sent.status_code == 201, sent.text
    notice_body = sent.json()
    assert notice_body["seqNumber"] == 1
    assert notice_body["status"] == "PENDING"
    wait = parse(notice_body["executeAfter"]) - parse(notice_body["notifiedAt"])
    assert wait == timedelta(hours=24)

    await advance(client, partner, DAY)
    paid = await execute(client, partner, umn, notice_body["noticeId"], key="run-1")
    assert outcome(paid) == ("SUCCESS", "00")
    txn = paid.json()
    assert (txn["type"], txn["mandateId"], txn["amount"]) == ("MANDATE", umn, "750.00")
    assert (txn["payer"]["vpa"], txn["payee"]["vpa"]) == (PAYER, MERCHANT)
    after = await balances(client, partner)
    assert minor(after[PAYER]) == minor(before[PAYER]) - 75000
    assert minor(after[MERCHANT]) == minor(before[MERCHANT]) + 75000
    status = await client.get(f"/v1/upi/transactions/{txn['txnId']}", headers=partner.headers)
    assert status.json()["mandateId"] == umn
    await ledger_ok(client, partner)

    for action, state in (("pause", "PAUSED"), ("resume", "ACTIVE"), ("revoke", "REVOKED")):
        changed = await act(client, partner, umn, action)
        assert changed.status_code == 200, changed.text
        assert changed.json()["status"] == state
        assert (await mandate(client, partner, umn))["status"] == state

    assert await events(client, partner) == [
        "mandate.created",
        "mandate.approved",
        "mandate.notified",
        "payment.succeeded",
        "mandate.paused",
        "mandate.resumed",
        "mandate.revoked",
    ]


async def test_decline_ends_a_pending_mandate(client: httpx.AsyncClient, partner: SignedUp) -> None:
    await listen(client, partner)
    umn = await created(client, partner)
    declined = await act(client, partner, umn, "decline")
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "DECLINED"
    again = await act(client, partner, umn, "approve", pin="1234")
    assert again.status_code == 409
    assert again.json()["currentState"] == "DECLINED"
    assert await events(client, partner) == ["mandate.created", "mandate.declined"]


# -- the 24 h pre-debit notice -----------------------------------------------------------------


async def test_execution_before_24_hours_is_refused_and_works_after(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    notice_id = await notice(client, partner, umn)
    before = await balances(client, partner)

    early = await execute(client, partner, umn, notice_id, key="early")
    assert early.status_code == 409, early.text
    problem = early.json()
    assert problem["type"].endswith("invalid-state")
    assert "earliestExecution" in problem
    assert "clock/advance" in problem["hint"]

    await advance(client, partner, DAY - 60)
    still = await execute(client, partner, umn, notice_id, key="early")
    assert still.status_code == 409, still.text
    assert await balances(client, partner) == before

    await advance(client, partner, 60)
    paid = await execute(client, partner, umn, notice_id, key="early")  # nothing was recorded
    assert outcome(paid) == ("SUCCESS", "00")
    after = await balances(client, partner)
    assert minor(after[PAYER]) == minor(before[PAYER]) - 50000
    await ledger_ok(client, partner)


async def test_a_later_execute_at_moves_the_earliest_debit(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    planned = await later(client, partner, 3)
    sent = await notify(client, partner, umn, executeAt=planned)
    assert sent.status_code == 201, sent.text
    assert parse(sent.json()["executeAfter"]) == parse(planned)
    await advance(client, partner, 2 * DAY)
    early = await execute(client, partner, umn, sent.json()["noticeId"])
    assert early.status_code == 409, early.text
    await advance(client, partner, DAY + 1)
    assert outcome(await execute(client, partner, umn, sent.json()["noticeId"])) == (
        "SUCCESS",
        "00",
    )


# -- the AutoPay PIN limit ---------------------------------------------------------------------


async def test_above_the_autopay_limit_the_pin_is_needed(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner, amountLimit="20000.00")
    notice_id = await notice(client, partner, umn, "16000.00")
    await advance(client, partner, DAY)
    before = await balances(client, partner)

    missing = await execute(client, partner, umn, notice_id)
    assert missing.status_code == 422, missing.text
    error = missing.json()["errors"][0]
    assert (error["field"], error["rule"]) == ("body.pin", "required_above_autopay_limit")
    assert "15000.00" in error["message"]

    wrong = await execute(client, partner, umn, notice_id, pin="9999")
    assert outcome(wrong) == ("FAILURE", "ZM")
    assert await balances(client, partner) == before

    paid = await execute(client, partner, umn, notice_id, pin="1234")
    assert outcome(paid) == ("SUCCESS", "00")
    after = await balances(client, partner)
    assert minor(after[PAYER]) == minor(before[PAYER]) - 1_600_000
    await ledger_ok(client, partner)


async def test_at_or_under_the_limit_no_pin_is_asked(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner, amountLimit="20000.00")
    notice_id = await notice(client, partner, umn, "15000.00")
    await advance(client, partner, DAY)
    assert outcome(await execute(client, partner, umn, notice_id)) == ("SUCCESS", "00")


# -- QA, QB, QC, QD ----------------------------------------------------------------------------


async def test_a_paused_mandate_declines_with_qa_until_resumed(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    notice_id = await notice(client, partner, umn)
    await advance(client, partner, DAY)
    assert (await act(client, partner, umn, "pause")).status_code == 200
    before = await balances(client, partner)

    paused = await execute(client, partner, umn, notice_id)
    assert outcome(paused) == ("FAILURE", "QA")
    assert paused.json()["type"] == "MANDATE"
    assert paused.json()["hint"]
    assert await balances(client, partner) == before

    assert (await act(client, partner, umn, "resume")).status_code == 200
    assert outcome(await execute(client, partner, umn, notice_id)) == ("SUCCESS", "00")
    await ledger_ok(client, partner)


async def test_a_notice_is_honoured_once_then_qb(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    notice_id = await notice(client, partner, umn)
    await advance(client, partner, DAY)
    first = await execute(client, partner, umn, notice_id, key="first")
    assert outcome(first) == ("SUCCESS", "00")

    replay = await execute(client, partner, umn, notice_id, key="first")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["txnId"] == first.json()["txnId"]

    before = await balances(client, partner)
    second = await execute(client, partner, umn, notice_id, key="second")
    assert outcome(second) == ("FAILURE", "QB")
    assert first.json()["txnId"] in second.json()["detail"]
    assert await balances(client, partner) == before
    await ledger_ok(client, partner)


async def test_a_onetime_mandate_is_honoured_once_then_qb(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner, recurrence="ONETIME")
    first, second = await notice(client, partner, umn), await notice(client, partner, umn)
    await advance(client, partner, DAY)
    assert outcome(await execute(client, partner, umn, first)) == ("SUCCESS", "00")
    await advance(client, partner, 40 * DAY)
    assert outcome(await execute(client, partner, umn, second)) == ("FAILURE", "QB")


async def test_as_presented_may_be_debited_for_every_notice(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    first, second = await notice(client, partner, umn), await notice(client, partner, umn, "1.00")
    await advance(client, partner, DAY)
    assert outcome(await execute(client, partner, umn, first)) == ("SUCCESS", "00")
    assert outcome(await execute(client, partner, umn, second)) == ("SUCCESS", "00")


async def test_a_failed_debit_does_not_use_up_its_notice(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner, "8520", payer={"vpa": "pooja@sandbox"})  # has 1.00
    notice_id = await notice(client, partner, umn, "5.00")
    await advance(client, partner, DAY)
    assert outcome(await execute(client, partner, umn, notice_id)) == ("FAILURE", "Z9")
    topped = await pay(client, partner, PAYER, "pooja@sandbox", "10.00")
    assert outcome(topped) == ("SUCCESS", "00")
    assert outcome(await execute(client, partner, umn, notice_id)) == ("SUCCESS", "00")
    assert outcome(await execute(client, partner, umn, notice_id)) == ("FAILURE", "QB")
    await ledger_ok(client, partner)


async def test_a_revoked_mandate_declines_with_qc(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    notice_id = await notice(client, partner, umn)
    await advance(client, partner, DAY)
    assert (await act(client, partner, umn, "revoke")).status_code == 200
    assert outcome(await execute(client, partner, umn, notice_id)) == ("FAILURE", "QC")
    await ledger_ok(client, partner)


async def test_an_expired_mandate_declines_with_qd_and_reads_expired(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    umn = await active(client, partner, validUntil=await later(client, partner, 3))
    notice_id = await notice(client, partner, umn)
    await advance(client, partner, 4 * DAY)
    assert (await mandate(client, partner, umn))["status"] == "EXPIRED"
    expired = await execute(client, partner, umn, notice_id)
    assert outcome(expired) == ("FAILURE", "QD")
    assert (await mandate(client, partner, umn))["status"] == "EXPIRED"
    paused = await act(client, partner, umn, "pause")
    assert paused.status_code == 409
    assert paused.json()["currentState"] == "EXPIRED"
    assert (await events(client, partner)).count("mandate.expired") == 1
    await ledger_ok(client, partner)


# -- the state machine and the rules -----------------------------------------------------------
