"""The resident's AutoPay mandates in the console, over plain HTTP: the home screen lists the
mandates waiting for her, she approves one on the PIN pad or declines it, and the console keeps
the API's rules and errors (a malformed PIN is a 422 naming ``pin``, a wrong one answers ZM and
leaves the mandate pending, a mandate no longer pending is a 409 naming its state, another
resident's mandate does not exist for her)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.support.console import csrf_of, request_collect, request_mandate, resident_signs_in
from tests.support.http import SignedUp, client_for

pytestmark = pytest.mark.anyio


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


async def _status(client: httpx.AsyncClient, partner: SignedUp, umn: str) -> str:
    answer = await client.get(f"/v1/upi/mandates/{umn}", headers=partner.headers)
    assert answer.status_code == 200, answer.text
    status: str = answer.json()["status"]
    return status


async def _post(browser: httpx.AsyncClient, umn: str, **fields: str) -> httpx.Response:
    page = await browser.get(f"/console/resident/mandates/{umn}")
    assert page.status_code == 200, page.text
    return await browser.post(
        f"/console/resident/mandates/{umn}", data={"csrf": csrf_of(page), **fields}
    )


async def test_resident_approves_a_mandate_on_the_pin_pad(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await request_mandate(client, partner)
    await resident_signs_in(browser, client, partner)
    home = await browser.get("/console/resident")
    assert f"/console/resident/mandates/{umn}" in home.text
    assert "AutoPay mandate of up to 500.00 INR" in home.text
    page = await browser.get(f"/console/resident/mandates/{umn}")
    assert 'data-pin-key="7"' in page.text
    assert "Milk subscription" in page.text
    assert '<label for="pin">UPI PIN</label>' in page.text

    malformed = await _post(browser, umn, action="approve", pin="12a4")
    assert malformed.status_code == 422
    assert "must be a UPI PIN: 4 or 6 digits" in malformed.text
    wrong = await _post(browser, umn, action="approve", pin="9999")
    assert wrong.status_code == 200
    assert "Not approved" in wrong.text
    assert "code ZM" in wrong.text
    assert 'name="pin"' in wrong.text  # the pad again: the mandate is still pending
    assert await _status(client, partner, umn) == "PENDING_APPROVAL"

    approved = await _post(browser, umn, action="approve", pin="1234")
    assert "Mandate approved" in approved.text
    assert "code 00" in approved.text
    assert 'name="pin"' not in approved.text
    assert await _status(client, partner, umn) == "ACTIVE"
    home = await browser.get("/console/resident")
    assert f"/console/resident/mandates/{umn}" not in home.text  # no longer waiting

    again = await browser.post(
        f"/console/resident/mandates/{umn}",
        data={"csrf": csrf_of(home), "action": "approve", "pin": "1234"},
    )
    assert again.status_code == 409  # as POST .../approve answers: it is ACTIVE
    assert "it is ACTIVE" in again.text


async def test_resident_declines_a_mandate(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await request_mandate(client, partner)
    await resident_signs_in(browser, client, partner)
    declined = await _post(browser, umn, action="decline")
    assert declined.status_code == 200
    assert "Mandate declined" in declined.text
    assert await _status(client, partner, umn) == "DECLINED"


async def test_mandate_forms_need_the_csrf_token_and_a_signed_in_payer(
    app: FastAPI, browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await request_mandate(client, partner)  # asks Asha
    signed_out = await browser.post(f"/console/resident/mandates/{umn}", data={"pin": "1234"})
    assert signed_out.status_code == 303
    assert "/console/resident/sign-in" in signed_out.headers["location"]
    await resident_signs_in(browser, client, partner)
    forged = await browser.post(
        f"/console/resident/mandates/{umn}",
        data={"csrf": "x" * 32, "action": "approve", "pin": "1234"},
    )
    assert forged.status_code == 403
    async with client_for(app) as ravi:
        await resident_signs_in(ravi, client, partner, mobile="+919876500002")
        assert (await ravi.get(f"/console/resident/mandates/{umn}")).status_code == 404
        assert umn not in (await ravi.get("/console/resident")).text
        page = await ravi.get("/console/resident")
        refused = await ravi.post(
            f"/console/resident/mandates/{umn}", data={"csrf": csrf_of(page), "action": "decline"}
        )
        assert refused.status_code == 404
    assert (await browser.get("/console/resident/mandates/nope@sandbox")).status_code == 404
    assert await _status(client, partner, umn) == "PENDING_APPROVAL"


async def test_a_collect_refuses_a_malformed_pin_as_the_api_does(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Not a wrong try that fails the collect: the API's schema refuses it (422, pin_format)
    and the request keeps waiting for a PIN."""
    txn_id = await request_collect(client, partner)
    api = await client.post(
        f"/v1/upi/collect/{txn_id}/approve", json={"pin": "12345"}, headers=partner.headers
    )
    assert api.status_code == 422
    await resident_signs_in(browser, client, partner)
    page = await browser.get(f"/console/resident/collects/{txn_id}")
    refused = await browser.post(
        f"/console/resident/collects/{txn_id}",
        data={"csrf": csrf_of(page), "action": "approve", "pin": "12345"},
    )
    assert refused.status_code == 422
    assert "pin: must be a UPI PIN" in refused.text
    status = await client.get(f"/v1/upi/transactions/{txn_id}", headers=partner.headers)
    assert status.json()["status"] == "PENDING"
