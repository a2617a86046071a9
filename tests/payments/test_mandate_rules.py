"""UPI AutoPay mandates through the API: the state machine's 409s, the PIN on approval, the
notice rules, field validation, idempotency, listing, unknown UMNs, concurrent executions, expiry
by the sweeper, and the recurrence periods (``payments.models.period_of``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from payments.models import period_of
from payments.service.sweeper import sweep
from payments.store import PaymentsStore
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
)
from tests.support.upi import balances, ledger_ok, minor
from tests.support.webhooks import events, listen

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("setup", "action", "state"),
    [
        ((), "pause", "PENDING_APPROVAL"),
        ((), "resume", "PENDING_APPROVAL"),
        ((), "revoke", "PENDING_APPROVAL"),
        (("approve",), "resume", "ACTIVE"),
        (("approve",), "decline", "ACTIVE"),
        (("approve",), "approve", "ACTIVE"),
        (("approve", "pause"), "pause", "PAUSED"),
        (("approve", "revoke"), "resume", "REVOKED"),
        (("approve", "revoke"), "revoke", "REVOKED"),
        (("approve", "revoke"), "pause", "REVOKED"),
    ],
)
async def test_actions_out_of_state_are_409_naming_the_state(
    client: httpx.AsyncClient,
    partner: SignedUp,
    setup: tuple[str, ...],
    action: str,
    state: str,
) -> None:
    umn = await created(client, partner)
    for step in setup:
        body = {"pin": "1234"} if step == "approve" else {}
        assert (await act(client, partner, umn, step, **body)).status_code == 200
    body = {"pin": "1234"} if action == "approve" else {}
    response = await act(client, partner, umn, action, **body)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["currentState"] == state
    assert state in problem["detail"]
    assert (await mandate(client, partner, umn))["status"] == state


async def test_approval_checks_the_pin_like_a_payment(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await created(client, partner)
    wrong = await act(client, partner, umn, "approve", pin="0000")
    assert wrong.status_code == 200, wrong.text
    assert (wrong.json()["responseCode"], wrong.json()["status"]) == ("ZM", "PENDING_APPROVAL")
    await act(client, partner, umn, "approve", pin="0000")
    locked = await act(client, partner, umn, "approve", pin="0000")
    assert locked.json()["responseCode"] == "Z6"
    still_locked = await act(client, partner, umn, "approve", pin="1234")
    assert still_locked.json()["responseCode"] == "Z6"
    assert (await mandate(client, partner, umn))["status"] == "PENDING_APPROVAL"

    no_pin = await created(client, partner, payer={"vpa": "arjun@sandbox"})
    unset = await act(client, partner, no_pin, "approve", pin="1234")
    assert unset.json()["responseCode"] == "AM"


async def test_notify_rules(client: httpx.AsyncClient, partner: SignedUp) -> None:
    pending = await created(client, partner)
    refused = await notify(client, partner, pending)
    assert refused.status_code == 409
    assert refused.json()["currentState"] == "PENDING_APPROVAL"

    umn = await active(client, partner, validUntil=await later(client, partner, 10))
    over = await notify(client, partner, umn, "1000.01")
    assert over.status_code == 422
    assert (over.json()["errors"][0]["field"], over.json()["errors"][0]["rule"]) == (
        "body.amount",
        "within_amount_limit",
    )
    too_late = await notify(client, partner, umn, executeAt=await later(client, partner, 11))
    assert too_late.status_code == 422
    assert too_late.json()["errors"][0]["field"] == "body.executeAt"
    bad_time = await notify(client, partner, umn, executeAt="tomorrow")
    assert bad_time.status_code == 422
    assert bad_time.json()["errors"][0]["rule"] == "rfc3339"

    second = await notice(client, partner, umn)
    await notice(client, partner, umn)
    third = await notify(client, partner, umn)
    assert third.json()["seqNumber"] == 3
    assert second != third.json()["noticeId"]

    await advance(client, partner, 9 * DAY + 3600)  # validUntil is less than 24 h away
    ends = await notify(client, partner, umn)
    assert ends.status_code == 409, ends.text


async def test_unknown_notice_is_422_naming_notice_id(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    other = await active(client, partner)
    theirs = await notice(client, partner, other)
    for notice_id in ("pdn_nothing", theirs):  # a notice of another mandate does not count
        response = await execute(client, partner, umn, notice_id)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "body.noticeId"


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"payer": {"vpa": "nobody@sandbox"}}, "body.payer.vpa", "vpa_exists"),
        ({"payee": {"vpa": "ravi@sandbox"}}, "body.payee.vpa", "merchant"),
        ({"payer": {"vpa": MERCHANT}}, "body.payee.vpa", "differs_from_payer"),
        ({"amountLimit": "100.5"}, "body.amountLimit", "decimal_amount"),
        ({"amountLimit": "100001.00"}, "body.amountLimit", "per_txn_limit"),
        ({"validUntil": "2001-01-01T00:00:00Z"}, "body.validUntil", "after_valid_from"),
        ({"validUntil": "2035-01-01T00:00:00"}, "body.validUntil", "rfc3339"),  # no offset
        ({"validFrom": "soon"}, "body.validFrom", "rfc3339"),
    ],
)
async def test_create_refuses_a_bad_field_by_name(
    client: httpx.AsyncClient,
    partner: SignedUp,
    overrides: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    response = await create(client, partner, **overrides)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert (error["field"], error["rule"]) == (field, rule)
    assert response.json()["hint"]


async def test_create_refuses_numbers_and_unknown_recurrences(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    for overrides in ({"amountLimit": 500.0}, {"recurrence": "HOURLY"}, {"extra": 1}):
        response = await create(client, partner, **overrides)
        assert response.status_code == 422, response.text


async def test_create_is_idempotent(client: httpx.AsyncClient, partner: SignedUp) -> None:
    body = {
        "payer": {"vpa": PAYER},
        "payee": {"vpa": MERCHANT},
        "amountLimit": "100.00",
        "recurrence": "WEEKLY",
        "validUntil": "2035-12-31T23:59:59Z",
    }
    headers = {**partner.headers, "Idempotency-Key": "mandate-1"}
    first = await client.post("/v1/upi/mandates", json=body, headers=headers)
    again = await client.post("/v1/upi/mandates", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["umn"] == first.json()["umn"]
    other = await client.post(
        "/v1/upi/mandates", json={**body, "amountLimit": "200.00"}, headers=headers
    )
    assert other.status_code == 409
    listed = await client.get("/v1/upi/mandates", headers=partner.headers)
    assert len(listed.json()["mandates"]) == 1


# -- reads -------------------------------------------------------------------------------------


async def test_list_filters_and_pages(client: httpx.AsyncClient, partner: SignedUp) -> None:
    short = await active(client, partner, validUntil=await later(client, partner, 2))
    pending = await created(client, partner, payer={"vpa": "ravi@sandbox"})
    revoked = await active(client, partner)
    assert (await act(client, partner, revoked, "revoke")).status_code == 200
    await advance(client, partner, 3 * DAY)

    async def umns(**params: Any) -> list[str]:
        response = await client.get("/v1/upi/mandates", params=params, headers=partner.headers)
        assert response.status_code == 200, response.text
        return [m["umn"] for m in response.json()["mandates"]]

    assert await umns() == [revoked, pending, short]
    assert await umns(status="EXPIRED") == [short]
    assert await umns(status="ACTIVE") == []
    assert await umns(status="PENDING_APPROVAL") == [pending]
    assert await umns(status="REVOKED") == [revoked]
    assert await umns(vpa="RAVI@sandbox") == [pending]
    assert set(await umns(vpa=MERCHANT)) == {revoked, pending, short}

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = await client.get("/v1/upi/mandates", params=params, headers=partner.headers)
        seen += [m["umn"] for m in page.json()["mandates"]]
        if page.json()["nextCursor"] is None:
            break
        params["cursor"] = page.json()["nextCursor"]
    assert seen == [revoked, pending, short]
    bad = await client.get("/v1/upi/mandates?cursor=nope", headers=partner.headers)
    assert bad.status_code == 422


async def test_an_unknown_umn_is_404_everywhere(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = "0" * 32 + "@sandbox"
    assert (await client.get(f"/v1/upi/mandates/{umn}", headers=partner.headers)).status_code == 404
    for action, body in (
        ("approve", {"pin": "1234"}),
        ("decline", {}),
        ("pause", {}),
        ("notify", {"amount": "1.00"}),
        ("execute", {"noticeId": "pdn_x"}),
        ("execute", {"noticeId": "pdn_x", "pin": "1234"}),
    ):
        response = await act(client, partner, umn, action, **body)
        assert response.status_code == 404, (action, response.text)
        assert response.json()["responseCode"] == "U04"


# -- concurrency -------------------------------------------------------------------------------


async def test_concurrent_executions_of_one_notice_make_exactly_one_payment(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    notice_id = await notice(client, partner, umn)
    await advance(client, partner, DAY)
    before = await balances(client, partner)

    answers = await asyncio.gather(
        *(execute(client, partner, umn, notice_id, key=f"k{i}") for i in range(10))
    )
    codes = Counter(outcome(a) for a in answers)
    assert codes == Counter({("SUCCESS", "00"): 1, ("FAILURE", "QB"): 9})
    after = await balances(client, partner)
    assert minor(after[PAYER]) == minor(before[PAYER]) - 50000
    assert minor(after[MERCHANT]) == minor(before[MERCHANT]) + 50000
    await ledger_ok(client, partner)


async def test_concurrent_retries_with_one_key_replay_one_answer(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    notice_id = await notice(client, partner, umn)
    await advance(client, partner, DAY)
    answers = await asyncio.gather(
        *(execute(client, partner, umn, notice_id, key="same") for _ in range(5))
    )
    assert {a.json()["txnId"] for a in answers} == {answers[0].json()["txnId"]}
    assert {outcome(a) for a in answers} == {("SUCCESS", "00")}
    await ledger_ok(client, partner)


# -- time-driven expiry and the rules ----------------------------------------------------------


async def test_the_sweeper_expires_lapsed_mandates_once(
    client: httpx.AsyncClient, partner: SignedUp, app: FastAPI
) -> None:
    await listen(client, partner)
    pending = await created(client, partner, validUntil=await later(client, partner, 1))
    paused = await active(client, partner, validUntil=await later(client, partner, 1))
    assert (await act(client, partner, paused, "pause")).status_code == 200
    lasting = await active(client, partner)
    await advance(client, partner, 2 * DAY)
    state = app.state.sandbox
    await sweep(state.db, state.settings.secret_key, state.clock)
    assert (
        await sweep(state.db, state.settings.secret_key, state.clock) == 0
    )  # nothing left to expire

    def stored(conn: sa.Connection) -> dict[str, str]:
        store = PaymentsStore(conn, partner.partner_id)
        rows = {umn: store.mandate(umn) for umn in (pending, paused, lasting)}
        return {umn: row.status for umn, row in rows.items() if row is not None}

    assert await state.db.read(stored) == {
        pending: "EXPIRED",
        paused: "EXPIRED",
        lasting: "ACTIVE",
    }
    assert (await events(client, partner)).count("mandate.expired") == 2


def test_recurrence_periods() -> None:
    start = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
    hour = 3_600_000_000

    def same(recurrence: str, a: int, b: int) -> bool:
        return period_of(recurrence, start, a) == period_of(recurrence, start, b)

    assert same("ONETIME", start, start + 400 * 24 * hour)
    assert same("DAILY", start + hour, start + 23 * hour)
    assert not same("DAILY", start + 23 * hour, start + 25 * hour)
    assert same("WEEKLY", start, start + 7 * 24 * hour - 1)
    assert not same("WEEKLY", start, start + 7 * 24 * hour)
    assert same("MONTHLY", start, start + 30 * 24 * hour)  # January has 31 days
    assert not same("MONTHLY", start, start + 31 * 24 * hour)
    assert period_of("AS_PRESENTED", start, start) is None
