"""The web console driven over plain HTTP, as a browser without JavaScript would: read the CSRF
token off a page, post its forms, sign a partner or a resident in."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx

from tests.support import clock
from tests.support.aa import consent_detail, envelope, post
from tests.support.http import SignedUp
from tests.support.identity import ASHA_MOBILE, read_otp

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, f"no CSRF field on {page.url}: {page.text[:500]}"
    return found.group(1)


async def submit(
    browser: httpx.AsyncClient, page: str, action: str, **fields: Any
) -> httpx.Response:
    """GET ``page`` (for its CSRF token and cookie), then POST ``fields`` to ``action``."""
    shown = await browser.get(page)
    assert shown.status_code == 200, shown.text
    return await browser.post(action, data={"csrf": csrf_of(shown), **fields})


async def partner_signs_in(browser: httpx.AsyncClient, partner: SignedUp) -> None:
    done = await submit(
        browser,
        "/console/partner/sign-in",
        "/console/partner/sign-in",
        api_key=partner.api_key,
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"].endswith("/console/partner")


async def resident_signs_in(
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    partner: SignedUp,
    *,
    mobile: str = ASHA_MOBILE,
    next_page: str = "/console/resident",
) -> httpx.Response:
    """Both steps: the world (by API key), then the mobile and the OTP read from the inbox.
    Returns the answer to the OTP form (a 303 to ``next_page``)."""
    page = f"/console/resident/sign-in?next={quote(next_page, safe='')}"
    chosen = await submit(
        browser, page, "/console/resident/world", api_key=partner.api_key, next=next_page
    )
    assert chosen.status_code == 303, chosen.text
    sent = await submit(browser, page, "/console/resident/otp", mobile=mobile, next=next_page)
    assert sent.status_code == 303, sent.text
    otp = await read_otp(client, partner, mobile)
    return await submit(browser, page, "/console/resident/verify", otp=otp, next=next_page)


async def request_consent(client: httpx.AsyncClient, partner: SignedUp) -> str:
    """An FIU's POST /aa/Consent for Asha; its ConsentHandle."""
    now = await clock.now(client, partner)
    body = envelope(now, ConsentDetail=consent_detail(now - timedelta(seconds=1)))
    answer = await post(client, partner, "/Consent", body)
    assert answer.status_code == 200, answer.text
    handle: str = answer.json()["ConsentHandle"]
    return handle


async def request_collect(
    client: httpx.AsyncClient,
    partner: SignedUp,
    *,
    payer: str = "asha@sandbox",
    payee: str = "meeras.kirana@sandbox",
    amount: str = "250.00",
) -> str:
    body = {"payee": {"vpa": payee}, "payer": {"vpa": payer}, "amount": amount, "note": "Groceries"}
    answer = await client.post("/v1/upi/collect", json=body, headers=partner.headers)
    assert answer.status_code == 200, answer.text
    txn_id: str = answer.json()["txnId"]
    return txn_id


async def request_mandate(
    client: httpx.AsyncClient,
    partner: SignedUp,
    *,
    payer: str = "asha@sandbox",
    payee: str = "meeras.kirana@sandbox",
    amount_limit: str = "500.00",
) -> str:
    """A merchant's ReqMandate CREATE (POST /v1/upi/mandates) asking ``payer``; its UMN."""
    body = {
        "payer": {"vpa": payer},
        "payee": {"vpa": payee},
        "amountLimit": amount_limit,
        "recurrence": "MONTHLY",
        "validUntil": await clock.later(client, partner, 365),
        "purpose": "Milk subscription",
    }
    answer = await client.post("/v1/upi/mandates", json=body, headers=partner.headers)
    assert answer.status_code == 201, answer.text
    umn: str = answer.json()["umn"]
    return umn
